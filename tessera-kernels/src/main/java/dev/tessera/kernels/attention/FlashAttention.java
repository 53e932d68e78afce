package dev.tessera.kernels.attention;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.autotune.Autotuner;
import dev.tessera.autotune.Heuristics;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.MemoryOrder;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.runtime.TensorDescriptor;
import dev.tessera.types.DType;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Flash attention, forward and backward (FlashAttention-2's algorithm): out = softmax(q·kᵀ · scale
 * + mask) · v without ever holding the [Nq, Nk] scores, so memory is O(N) and the scores never
 * leave the chip.
 *
 * <p>Tensors are (B, H, N, D) as indexed; any strides with a contiguous last dimension work, so a
 * (B, N, H, D) tensor is passed as {@code x.transpose(1, 2)}. q has Hq heads and k, v have Hkv,
 * Hq a multiple of Hkv (grouped-query attention; Hkv = 1 is multi-query); Nq and Nk may differ and
 * need not be multiples of the blocks; D is 16 to 256, a power of 2; the inputs are f16 or bf16 and
 * every product and sum accumulates in f32.
 *
 * <p>Masks: causal attention lets query i see key j when j ≤ i + Nk − Nq (the diagonal aligned
 * bottom-right, so the last query sees every key, as FlashAttention-2 and torch's
 * {@code is_causal} with a KV cache); a sliding window of W keys (causal, as Mistral's) also
 * requires j > i + Nk − Nq − W. Blocks wholly above the diagonal or outside the window are never
 * visited (the loops' bounds skip them); only the blocks the mask cuts are masked, so the blocks
 * below the diagonal run the unmasked loop.
 *
 * <p>The forward pass walks the keys in blocks of BN for each block of BM queries with an online
 * softmax (running maximum and sum, in base 2: the scale is folded into log2(e) · scale) and saves
 * the f32 log-sum-exp of each query's scores. The backward pass computes Δ = rowsum(dO ∘ O), then
 * per block of keys walks the queries of every head of its group, recomputing P from the saved
 * log-sum-exp: dK and dV stay in registers, and dQ is computed by programs of its own per block
 * of queries (deterministic, the default) or summed with f32 atomics.
 */
public final class FlashAttention {
    private FlashAttention() {}

    // ------------------------------------------------------------------ kernels

    @Kernel
    static void forward(Tile q, Tile k, Tile v, Tile o, Tile lse,
                        Tile sqb, Tile sqh, Tile sqn, Tile skb, Tile skh, Tile skn, Tile svb, Tile svh, Tile svn,
                        Tile sob, Tile soh, Tile son, Tile heads, Tile group, Tile nq, Tile nk, Tile scale, Tile window,
                        @Constexpr int D, @Constexpr int BM, @Constexpr int BN, @Constexpr boolean CAUSAL, @Constexpr boolean WINDOW,
                        @Constexpr boolean OVERLAP) {
        Tile bh = programId(1).to(I64), b = bh.div(heads), kvh = bh.rem(heads).div(group);
        Tile kBase = k.add(b.mul(skb).add(kvh.mul(skh))), vBase = v.add(b.mul(svb).add(kvh.mul(svh)));
        KeyBlocks blocks = new KeyBlocks() {
            @Override
            public Tile keysTransposed(Tile s, Tile cols, boolean masked) {
                Tile kPtr = kBase.add(arange(0, D).col()).add(cols.row().mul(skn));   // [D, BN]: kᵀ through strides
                return masked ? load(kPtr, cols.row().lt(nk), 0L) : load(kPtr);
            }

            @Override
            public Tile values(Tile s, Tile cols, boolean masked) {
                Tile vPtr = vBase.add(cols.col().mul(svn)).add(arange(0, D).row());
                return masked ? load(vPtr, cols.col().lt(nk), 0L) : load(vPtr);
            }
        };
        attend(q, o, lse, blocks, sqb, sqh, sqn, sob, soh, son, heads, nq, nk, scale, window, D, BM, BN, CAUSAL, WINDOW, OVERLAP);
    }

    /**
     * The forward pass with k and v read through tensor descriptors over their (B, Hkv, Nk, D)
     * views in blocks of [1, 1, BN, D]: on Hopper each step's blocks are copied by the
     * tensor-memory accelerator straight into wgmma's slots (K's transposed as it lands, read
     * K-major), with no per-thread addresses or masks (the unit reads zeros past Nk). Otherwise
     * {@link #forward}'s.
     */
    @Kernel
    static void forwardDescriptors(Tile q, TensorDesc k, TensorDesc v, Tile o, Tile lse, Tile sqb, Tile sqh, Tile sqn, Tile sob, Tile soh, Tile son,
                                   Tile heads, Tile group, Tile nq, Tile nk, Tile scale, Tile window,
                                   @Constexpr int D, @Constexpr int BM, @Constexpr int BN, @Constexpr boolean CAUSAL, @Constexpr boolean WINDOW,
                                   @Constexpr boolean OVERLAP) {
        Tile bh = programId(1).to(I32), b = bh.div(heads), kvh = bh.rem(heads).div(group);
        KeyBlocks blocks = new KeyBlocks() {
            @Override
            public Tile keysTransposed(Tile s, Tile cols, boolean masked) { return load(k, b, kvh, s, scalar(0)).reshape(BN, D).trans(); }

            @Override
            public Tile values(Tile s, Tile cols, boolean masked) { return load(v, b, kvh, s, scalar(0)).reshape(BN, D); }
        };
        attend(q, o, lse, blocks, sqb, sqh, sqn, sob, soh, son, heads, nq, nk, scale, window, D, BM, BN, CAUSAL, WINDOW, OVERLAP);
    }

    /**
     * The block of queries this program takes. Under a causal mask query block i sees about i + 1
     * blocks of keys, and the GPU starts programs in the order of their ids, so program 0 takes the
     * last block: the heaviest programs start first and the lightest fill the last wave, where in
     * order the last heavy ones ran on alone (one N 4k head of BM 128: 32 blocks of 1 to 32 steps).
     * (The backward pass's programs, one a block of keys, are heaviest first as they are.)
     */
    private static Tile queryBlock(boolean causal) { return causal ? numPrograms(0).sub(1).sub(programId(0)) : programId(0); }

    /**
     * Where a step's keys (transposed, [D, BN]) and values ([BN, D]) come from: the block starting at
     * key {@code s}, whose positions are {@code cols}; 0 past Nk when {@code masked}.
     */
    private interface KeyBlocks {
        Tile keysTransposed(Tile s, Tile cols, boolean masked);

        Tile values(Tile s, Tile cols, boolean masked);
    }

    /** The forward pass of one block of BM queries over its keys, from {@code blocks}; the output and log-sum-exp stored. */
    private static void attend(Tile q, Tile o, Tile lse, KeyBlocks blocks, Tile sqb, Tile sqh, Tile sqn, Tile sob, Tile soh, Tile son,
                               Tile heads, Tile nq, Tile nk, Tile scale, Tile window, int D, int BM, int BN, boolean CAUSAL, boolean WINDOW,
                               boolean OVERLAP) {
        Tile bh = programId(1).to(I64), b = bh.div(heads), h = bh.rem(heads);
        Tile m0 = queryBlock(CAUSAL).mul(BM);
        Tile rm = m0.add(arange(0, BM)), rd = arange(0, D);
        Tile qt = load(q.add(b.mul(sqb).add(h.mul(sqh))).add(rm.col().mul(sqn)).add(rd.row()), rm.col().lt(nq), 0L);
        Tile qkScale = scale.mul(LOG2E);   // scores in base 2: exp(x · scale) = exp2(x · scale · log2 e)
        Tile diagonal = nk.sub(nq);         // query i sees key j ≤ i + diagonal
        Tile[] bounds = keyBounds(m0, nk, diagonal, window, BM, BN, CAUSAL, WINDOW);
        Tile start = bounds[0], fullEnd = bounds[1], end = bounds[2];
        Var m = var(full(F32, Double.NEGATIVE_INFINITY, BM)), l = var(zeros(F32, BM)), acc = var(zeros(F32, BM, D));
        Keys keys = new Keys(qt, blocks, qkScale, rm, nk, diagonal, window, BN, CAUSAL, WINDOW);
        if (OVERLAP) {
            // FlashAttention-3's order: each step multiplies its block's scores and the previous block's P·V, and
            // computes the softmax while P·V runs on the tensor cores. The first block's probabilities come first
            // (masked: it may be cut, or hold no key the queries see, which gives P = 0), the last block's P·V last,
            // each in a loop of one step, so that its blocks are copied into slots as the other steps' are (on
            // Hopper a descriptor's loads are either all copied into wgmma's slots, or none: it has one tensor map)
            Var p = var(zeros(qt.elementType(), BM, BN));
            for (Tile s : range(start, start.add(1), BN)) p.set(keys.probabilities(s, true, m, l));
            for (Tile s : range(start.add(BN), fullEnd, BN)) keys.overlappedStep(s, false, m, l, acc, p);
            for (Tile s : range(maximum(fullEnd, start.add(BN)), end, BN)) keys.overlappedStep(s, true, m, l, acc, p);
            Tile last = maximum(start, end.sub(1).div(BN).mul(BN));   // the last block visited (start when none followed it)
            for (Tile s : range(last, last.add(1), BN)) acc.set(keys.valuesProduct(p.get(), s, true, acc.get()));
        } else {
            // FlashAttention-2's order, where dots are synchronous and nothing would overlap: carrying P into the
            // next step only takes registers (sm_80, ptxas: the D 128 forward spilled 52 bytes in the other order, 4 in this)
            for (Tile s : range(start, fullEnd, BN)) keys.step(s, false, m, l, acc);
            for (Tile s : range(fullEnd, end, BN)) keys.step(s, true, m, l, acc);
        }
        // a query that sees no key (causal with Nq > Nk) gets zeros and a log-sum-exp of -inf
        Tile lv = l.get(), seen = lv.gt(0.0);
        store(o.add(b.mul(sob).add(h.mul(soh))).add(rm.col().mul(son)).add(rd.row()), acc.get().div(where(seen, lv, 1.0).col()), rm.col().lt(nq));
        store(lse.add(bh.mul(nq)).add(rm), m.get().add(log2(lv)).mul(LN2), rm.lt(nq));
    }

    /**
     * The keys the queries [m0, m0 + BM) see, as block starts: {start, fullEnd, end}, where the
     * blocks in [start, fullEnd) are seen whole by every query (no mask) and those in
     * [fullEnd, end) are cut by the diagonal, the window or the end of the keys.
     */
    private static Tile[] keyBounds(Tile m0, Tile nk, Tile diagonal, Tile window, int bm, int bn, boolean causal, boolean slide) {
        Tile end, fullEnd, start = scalar(0);
        if (causal) {
            end = minimum(nk, maximum(m0.add(bm).add(diagonal), 0));                              // past the last key the block's last query sees
            fullEnd = minimum(end, maximum(m0.add(diagonal).add(1), 0).div(bn).mul(bn));          // the keys the block's first query sees
        } else {
            end = nk;
            fullEnd = nk.div(bn).mul(bn);
        }
        if (slide) {   // every visited block may cut the window's edge: all are masked
            start = minimum(maximum(m0.add(diagonal).sub(window).add(1), 0).div(bn).mul(bn), end);
            fullEnd = start;
        }
        return new Tile[] {start, fullEnd, end};
    }

    /** What the forward pass's steps over blocks of keys share: the queries, where the keys come from, the masks. */
    private record Keys(Tile qt, KeyBlocks blocks, Tile qkScale, Tile rows, Tile nk, Tile diagonal, Tile window, int bn, boolean causal, boolean slide) {

        /** The scores of keys [s, s + BN). */
        private Tile scores(Tile s, boolean masked) { return dot(qt, blocks.keysTransposed(s, s.add(arange(0, bn)), masked)); }

        /** {@code scores} of keys [s, s + BN), -inf where masked when {@code masked} (the block cuts a mask or the end of the keys). */
        private Tile masked(Tile scores, Tile s, boolean masked) {
            if (!masked) return scores;
            return where(visible(rows.col(), s.add(arange(0, bn)).row(), nk, diagonal, window, causal, slide), scores, Double.NEGATIVE_INFINITY);
        }

        /** P of keys [s, s + BN) in the inputs' type, the running maximum and sum updated (the first block's: nothing to rescale yet). */
        Tile probabilities(Tile s, boolean masked, Var m, Var l) {
            return softmax(masked(scores(s, masked), s, masked), qkScale, masked, m, l)[0].to(qt.elementType());
        }

        /** acc + P·V of the values [s, s + BN). */
        Tile valuesProduct(Tile p, Tile s, boolean masked, Tile acc) { return dot(p, blocks.values(s, s.add(arange(0, bn)), masked), acc); }

        /** One step at keys [s, s + BN) in FlashAttention-2's order: the scores, their softmax, then acc rescaled plus P·V. */
        void step(Tile s, boolean masked, Var m, Var l, Var acc) {
            onlineSoftmax(masked(scores(s, masked), s, masked), qkScale, masked, () -> blocks.values(s, s.add(arange(0, bn)), masked),
                    qt.elementType(), m, l, acc);
        }

        /**
         * One step at keys [s, s + BN) in FlashAttention-3's order: their scores and the previous block's
         * P·V are issued together, the scores' softmax runs while P·V is still multiplying, then P·V is
         * rescaled to the new maximum; {@code p} becomes this block's P.
         */
        void overlappedStep(Tile s, boolean masked, Var m, Var l, Var acc, Var p) {
            Tile scores = scores(s, masked);
            Tile product = valuesProduct(p.get(), s.sub(bn), masked, acc.get());
            Tile[] pAlpha = softmax(masked(scores, s, masked), qkScale, masked, m, l);
            acc.set(product.mul(pAlpha[1].col()));
            p.set(pAlpha[0].to(qt.elementType()));
        }
    }

    /**
     * The online softmax's update by one block in base 2: the running maximum m and sum l of each
     * row updated by the block's unscaled {@code scores} [rows, BN] (-inf where masked); returns the
     * block's probabilities P (f32) and alpha, the factor that rescales what was summed before to the
     * new maximum.
     */
    static Tile[] softmax(Tile scores, Tile qkScale, boolean masked, Var m, Var l) {
        // the scale is positive, so the largest scaled score is the largest score scaled (rounding is monotonic)
        Tile mNew = maximum(m.get(), max(scores, 1).mul(qkScale));
        // what the exponentials subtract: the new maximum, or 0 for a row that sees no key yet (-inf − -inf is NaN)
        Tile shift = masked ? where(mNew.eq(Double.NEGATIVE_INFINITY), 0.0, mNew) : mNew;
        // scale and shift in one fma; p ≤ 1 (to an ulp) with a term of each row 1, so the terms fastExp2
        // flushes (below 2^-126) do not count in l or in P·V
        Tile p = fastExp2(fma(scores, qkScale, shift.col().neg())), alpha = fastExp2(m.get().sub(shift));
        l.set(l.get().mul(alpha).add(sum(p, 1)));
        m.set(mNew);
        return new Tile[] {p, alpha};
    }

    /**
     * One block of the online softmax on the tensor cores, in FlashAttention-2's order (flash-decoding's
     * dot path): {@link #softmax}, then acc = acc · alpha + P·V with the values [BN, D], which
     * {@code values} loads after the exponentials, P rounded to {@code dtype}.
     */
    static void onlineSoftmax(Tile scores, Tile qkScale, boolean masked, Supplier<Tile> values, DType dtype, Var m, Var l, Var acc) {
        Tile[] pAlpha = softmax(scores, qkScale, masked, m, l);
        Tile v = values.get();
        acc.set(dot(pAlpha[0].to(dtype), v, acc.get().mul(pAlpha[1].col())));
    }

    /** Whether query i sees key j: j < Nk, and j ≤ i + diagonal when causal, and j > i + diagonal − window with a window. */
    private static Tile visible(Tile i, Tile j, Tile nk, Tile diagonal, Tile window, boolean causal, boolean slide) {
        Tile ok = j.lt(nk);
        if (causal) ok = ok.and(j.le(i.add(diagonal)));
        if (slide) ok = ok.and(j.gt(i.add(diagonal).sub(window)));
        return ok;
    }

    /** Δ[b, h, i] = Σ_d dO[b, h, i, d] · O[b, h, i, d] in f32, the backward pass's row term. */
    @Kernel
    static void delta(Tile o, Tile dO, Tile delta, Tile sob, Tile soh, Tile son, Tile sdb, Tile sdh, Tile sdn, Tile heads, Tile nq,
                      @Constexpr int D, @Constexpr int BM) {
        Tile bh = programId(1).to(I64), b = bh.div(heads), h = bh.rem(heads);
        Tile rm = programId(0).mul(BM).add(arange(0, BM)), rd = arange(0, D), mask = rm.col().lt(nq);
        Tile ot = load(o.add(b.mul(sob).add(h.mul(soh))).add(rm.col().mul(son)).add(rd.row()), mask, 0L).to(F32);
        Tile gradOut = load(dO.add(b.mul(sdb).add(h.mul(sdh))).add(rm.col().mul(sdn)).add(rd.row()), mask, 0L).to(F32);
        store(delta.add(bh.mul(nq)).add(rm), sum(ot.mul(gradOut), 1), rm.lt(nq));
    }

    /**
     * dK and dV of one block of BN keys of one key/value head, over the queries of every head of its
     * group; with ATOMIC_DQ, dQ summed into the f32 {@code dqAcc} [B, Hq, Nq, D] (contiguous) with
     * atomics (else {@code dq} computes it).
     */
    @Kernel
    static void backward(Tile q, Tile k, Tile v, Tile dO, Tile lse, Tile delta, Tile dqAcc, Tile dk, Tile dv,
                         Tile sqb, Tile sqh, Tile sqn, Tile skb, Tile skh, Tile skn, Tile svb, Tile svh, Tile svn,
                         Tile sdb, Tile sdh, Tile sdn, Tile sdkb, Tile sdkh, Tile sdkn, Tile sdvb, Tile sdvh, Tile sdvn,
                         Tile heads, Tile group, Tile nq, Tile nk, Tile scale, Tile window,
                         @Constexpr int D, @Constexpr int BM, @Constexpr int BN, @Constexpr boolean CAUSAL, @Constexpr boolean WINDOW,
                         @Constexpr boolean ATOMIC_DQ) {
        // rows past Nq load zeros (q, dO, lse, Δ), so their P·dO and dS vanish without a mask. q and dO are
        // loaded once in each orientation the products read them in ([BM, D] and [D, BM] through strides):
        // a load whose one user is a dot is copied into shared memory ahead (pipelined), a load that also
        // feeds a transpose was staged through registers every step
        QueryBlocks blocks = (b, h, m0, rm) -> {
            Tile rd = arange(0, D), rows = rm.col().lt(nq);
            Tile qPtr = q.add(b.mul(sqb).add(h.mul(sqh))), dOPtr = dO.add(b.mul(sdb).add(h.mul(sdh)));
            return new Tile[] {load(qPtr.add(rm.col().mul(sqn)).add(rd.row()), rows, 0L),                           // [BM, D]
                    load(qPtr.add(rd.col()).add(rm.row().mul(sqn)), rm.row().lt(nq), 0L),                              // [D, BM]
                    load(dOPtr.add(rm.col().mul(sdn)).add(rd.row()), rows, 0L),
                    load(dOPtr.add(rd.col()).add(rm.row().mul(sdn)), rm.row().lt(nq), 0L)};
        };
        // relaxed: only the convert kernel reads the sums, after this launch; on sm_90 vectors of 4 f32 (red.v4)
        DqSums sums = (b, h, bh, m0, rm, dq) -> atomicAdd(dqAcc.add(bh.mul(nq).add(rm.col()).mul(D)).add(arange(0, D).row()), dq, rm.col().lt(nq),
                MemoryOrder.Semantic.RELAXED, MemoryOrder.Scope.GPU);
        keyBlock(k, v, lse, delta, ATOMIC_DQ ? sums : null, dk, dv, blocks, skb, skh, skn, svb, svh, svn, sdkb, sdkh, sdkn, sdvb, sdvh, sdvn, heads, group, nq, nk,
                scale, window, D, BM, BN, CAUSAL, WINDOW);
    }

    /**
     * {@link #backward} with q and dO read through tensor descriptors over their (B, Hq, Nq, D)
     * views in blocks of [1, 1, BM, D], each block once and read as it lies and transposed (on
     * Hopper, TMA copies into wgmma's slots, one slot a block for both of its products, zeros past
     * Nq, no per-thread addresses), and with ATOMIC_DQ, dQ
     * added into the f32 sums through {@code dqAcc}'s blocks of [1, 1, BM, D] (on Hopper one bulk
     * reduction a block, which no thread waits for; without ATOMIC_DQ any descriptor stands in).
     */
    @Kernel
    static void backwardDescriptors(TensorDesc q, Tile k, Tile v, TensorDesc dO, Tile lse, Tile delta, TensorDesc dqAcc, Tile dk, Tile dv,
                                    Tile skb, Tile skh, Tile skn, Tile svb, Tile svh, Tile svn,
                                    Tile sdkb, Tile sdkh, Tile sdkn, Tile sdvb, Tile sdvh, Tile sdvn,
                                    Tile heads, Tile group, Tile nq, Tile nk, Tile scale, Tile window,
                                    @Constexpr int D, @Constexpr int BM, @Constexpr int BN, @Constexpr boolean CAUSAL, @Constexpr boolean WINDOW,
                                    @Constexpr boolean ATOMIC_DQ) {
        QueryBlocks blocks = (b, h, m0, rm) -> {
            Tile bi = b.to(I32), hi = h.to(I32), zero = scalar(0);
            Tile qb = load(q, bi, hi, m0, zero).reshape(BM, D), dOb = load(dO, bi, hi, m0, zero).reshape(BM, D);
            return new Tile[] {qb, qb.trans(), dOb, dOb.trans()};
        };
        // rows past Nq fall outside the tensor and are dropped. The copy unit faults on a block that starts before the
        // tensor, so the compiler adds by bulk reductions only where it knows the offsets non-negative (else masked
        // atomics), and from the sizes' arithmetic it cannot: the kernel says so
        DqSums sums = (b, h, bh, m0, rm, dq) -> {
            Tile bi = b.to(I32), hi = h.to(I32), mi = m0.to(I32);
            assume(bi.ge(0));
            assume(hi.ge(0));
            assume(mi.ge(0));
            atomicAdd(dqAcc, at(bi, hi, mi, scalar(0)), dq.reshape(1, 1, BM, D));
        };
        keyBlock(k, v, lse, delta, ATOMIC_DQ ? sums : null, dk, dv, blocks, skb, skh, skn, svb, svh, svn, sdkb, sdkh, sdkn, sdvb, sdvh, sdvn, heads, group, nq, nk,
                scale, window, D, BM, BN, CAUSAL, WINDOW);
    }

    /** Where a backward step adds its block of dQ [BM, D] (batch b, head h, bh = b·Hq + h, rows rm from m0) into the f32 sums. */
    @FunctionalInterface
    private interface DqSums {
        void add(Tile b, Tile h, Tile bh, Tile m0, Tile rm, Tile dq);
    }

    /**
     * Where a backward step's queries and output gradients come from, for batch b, head h and the
     * rows rm starting at m0 (zeros past Nq): q [BM, D], qᵀ [D, BM], dO [BM, D], dOᵀ [D, BM].
     */
    @FunctionalInterface
    private interface QueryBlocks {
        Tile[] load(Tile b, Tile h, Tile m0, Tile rm);
    }

    /** The backward pass of one block of BN keys: dK and dV over the queries {@code source} gives (and dQ into {@code dqSums} unless null). */
    private static void keyBlock(Tile k, Tile v, Tile lse, Tile delta, DqSums dqSums, Tile dk, Tile dv, QueryBlocks source,
                                 Tile skb, Tile skh, Tile skn, Tile svb, Tile svh, Tile svn,
                                 Tile sdkb, Tile sdkh, Tile sdkn, Tile sdvb, Tile sdvh, Tile sdvn,
                                 Tile heads, Tile group, Tile nq, Tile nk, Tile scale, Tile window,
                                 int D, int BM, int BN, boolean CAUSAL, boolean WINDOW) {
        Tile kvHeads = heads.div(group);
        Tile bkv = programId(1).to(I64), b = bkv.div(kvHeads), kvh = bkv.rem(kvHeads);
        Tile n0 = programId(0).mul(BN);
        Tile rn = n0.add(arange(0, BN)), rd = arange(0, D), keyRows = rn.col().lt(nk);
        Tile kt = load(k.add(b.mul(skb).add(kvh.mul(skh))).add(rn.col().mul(skn)).add(rd.row()), keyRows, 0L);   // [BN, D]
        Tile vt = load(v.add(b.mul(svb).add(kvh.mul(svh))).add(rn.col().mul(svn)).add(rd.row()), keyRows, 0L);
        Tile diagonal = nk.sub(nq), blocks = cdiv(nq, BM);
        // query blocks [first, full) cut the diagonal or the window and are masked; [full, last) see every key of this block
        Tile first, full, last = blocks;
        if (CAUSAL) {
            first = minimum(maximum(n0.sub(diagonal), 0).div(BM), blocks);                              // holds the first query that sees key n0
            full = maximum(first, minimum(cdiv(maximum(n0.add(BN - 1).sub(diagonal), 0), BM), blocks));    // its first query sees key n0 + BN - 1
        } else {
            first = full = scalar(0);
        }
        if (WINDOW) {
            last = maximum(first, minimum(cdiv(maximum(n0.add(BN - 1).sub(diagonal).add(window), 0), BM), blocks));   // past the last query seeing n0 + BN - 1
            full = last;
        }
        Var dkAcc = var(zeros(F32, BN, D)), dvAcc = var(zeros(F32, BN, D));
        Queries queries = new Queries(source, lse, delta, dqSums, b, kvh, group, heads, nq, nk, scale, kt, vt, rn,
                diagonal, window, BM, CAUSAL, WINDOW);
        // one flat loop over (head of the group, query block), so each is one pipelinable loop
        Tile masked = full.sub(first), unmasked = last.sub(full);
        if (CAUSAL) {
            for (Tile t : range(scalar(0), group.mul(masked))) queries.step(t.div(masked), first.add(t.rem(masked)), true, dkAcc, dvAcc);
        }
        if (!WINDOW) {
            for (Tile t : range(scalar(0), group.mul(unmasked))) queries.step(t.div(unmasked), full.add(t.rem(unmasked)), false, dkAcc, dvAcc);
        }
        store(dk.add(b.mul(sdkb).add(kvh.mul(sdkh))).add(rn.col().mul(sdkn)).add(rd.row()), dkAcc.get().mul(scale), keyRows);
        store(dv.add(b.mul(sdvb).add(kvh.mul(sdvh))).add(rn.col().mul(sdvn)).add(rd.row()), dvAcc.get(), keyRows);
    }

    /** What the backward pass's steps over blocks of queries share: the program's keys, where the queries and their gradients are, the masks. */
    private record Queries(QueryBlocks blocks, Tile lse, Tile delta, DqSums dqSums,
                           Tile b, Tile kvh, Tile group, Tile heads, Tile nq, Tile nk, Tile scale, Tile kt, Tile vt, Tile keys,
                           Tile diagonal, Tile window, int bm, boolean causal, boolean slide) {

        /** Query block {@code mb} of head {@code g} of the group against the program's keys: adds to dK, dV and dQ. */
        void step(Tile g, Tile mb, boolean masked, Var dkAcc, Var dvAcc) {
            Tile h = kvh.mul(group).add(g), bh = b.mul(heads).add(h);
            Tile m0 = mb.mul(bm), rm = m0.add(arange(0, bm));
            Tile[] loaded = blocks.load(b, h, m0, rm);
            Tile qt = loaded[0], qT = loaded[1], gradOut = loaded[2], gradOutT = loaded[3];
            Tile lse2 = load(lse.add(bh.mul(nq)).add(rm), rm.lt(nq), 0.0).mul(LOG2E);
            Tile dRow = load(delta.add(bh.mul(nq)).add(rm), rm.lt(nq), 0.0);
            Tile sT = dot(kt, qT);                                                                                  // [BN, BM]
            // keys past Nk must give P = 0: their scores are 0, and exp2(0 − lse) overflows where every real score is very negative
            Tile seen = masked ? visible(rm.row(), keys.col(), nk, diagonal, window, causal, slide) : keys.col().lt(nk);
            Tile pT = where(seen, fastExp2(fma(sT, scale.mul(LOG2E), lse2.row().neg())), 0.0);   // P as the forward pass made it
            DType in = qt.elementType();
            dvAcc.set(dot(pT.to(in), gradOut, dvAcc.get()));
            Tile dsT = pT.mul(dot(vt, gradOutT).sub(dRow.row()));                                                  // [BN, BM]
            dkAcc.set(dot(dsT.to(in), qt, dkAcc.get()));
            if (dqSums != null) dqSums.add(b, h, bh, m0, rm, dot(trans(dsT).to(in), kt).mul(scale));                 // dQ [BM, D]
        }
    }

    /**
     * dQ of one block of BM queries of one head, deterministically: the keys its queries see are
     * walked as in the forward pass, P and dP recomputed (two more products than the atomic path's
     * dQ = dS·K in {@link #backward}, and no atomics, so equal inputs give equal bits).
     */
    @Kernel
    static void dq(Tile q, Tile k, Tile v, Tile dO, Tile lse, Tile delta, Tile dq,
                   Tile sqb, Tile sqh, Tile sqn, Tile skb, Tile skh, Tile skn, Tile svb, Tile svh, Tile svn,
                   Tile sdb, Tile sdh, Tile sdn, Tile sgb, Tile sgh, Tile sgn, Tile heads, Tile group, Tile nq, Tile nk, Tile scale, Tile window,
                   @Constexpr int D, @Constexpr int BM, @Constexpr int BN, @Constexpr boolean CAUSAL, @Constexpr boolean WINDOW) {
        Tile bh = programId(1).to(I64), b = bh.div(heads), kvh = bh.rem(heads).div(group);
        Tile kBase = k.add(b.mul(skb).add(kvh.mul(skh))), vBase = v.add(b.mul(svb).add(kvh.mul(svh)));
        // K in both orientations, each load read by one product only (so both are pipelined; see backward)
        KeyGradBlocks blocks = (s, cols, masked) -> {
            Tile rd = arange(0, D);
            Tile kPtr = kBase.add(cols.col().mul(skn)).add(rd.row()), vPtr = vBase.add(rd.col()).add(cols.row().mul(svn));
            Tile kTPtr = kBase.add(rd.col()).add(cols.row().mul(skn));
            return new Tile[] {masked ? load(kPtr, cols.col().lt(nk), 0L) : load(kPtr),          // [BN, D]
                    masked ? load(kTPtr, cols.row().lt(nk), 0L) : load(kTPtr),                    // [D, BN]: kᵀ through strides
                    masked ? load(vPtr, cols.row().lt(nk), 0L) : load(vPtr)};                     // [D, BN]: vᵀ through strides
        };
        queryBlockGradient(q, dO, lse, delta, dq, blocks, sqb, sqh, sqn, sdb, sdh, sdn, sgb, sgh, sgn, heads, nq, nk, scale, window, D, BM, BN,
                CAUSAL, WINDOW);
    }

    /**
     * {@link #dq} with k and v read through tensor descriptors over their (B, Hkv, Nk, D) views in
     * blocks of [1, 1, BN, D] (K twice: as it lies and transposed; V transposed).
     */
    @Kernel
    static void dqDescriptors(Tile q, TensorDesc k, TensorDesc v, Tile dO, Tile lse, Tile delta, Tile dq,
                              Tile sqb, Tile sqh, Tile sqn, Tile sdb, Tile sdh, Tile sdn, Tile sgb, Tile sgh, Tile sgn,
                              Tile heads, Tile group, Tile nq, Tile nk, Tile scale, Tile window,
                              @Constexpr int D, @Constexpr int BM, @Constexpr int BN, @Constexpr boolean CAUSAL, @Constexpr boolean WINDOW) {
        Tile bh = programId(1).to(I32), b = bh.div(heads), kvh = bh.rem(heads).div(group), zero = scalar(0);
        // k's block once, read as it lies and transposed (one slot for both products)
        KeyGradBlocks blocks = (s, cols, masked) -> {
            Tile kb = load(k, b, kvh, s, zero).reshape(BN, D);
            return new Tile[] {kb, kb.trans(), load(v, b, kvh, s, zero).reshape(BN, D).trans()};
        };
        queryBlockGradient(q, dO, lse, delta, dq, blocks, sqb, sqh, sqn, sdb, sdh, sdn, sgb, sgh, sgn, heads, nq, nk, scale, window, D, BM, BN,
                CAUSAL, WINDOW);
    }

    /** Where a dQ step's keys come from, for the block starting at key s with positions cols (zeros past Nk when masked): K [BN, D], Kᵀ, Vᵀ [D, BN]. */
    @FunctionalInterface
    private interface KeyGradBlocks {
        Tile[] load(Tile s, Tile cols, boolean masked);
    }

    /** dQ of this program's block of BM queries of one head over the keys {@code blocks} gives, stored into dq. */
    private static void queryBlockGradient(Tile q, Tile dO, Tile lse, Tile delta, Tile dq, KeyGradBlocks blocks,
                                           Tile sqb, Tile sqh, Tile sqn, Tile sdb, Tile sdh, Tile sdn, Tile sgb, Tile sgh, Tile sgn,
                                           Tile heads, Tile nq, Tile nk, Tile scale, Tile window, int D, int BM, int BN, boolean CAUSAL, boolean WINDOW) {
        Tile bh = programId(1).to(I64), b = bh.div(heads), h = bh.rem(heads);
        Tile m0 = queryBlock(CAUSAL).mul(BM);
        Tile rm = m0.add(arange(0, BM)), rd = arange(0, D), rows = rm.col().lt(nq);
        Tile qt = load(q.add(b.mul(sqb).add(h.mul(sqh))).add(rm.col().mul(sqn)).add(rd.row()), rows, 0L);
        Tile gradOut = load(dO.add(b.mul(sdb).add(h.mul(sdh))).add(rm.col().mul(sdn)).add(rd.row()), rows, 0L);
        Tile lse2 = load(lse.add(bh.mul(nq)).add(rm), rm.lt(nq), 0.0).mul(LOG2E);
        Tile dRow = load(delta.add(bh.mul(nq)).add(rm), rm.lt(nq), 0.0);
        Tile diagonal = nk.sub(nq);
        Tile[] bounds = keyBounds(m0, nk, diagonal, window, BM, BN, CAUSAL, WINDOW);
        Var acc = var(zeros(F32, BM, D));
        GradKeys keys = new GradKeys(qt, gradOut, lse2, dRow, blocks, scale.mul(LOG2E), rm, nk, diagonal, window, BN, CAUSAL, WINDOW);
        for (Tile s : range(bounds[0], bounds[1], BN)) keys.step(s, false, acc);
        for (Tile s : range(bounds[1], bounds[2], BN)) keys.step(s, true, acc);
        store(dq.add(b.mul(sgb).add(h.mul(sgh))).add(rm.col().mul(sgn)).add(rd.row()), acc.get().mul(scale), rows);
    }

    /** What the dQ kernel's steps over blocks of keys share. */
    private record GradKeys(Tile qt, Tile gradOut, Tile lse2, Tile dRow, KeyGradBlocks blocks, Tile qkScale, Tile rows,
                            Tile nk, Tile diagonal, Tile window, int bn, boolean causal, boolean slide) {

        /** dQ += dS·K over keys [s, s + BN), dS = P ∘ (dO·Vᵀ − Δ) with P from the saved log-sum-exp. */
        void step(Tile s, boolean masked, Var acc) {
            Tile cols = s.add(arange(0, bn));
            Tile[] loaded = blocks.load(s, cols, masked);
            Tile kt = loaded[0], kT = loaded[1], vT = loaded[2];
            // both products of the step's inputs first: on Hopper the exponentials run while dP multiplies
            Tile scores = dot(qt, kT), dp = dot(gradOut, vT);
            Tile p = fastExp2(fma(scores, qkScale, lse2.col().neg()));   // P as the forward pass made it
            // a query that sees no key has lse = -inf, and such queries appear only in masked blocks
            if (masked) p = where(visible(rows.col(), cols.row(), nk, diagonal, window, causal, slide), p, 0.0);
            Tile ds = p.mul(dp.sub(dRow.col()));
            acc.set(dot(ds.to(qt.elementType()), kt, acc.get()));
        }
    }

    /**
     * dst = src converted to dst's dtype, both [B, H, N, D]; src contiguous, dst through strides; src
     * is left zero, ready for the next backward pass's sums (a {@link Workspace} is reused).
     */
    @Kernel
    static void convert(Tile src, Tile dst, Tile sb, Tile sh, Tile sn, Tile heads, Tile n, @Constexpr int D, @Constexpr int BM) {
        Tile bh = programId(1).to(I64), b = bh.div(heads), h = bh.rem(heads);
        Tile rm = programId(0).mul(BM).add(arange(0, BM)), rd = arange(0, D), mask = rm.col().lt(n);
        Tile srcPtr = src.add(bh.mul(n).add(rm.col()).mul(D)).add(rd.row());
        store(dst.add(b.mul(sb).add(h.mul(sh))).add(rm.col().mul(sn)).add(rd.row()), load(srcPtr, mask, 0.0), mask);
        store(srcPtr, 0.0, mask);
    }

    public static final JitKernel FORWARD = Jit.kernel(FlashAttention.class, "forward");
    public static final JitKernel FORWARD_DESCRIPTORS = Jit.kernel(FlashAttention.class, "forwardDescriptors");
    public static final JitKernel DELTA = Jit.kernel(FlashAttention.class, "delta");
    public static final JitKernel BACKWARD = Jit.kernel(FlashAttention.class, "backward");
    public static final JitKernel DQ = Jit.kernel(FlashAttention.class, "dq");
    public static final JitKernel BACKWARD_DESCRIPTORS = Jit.kernel(FlashAttention.class, "backwardDescriptors");
    public static final JitKernel DQ_DESCRIPTORS = Jit.kernel(FlashAttention.class, "dqDescriptors");
    public static final JitKernel CONVERT = Jit.kernel(FlashAttention.class, "convert");

    // ------------------------------------------------------------------ configs and options

    /**
     * The blocking of one pass: BM queries and BN keys a step, warps and pipeline stages. The
     * backward pass's program holds a block of BN keys and walks queries BM at a time.
     */
    public record Config(int bm, int bn, int warps, int stages) {
        public Config {
            for (int blk : new int[] {bm, bn}) {
                if (blk < 16 || Integer.bitCount(blk) != 1) {
                    throw new IllegalArgumentException("attention config " + bm + "x" + bn + ": blocks must be powers of 2 of at least 16 (dot multiplies 16x16 pieces)");
                }
            }
            new dev.tessera.backend.LaunchOptions(warps, stages);   // checks warps and stages with their own messages
        }

        @Override
        public String toString() { return "BM=" + bm + ",BN=" + bn + ",warps=" + warps + ",stages=" + stages; }

        /** This blocking as an autotuner config. */
        public dev.tessera.autotune.Config toTuned() { return dev.tessera.autotune.Config.of("BM", bm, "BN", bn).warps(warps).stages(stages); }

        // The GPU blockings are the fastest measured on an H200 (f16, B·N = 16k, N 4k; bench/NOTES.md),
        // among those ptxas assembles for sm_90a without spilling where one that fast does not spill
        // (FlashAttentionPtxasTest): warps own whole rows of the scores, so BM 128 at 8 warps gives
        // each warp 16 rows and an f32 accumulator of 16 x D.

        /** The forward pass's blocking for head dimension {@code d} on {@code device}: H100/H200 sizes on a GPU, small tiles on the CPU. */
        public static Config forward(int d, Device device) { return forward(d, device, false); }

        /** As {@link #forward(int, Device)}, for causal attention or not (a causal pass has two key loops, and more registers). */
        public static Config forward(int d, Device device, boolean causal) {
            if (device.backend().equals("cpu")) return new Config(64, 64, 4, 1);
            // the tuner's pick at D 64 and 128 (D 128: 471.4 TFLOP/s, 432.9 at 128x64 with 3 stages), which spills
            // 20 bytes at D 128 when causal
            if (d <= 64 || (d <= 128 && !causal)) return new Config(128, 128, 8, 2);
            if (d <= 128) return new Config(128, 64, 8, 3);
            return new Config(64, 32, 8, 2);   // D 256: spills 12 bytes, the least of the blockings tried
        }

        /** The backward pass's blocking: BN keys held (dK and dV accumulate in registers), BM queries a step. */
        public static Config backward(int d, Device device) { return backward(d, device, false, false); }

        /**
         * As {@link #backward(int, Device)}, for causal attention or not (a causal pass has two loops
         * over queries, and more registers), with dQ by atomics or not.
         */
        public static Config backward(int d, Device device, boolean causal, boolean atomicDq) {
            if (device.backend().equals("cpu")) return new Config(64, 64, 4, 1);
            // the atomics' dQ tile takes registers and shared memory besides (64x128 at D 128 needs 266 KB):
            // 32x64 on 4 warps, 18.5 TFLOP/s at D 128 on an H200, the atomics' traffic bounding it at any blocking
            if (atomicDq && d <= 128) return new Config(32, 64, 4, 2);
            // with the deterministic dQ: D 64 253.5 TFLOP/s (causal 235.3); D 128 301.0 at 64x128 on 8 warps, and causal
            // 250.2 at 32x64 on 4 warps, which spills 168 bytes there (the others tried spill more or ran slower)
            if (d <= 64) return new Config(64, 64, 4, 2);
            if (d <= 128) return causal ? new Config(32, 64, 4, 2) : new Config(64, 128, 8, 2);
            return new Config(16, 16, 4, 1);                  // D 256 spills 2 KB at every blocking tried (ptxas 13, sm_90a)
        }

        /** The deterministic dQ kernel's blocking: BM queries held, BN keys a step. */
        public static Config dq(int d, Device device) {
            if (device.backend().equals("cpu")) return new Config(64, 64, 4, 1);
            if (d <= 64) return new Config(64, 64, 4, 2);   // H200, D 64: with 128x32 on 8 warps the pass ran 0.83 times as fast
            if (d <= 128) return new Config(64, 32, 4, 2);
            return new Config(16, 16, 4, 1);
        }
    }

    /**
     * What to compute: causal or not, a sliding window of {@code window} keys (0 for none; a window
     * makes attention causal), the softmax scale (NaN for 1/√D); how: dQ {@code deterministic}ally
     * by programs of its own (the default: equal inputs give equal bits, and for two more products
     * per block pair it has no f32 atomics, which took 4 to 5 times as long on an H200: D 128 N 4k
     * 44.3 against 8.8 ms at one blocking), or by f32 atomics from the key-block programs; and the
     * blockings (null for {@link Config#forward}, {@link Config#backward}, {@link Config#dq}).
     */
    public record Options(boolean causal, int window, double scale, boolean deterministic, Config forwardConfig, Config backwardConfig, Config dqConfig) {
        public Options {
            checkScale(scale);
            if (window < 0) throw new IllegalArgumentException("a sliding window of " + window + " keys: give a positive window, or 0 for none");
            if (window > 0) causal = true;
        }

        /** Full attention with scale 1/√D, dQ deterministic. */
        public static final Options DEFAULT = new Options(false, 0, Double.NaN, true, null, null, null);

        /** Causal attention (aligned bottom-right) with scale 1/√D. */
        public static final Options CAUSAL = DEFAULT.withCausal(true);

        public Options withCausal(boolean c) { return new Options(c, window, scale, deterministic, forwardConfig, backwardConfig, dqConfig); }

        /** Each query sees its own position and the {@code w − 1} keys before it (implies causal). */
        public Options withWindow(int w) { return new Options(causal, w, scale, deterministic, forwardConfig, backwardConfig, dqConfig); }

        public Options withScale(double s) { return new Options(causal, window, s, deterministic, forwardConfig, backwardConfig, dqConfig); }

        /** dQ by programs of its own (true) or by atomics (false). */
        public Options withDeterministic(boolean d) { return new Options(causal, window, scale, d, forwardConfig, backwardConfig, dqConfig); }

        public Options withConfigs(Config forward, Config backward, Config dq) { return new Options(causal, window, scale, deterministic, forward, backward, dq); }

        double scaleFor(int d) { return Double.isNaN(scale) ? 1 / Math.sqrt(d) : scale; }
    }

    /**
     * A softmax scale must be positive and finite as the f32 the kernels get (NaN stands for 1/√D):
     * they take each row's maximum before scaling.
     */
    static void checkScale(double scale) {
        float f = (float) scale;
        if (!Double.isNaN(scale) && !(f > 0 && Float.isFinite(f))) {
            throw new IllegalArgumentException("the softmax scale must be positive and finite (or NaN for 1/√D), not " + scale);
        }
    }

    /**
     * What the forward pass saves for the backward: the inputs (not copies: keep them open and
     * unchanged until {@link #backward}), the output and the f32 log-sum-exp [B, Hq, Nq] of each
     * query's scaled scores (natural log; -inf for a query that sees no key). Closing it frees the
     * output and the log-sum-exp.
     */
    public record Context(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Options options) implements AutoCloseable {
        @Override
        public void close() {
            out.close();
            lse.close();
        }
    }

    /**
     * The backward pass's scratch memory for one problem, to reuse across calls (allocating it each
     * call costs a device allocation and free): Δ (f32 [B, Hq, Nq]) and, unless dQ is deterministic,
     * dQ's f32 sums [B, Hq, Nq, D], which each pass leaves zero for the next (null when deterministic).
     */
    public record Workspace(Tensor delta, Tensor dqSums) implements AutoCloseable {
        /** A workspace for the backward passes of {@code ctx}'s problem. */
        public static Workspace of(Context ctx) {
            Tensor q = ctx.q();
            long b = q.shape(0), h = q.shape(1), n = q.shape(2), d = q.shape(3);
            Tensor delta = Tensor.empty(DType.F32, q.device(), b, h, n);
            return new Workspace(delta, ctx.options().deterministic() ? null : Tensor.zeros(DType.F32, q.device(), b, h, n, d));
        }

        @Override
        public void close() {
            delta.close();
            if (dqSums != null) dqSums.close();
        }
    }

    /** dQ, dK and dV, in the inputs' dtypes and layouts. */
    public record Gradients(Tensor dq, Tensor dk, Tensor dv) implements AutoCloseable {
        @Override
        public void close() {
            dq.close();
            dk.close();
            dv.close();
        }
    }

    // ------------------------------------------------------------------ autotuned forward pass

    /**
     * Candidate forward blockings: {@link Config#forward}'s for the GPU first, then its neighbours in
     * Triton's fused-attention search space (BM 64 or 128, BN 32 to 128, 4 or 8 warps, 1 to 3
     * stages), and the CPU's. On a GPU a blocking that spills is slower, not wrong: the tuner times it.
     */
    public static final List<dev.tessera.autotune.Config> FORWARD_CONFIGS = List.of(
            new Config(128, 64, 8, 3).toTuned(), new Config(128, 64, 8, 2).toTuned(), new Config(128, 32, 8, 3).toTuned(),
            new Config(128, 128, 8, 2).toTuned(), new Config(128, 128, 8, 3).toTuned(), new Config(64, 64, 4, 3).toTuned(), new Config(64, 32, 4, 3).toTuned(),
            new Config(64, 64, 4, 1).toTuned());

    /** The forward pass's autotuner: keyed by dtype, lengths, heads and the mask; drops query blocks much longer than Nq. */
    public static final Autotuner FORWARD_TUNER = Autotuner.builder(FORWARD)
            .configs(FORWARD_CONFIGS)
            .key("q", "nq", "nk", "heads", "group", "D", "CAUSAL", "WINDOW", "OVERLAP")
            .prune((configs, a) -> {
                long nq = a.longValue("nq");
                List<dev.tessera.autotune.Config> kept = configs.stream().filter(c -> c.intValue("BM") <= Math.max(64, Heuristics.nextPowerOf2(nq))).toList();
                return kept.isEmpty() ? configs : kept;
            })
            .build();

    /** The forward pass into out and lse with the blocking tuned for these shapes (tuning on them if their key is new). */
    public static void forwardTuned(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Options options) {
        forwardTuned(FORWARD_TUNER, q, k, v, out, lse, options);
    }

    /** As {@link #forwardTuned(Tensor, Tensor, Tensor, Tensor, Tensor, Options)} with another tuner of {@link #FORWARD}. */
    public static void forwardTuned(Autotuner tuner, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Options options) {
        Shape s = Shape.of(q, k, v);
        s.requireLike("out", out, q.dtype(), s.hq, s.nq);
        s.requireLse(lse);
        tuner.launch(meta -> new int[] {cdiv(s.nq, (int) meta.get("BM")), s.b * s.hq}, forwardArgs(q, k, v, out, lse, options, s),
                Map.of("D", s.d, "CAUSAL", options.causal(), "WINDOW", options.window() > 0, "OVERLAP", overlapsSoftmax(q.device())));
    }

    private static Object[] forwardArgs(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Options options, Shape s) {
        return new Object[] {q, k, v, out, lse,
                i(q.stride(0)), i(q.stride(1)), i(q.stride(2)), i(k.stride(0)), i(k.stride(1)), i(k.stride(2)), i(v.stride(0)), i(v.stride(1)), i(v.stride(2)),
                i(out.stride(0)), i(out.stride(1)), i(out.stride(2)), s.hq, s.hq / s.hkv, s.nq, s.nk, (float) options.scaleFor(s.d), options.window()};
    }

    // ------------------------------------------------------------------ the API

    /** The forward pass with {@link Options#DEFAULT}: full attention, scale 1/√D. */
    public static Context forward(Tensor q, Tensor k, Tensor v) { return forward(q, k, v, Options.DEFAULT); }

    /** The forward pass: a new output in q's dtype and layout, and the saved context for {@link #backward}. */
    public static Context forward(Tensor q, Tensor k, Tensor v, Options options) {
        Shape s = Shape.of(q, k, v);
        Tensor out = emptyLike(q), lse = Tensor.empty(DType.F32, q.device(), s.b, s.hq, s.nq);
        try {
            forward(q, k, v, out, lse, options);
        } catch (RuntimeException e) {
            out.close();
            lse.close();
            throw e;
        }
        return new Context(q, k, v, out, lse, options);
    }

    /**
     * The forward pass into {@code out} (like q) and {@code lse} (f32 [B, Hq, Nq], contiguous):
     * {@link #forwardThroughDescriptors} where the device copies descriptors' blocks in hardware
     * (TMA on Hopper) and k and v can be described, else {@link #forwardThroughPointers}. (H100,
     * f16, N 4k / 16k, the same blockings, TFLOP/s through descriptors and pointers: D 128 562 / 616 and
     * 417 / 445, causal 423 / 487 and 392 / 455; D 64 393 / 437 and 338 / 375, causal 316 / 415 and 286 / 349.)
     */
    public static void forward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Options options) {
        Shape s = Shape.of(q, k, v);
        Config c = options.forwardConfig() != null ? options.forwardConfig() : Config.forward(s.d, q.device(), options.causal());
        if (describable(q.device(), c.bn(), s.d, k, v)) forwardThroughDescriptors(q, k, v, out, lse, options);
        else forwardThroughPointers(q, k, v, out, lse, options);
    }

    /** As {@link #forward(Tensor, Tensor, Tensor, Tensor, Tensor, Options)}, every block read through pointers ({@link #FORWARD}). */
    public static void forwardThroughPointers(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Options options) {
        forward(q, k, v, out, lse, options, overlapsSoftmax(q.device()));
    }

    /**
     * Whether the library reads {@code tensors} (B, H, N, D) through descriptors in blocks of [1, 1,
     * block, d] on {@code device}: where the device copies them in hardware and each keeps a
     * descriptor's rules (16-bit elements, rows 16-byte aligned, d a power of two).
     */
    private static boolean describable(Device device, int block, int d, Tensor... tensors) {
        return device.info().tensorCopies() && java.util.Arrays.stream(tensors).allMatch(t -> TensorDescriptor.of(t, 1, 1, block, d).valid());
    }

    /** As {@link #forwardThroughPointers}, in FlashAttention-3's order when {@code overlap}, else 2's. */
    static void forward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Options options, boolean overlap) {
        Shape s = Shape.of(q, k, v);
        s.requireLike("out", out, q.dtype(), s.hq, s.nq);
        s.requireLse(lse);
        Config c = options.forwardConfig() != null ? options.forwardConfig() : Config.forward(s.d, q.device(), options.causal());
        FORWARD.withOptions(c.warps(), c.stages()).launch(grid(cdiv(s.nq, c.bm()), s.b * s.hq),
                forwardArgs(q, k, v, out, lse, options, s), Map.of("D", s.d, "BM", c.bm(), "BN", c.bn(), "CAUSAL", options.causal(),
                        "WINDOW", options.window() > 0, "OVERLAP", overlap));
    }

    /**
     * Whether the forward pass on {@code device} runs in FlashAttention-3's order, the softmax of a
     * block computed while the previous block's P·V multiplies: where dots are asynchronous (wgmma).
     */
    static boolean overlapsSoftmax(Device device) { return device.info().asynchronousDots(); }

    /**
     * As {@link #forward(Tensor, Tensor, Tensor, Tensor, Tensor, Options)}, k and v read through
     * tensor descriptors ({@link #FORWARD_DESCRIPTORS}: on Hopper, TMA copies into wgmma's slots).
     * Their rows must be 16-byte aligned, as a descriptor's are (any (B, H, N, D) or (B, N, H, D)
     * layout of f16 or bf16 with a contiguous last dimension is).
     */
    public static void forwardThroughDescriptors(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Options options) {
        Shape s = Shape.of(q, k, v);
        s.requireLike("out", out, q.dtype(), s.hq, s.nq);
        s.requireLse(lse);
        Config c = options.forwardConfig() != null ? options.forwardConfig() : Config.forward(s.d, q.device(), options.causal());
        var kd = TensorDescriptor.of(k, 1, 1, c.bn(), s.d);
        var vd = TensorDescriptor.of(v, 1, 1, c.bn(), s.d);
        FORWARD_DESCRIPTORS.withOptions(c.warps(), c.stages()).launch(grid(cdiv(s.nq, c.bm()), s.b * s.hq),
                new Object[] {q, kd, vd, out, lse, i(q.stride(0)), i(q.stride(1)), i(q.stride(2)), i(out.stride(0)), i(out.stride(1)),
                        i(out.stride(2)), s.hq, s.hq / s.hkv, s.nq, s.nk, (float) options.scaleFor(s.d), options.window()},
                Map.of("D", s.d, "BM", c.bm(), "BN", c.bn(), "CAUSAL", options.causal(), "WINDOW", options.window() > 0,
                        "OVERLAP", overlapsSoftmax(q.device())));
    }

    /** dQ, dK, dV (new, in the inputs' dtypes and layouts) of the forward pass {@code ctx} for the output's gradient {@code dOut}. */
    public static Gradients backward(Context ctx, Tensor dOut) {
        Gradients g = new Gradients(emptyLike(ctx.q()), emptyLike(ctx.k()), emptyLike(ctx.v()));
        try {
            backward(ctx, dOut, g.dq(), g.dk(), g.dv());
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
        return g;
    }

    /** The backward pass into dq (like q), dk (like k) and dv (like v). */
    public static void backward(Context ctx, Tensor dOut, Tensor dq, Tensor dk, Tensor dv) {
        try (Workspace ws = Workspace.of(ctx)) {
            backward(ctx, dOut, dq, dk, dv, ws);
        }
    }

    /**
     * As {@link #backward(Context, Tensor, Tensor, Tensor, Tensor)} with scratch memory made for this
     * problem by {@link Workspace#of}: {@link #backwardThroughDescriptors} where D is 64 or less, the
     * device copies descriptors' blocks in hardware and the operands read through them can be
     * described, else {@link #backwardThroughPointers}. (H100, f16, deterministic dQ, N 4k / 16k,
     * TFLOP/s through descriptors and pointers: D 64 291 / 299 and 261 / 268, causal 252 / 274 and
     * 240 / 265; D 128 305 / 308 and 313 / 325, causal 258 / 274 and 263 / 281.)
     */
    public static void backward(Context ctx, Tensor dOut, Tensor dq, Tensor dk, Tensor dv, Workspace ws) { backward(ctx, dOut, dq, dk, dv, ws, null); }

    /** As {@link #backward(Context, Tensor, Tensor, Tensor, Tensor, Workspace)}, every block read through pointers. */
    public static void backwardThroughPointers(Context ctx, Tensor dOut, Tensor dq, Tensor dk, Tensor dv, Workspace ws) {
        backward(ctx, dOut, dq, dk, dv, ws, false);
    }

    /**
     * As {@link #backward(Context, Tensor, Tensor, Tensor, Tensor, Workspace)}, the key blocks'
     * pass reading q and dO, and the dQ pass k and v, through tensor descriptors
     * ({@link #BACKWARD_DESCRIPTORS}, {@link #DQ_DESCRIPTORS}: on Hopper, TMA copies into wgmma's slots).
     */
    public static void backwardThroughDescriptors(Context ctx, Tensor dOut, Tensor dq, Tensor dk, Tensor dv, Workspace ws) {
        backward(ctx, dOut, dq, dk, dv, ws, true);
    }

    /** The backward pass through descriptors or pointers, or ({@code throughDescriptors} null) the faster where measured. */
    private static void backward(Context ctx, Tensor dOut, Tensor dq, Tensor dk, Tensor dv, Workspace ws, Boolean throughDescriptors) {
        Tensor q = ctx.q(), k = ctx.k(), v = ctx.v();
        Shape s = Shape.of(q, k, v);
        s.requireLike("dOut", dOut, q.dtype(), s.hq, s.nq);
        s.requireLike("dq", dq, q.dtype(), s.hq, s.nq);
        s.requireLike("dk", dk, q.dtype(), s.hkv, s.nk);
        s.requireLike("dv", dv, q.dtype(), s.hkv, s.nk);
        Options options = ctx.options();
        Config c = options.backwardConfig() != null ? options.backwardConfig() : Config.backward(s.d, q.device(), options.causal(), !options.deterministic());
        Device dev = q.device();
        int rowBlock = 64;
        boolean atomic = !options.deterministic();
        Tensor delta = ws.delta(), dqAcc = ws.dqSums();
        if (!java.util.Arrays.equals(delta.shape(), new long[] {s.b, s.hq, s.nq}) || atomic != (dqAcc != null)
                || atomic && !java.util.Arrays.equals(dqAcc.shape(), new long[] {s.b, s.hq, s.nq, s.d})) {
            throw new IllegalArgumentException("the workspace " + ws + " was made for another problem: make it with Workspace.of(ctx)");
        }
        DELTA.withOptions(4, 1).launch(grid(cdiv(s.nq, rowBlock), s.b * s.hq), ctx.out(), dOut, delta,
                i(ctx.out().stride(0)), i(ctx.out().stride(1)), i(ctx.out().stride(2)), i(dOut.stride(0)), i(dOut.stride(1)), i(dOut.stride(2)),
                s.hq, s.nq, s.d, rowBlock);
        Object[] kvStrides = {i(k.stride(0)), i(k.stride(1)), i(k.stride(2)), i(v.stride(0)), i(v.stride(1)), i(v.stride(2))};
        Object[] gradStrides = {i(dk.stride(0)), i(dk.stride(1)), i(dk.stride(2)), i(dv.stride(0)), i(dv.stride(1)), i(dv.stride(2))};
        Object[] rest = {s.hq, s.hq / s.hkv, s.nq, s.nk, (float) options.scaleFor(s.d), options.window(),
                s.d, c.bm(), c.bn(), options.causal(), options.window() > 0, atomic};
        var blocks = grid(cdiv(s.nk, c.bn()), s.b * s.hkv);
        Config cq = atomic ? null : options.dqConfig() != null ? options.dqConfig() : Config.dq(s.d, dev);
        boolean descriptors = throughDescriptors != null ? throughDescriptors
                : s.d <= 64 && describable(dev, c.bm(), s.d, q, dOut) && (atomic || describable(dev, cq.bn(), s.d, k, v));
        if (descriptors) {
            // without atomics the sums' descriptor stands for nothing: q's, already checked, takes its place (never traced into)
            TensorDescriptor sums = TensorDescriptor.of(atomic ? dqAcc : q, 1, 1, c.bm(), s.d);
            BACKWARD_DESCRIPTORS.withOptions(c.warps(), c.stages()).launch(blocks, concat(new Object[] {TensorDescriptor.of(q, 1, 1, c.bm(), s.d),
                    k, v, TensorDescriptor.of(dOut, 1, 1, c.bm(), s.d), ctx.lse(), delta, sums, dk, dv}, kvStrides, gradStrides, rest));
        } else {
            // without atomics the sums are unused: dq itself stands in for the pointer (the kernel never reads it)
            Tensor dqOut = atomic ? dqAcc : dq;
            BACKWARD.withOptions(c.warps(), c.stages()).launch(blocks, concat(new Object[] {q, k, v, dOut, ctx.lse(), delta, dqOut, dk, dv,
                    i(q.stride(0)), i(q.stride(1)), i(q.stride(2))}, kvStrides, new Object[] {i(dOut.stride(0)), i(dOut.stride(1)), i(dOut.stride(2))},
                    gradStrides, rest));
        }
        if (atomic) {
            CONVERT.withOptions(4, 1).launch(grid(cdiv(s.nq, rowBlock), s.b * s.hq), dqAcc, dq, i(dq.stride(0)), i(dq.stride(1)), i(dq.stride(2)),
                    s.hq, s.nq, s.d, rowBlock);
        } else {
            Object[] qStrides = {i(q.stride(0)), i(q.stride(1)), i(q.stride(2))};
            Object[] tail = {i(dOut.stride(0)), i(dOut.stride(1)), i(dOut.stride(2)), i(dq.stride(0)), i(dq.stride(1)), i(dq.stride(2)),
                    s.hq, s.hq / s.hkv, s.nq, s.nk, (float) options.scaleFor(s.d), options.window(), s.d, cq.bm(), cq.bn(), options.causal(),
                    options.window() > 0};
            var queryBlocks = grid(cdiv(s.nq, cq.bm()), s.b * s.hq);
            if (descriptors) {
                DQ_DESCRIPTORS.withOptions(cq.warps(), cq.stages()).launch(queryBlocks, concat(new Object[] {q, TensorDescriptor.of(k, 1, 1, cq.bn(), s.d),
                        TensorDescriptor.of(v, 1, 1, cq.bn(), s.d), dOut, ctx.lse(), delta, dq}, qStrides, tail));
            } else {
                DQ.withOptions(cq.warps(), cq.stages()).launch(queryBlocks, concat(new Object[] {q, k, v, dOut, ctx.lse(), delta, dq}, qStrides,
                        new Object[] {i(k.stride(0)), i(k.stride(1)), i(k.stride(2)), i(v.stride(0)), i(v.stride(1)), i(v.stride(2))}, tail));
            }
        }
    }

    private static int i(long stride) { return Math.toIntExact(stride); }

    /** Launch arguments written in groups, one after another. */
    private static Object[] concat(Object[]... parts) { return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(); }

    /** A new tensor of x's shape and dtype, laid out as x is: (B, N, H, D) in memory when x is a transposed view of one. */
    static Tensor emptyLike(Tensor x) {
        long b = x.shape(0), h = x.shape(1), n = x.shape(2), d = x.shape(3);
        if (x.stride(1) < x.stride(2)) {
            try (Tensor bnhd = Tensor.empty(x.dtype(), x.device(), b, n, h, d)) {
                return bnhd.transpose(1, 2);   // the view keeps the memory
            }
        }
        return Tensor.empty(x.dtype(), x.device(), b, h, n, d);
    }

    /** The sizes of one attention problem, checked. */
    record Shape(int b, int hq, int hkv, int nq, int nk, int d) {
        static Shape of(Tensor q, Tensor k, Tensor v) {
            for (Tensor t : new Tensor[] {q, k, v}) {
                if (t.rank() != 4) throw new IllegalArgumentException("attention takes (B, H, N, D) tensors (a (B, N, H, D) one as x.transpose(1, 2)), not " + t);
                if (t.stride(3) != 1) throw new IllegalArgumentException("attention needs a contiguous last (head) dimension, not strides " + java.util.Arrays.toString(t.strides()) + " of " + t);
                if (t.dtype() != DType.F16 && t.dtype() != DType.BF16) throw new IllegalArgumentException("attention takes f16 or bf16 inputs, not " + t);
            }
            if (k.dtype() != q.dtype() || v.dtype() != q.dtype()) throw new IllegalArgumentException("q, k and v must share a dtype: " + q + ", " + k + ", " + v);
            if (!k.device().equals(q.device()) || !v.device().equals(q.device())) throw new IllegalArgumentException("q, k and v must be on one device: " + q + ", " + k + ", " + v);
            if (!java.util.Arrays.equals(k.shape(), v.shape())) throw new IllegalArgumentException("k and v must have one shape: " + k + ", " + v);
            int b = Math.toIntExact(q.shape(0)), hq = Math.toIntExact(q.shape(1)), nq = Math.toIntExact(q.shape(2)), d = Math.toIntExact(q.shape(3));
            int hkv = Math.toIntExact(k.shape(1)), nk = Math.toIntExact(k.shape(2));
            if (k.shape(0) != b || k.shape(3) != d) throw new IllegalArgumentException("k and v must match q's batch and head dimension: q " + q + ", k " + k);
            if (hkv < 1 || hq % hkv != 0) throw new IllegalArgumentException(hq + " query heads cannot share " + hkv + " key/value heads (Hq must be a multiple of Hkv)");
            if (d < 16 || d > 256 || Integer.bitCount(d) != 1) throw new IllegalArgumentException("head dimension " + d + ": attention takes 16, 32, 64, 128 or 256");
            if (b < 1 || nq < 1 || nk < 1) throw new IllegalArgumentException("attention of an empty batch or sequence: q " + q + ", k " + k);
            return new Shape(b, hq, hkv, nq, nk, d);
        }

        void requireLse(Tensor lse) {
            if (lse.dtype() != DType.F32 || !lse.isContiguous() || !java.util.Arrays.equals(lse.shape(), new long[] {b, hq, nq})) {
                throw new IllegalArgumentException("lse must be a contiguous f32 [" + b + ", " + hq + ", " + nq + "] tensor, not " + lse);
            }
        }

        void requireLike(String name, Tensor t, DType dtype, int heads, int n) {
            if (t.dtype() != dtype || t.rank() != 4 || t.shape(0) != b || t.shape(1) != heads || t.shape(2) != n || t.shape(3) != d || t.stride(3) != 1) {
                throw new IllegalArgumentException(name + " must be a " + dtype + " [" + b + ", " + heads + ", " + n + ", " + d + "] tensor with a contiguous last dimension, not " + t);
            }
        }
    }
}
