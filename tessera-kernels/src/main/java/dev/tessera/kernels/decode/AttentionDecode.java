package dev.tessera.kernels.decode;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;

/**
 * Attention of one token over the KV cache, with grouped-query heads: out[h] = softmax(q[h]·Kᵀ ·
 * scale) · V over the first {@code len} cached positions of the key/value head h / group. One
 * program per query head walks the cache in blocks of positions with an online softmax (running
 * maximum and sum in f32). Simple and correct; a split-K version for long caches is the attention
 * issue's work.
 */
public final class AttentionDecode {
    private AttentionDecode() {}

    @Kernel
    static void attend(Tile q, Tile kCache, Tile vCache, Tile out, Tile len, Tile rowStride, Tile headDim, Tile group, Tile scale,
                       @Constexpr int BS, @Constexpr int BD) {
        Tile kvHead = programId(0).to(I64);
        Tile head = kvHead.mul(group).add(programId(1));
        Tile d = arange(0, BD);
        Tile dMask = d.lt(headDim);
        Tile qv = load(q.add(head.mul(headDim)).add(d), dMask, 0.0).to(F32).mul(scale);
        Var m = var(scalar(Double.NEGATIVE_INFINITY).to(F32)), l = var(scalar(0.0).to(F32)), acc = var(zeros(F32, BD));
        for (Tile s0 : range(0, len, BS)) {
            Tile s = arange(0, BS).add(s0);
            Tile sMask = s.lt(len);
            Tile offsets = s.to(I64).col().mul(rowStride).add(kvHead.mul(headDim)).add(d.row());
            Tile tileMask = sMask.col().and(dMask.row());
            Tile scores = where(sMask, sum(load(kCache.add(offsets), tileMask, 0.0).to(F32).mul(qv.row()), 1), Double.NEGATIVE_INFINITY);
            Tile mNew = maximum(m.get(), max(scores, 0));
            Tile p = exp(scores.sub(mNew));
            Tile alpha = exp(m.get().sub(mNew));
            l.set(l.get().mul(alpha).add(sum(p, 0)));
            acc.set(acc.get().mul(alpha).add(sum(p.col().mul(load(vCache.add(offsets), tileMask, 0.0).to(F32)), 0)));
            m.set(mNew);
        }
        store(out.add(head.mul(headDim)).add(d), acc.get().div(l.get()), dMask);
    }

    public static final JitKernel KERNEL = Jit.kernel(AttentionDecode.class, "attend");

    /**
     * out [heads, headDim] = attention of q [heads, headDim] over positions [0, len) of the caches
     * [maxSeq, kvHeads · headDim] (see {@link KvCache}); heads a multiple of kvHeads; scale is
     * usually 1/√headDim.
     */
    public static void attend(Tensor q, Tensor kCache, Tensor vCache, Tensor out, int len, int kvHeads, float scale) {
        if (q.rank() != 2 || !q.isContiguous() || !out.isContiguous() || !java.util.Arrays.equals(q.shape(), out.shape())) {
            throw new IllegalArgumentException("q and out must be contiguous [heads, headDim] tensors, not " + q + ", " + out);
        }
        int heads = Math.toIntExact(q.shape(0)), headDim = Math.toIntExact(q.shape(1));
        if (kvHeads < 1 || heads % kvHeads != 0) throw new IllegalArgumentException(heads + " query heads cannot share " + kvHeads + " key/value heads");
        if (kCache.rank() != 2 || kCache.shape(1) != (long) kvHeads * headDim || kCache.stride(1) != 1
                || !java.util.Arrays.equals(kCache.shape(), vCache.shape()) || !java.util.Arrays.equals(kCache.strides(), vCache.strides())) {
            throw new IllegalArgumentException("the caches must be alike [maxSeq, " + kvHeads * headDim + "] with contiguous rows, not " + kCache + ", " + vCache);
        }
        if (len < 1 || len > kCache.shape(0)) throw new IllegalArgumentException("attention over " + len + " positions of a cache of " + kCache.shape(0));
        int bd = Math.max(16, nextPowerOf2(headDim)), bs = Math.max(16, Math.min(64, 8192 / bd));
        KERNEL.withOptions(4, 1).launch(grid(kvHeads, heads / kvHeads), q, kCache, vCache, out, len, kCache.stride(0), headDim,
                heads / kvHeads, scale, bs, bd);
    }
}
