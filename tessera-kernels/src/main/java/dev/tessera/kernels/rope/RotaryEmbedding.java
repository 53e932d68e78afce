package dev.tessera.kernels.rope;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;

/**
 * Rotary position embedding for training, in place, queries and keys in one launch: q [T, Hq, D]
 * and k [T, Hk, D] (grouped-query attention has Hk dividing Hq; any token stride, so that q and k may
 * be views of a fused QKV projection) at the tokens' position ids, in the "rotate half" layout of
 * Hugging Face's Llama: element i of the first half pairs with i + D/2 and the pair turns by
 * pos · base^(−2i/D). The backward pass turns the gradients by −θ, which is the transpose of the
 * rotation, so it needs only the positions. Angles, cosines and sines are f32, computed in the
 * kernel (no cos/sin cache is read).
 */
public final class RotaryEmbedding {
    private RotaryEmbedding() {}

    /** Rotates the heads of one tensor at one token by (cos, sin). */
    private static void rotate(Tile x, Tile tokenOffset, Tile heads, Tile headDim, Tile half, Tile i, Tile c, Tile s, int bh) {
        for (Tile h0 : range(0, heads, bh)) {
            Tile hs = arange(0, bh).add(h0);
            Tile mask = hs.col().lt(heads).and(i.row().lt(half));
            Tile first = x.add(tokenOffset).add(hs.to(I64).col().mul(headDim)).add(i.row());
            Tile a = load(first, mask, 0.0).to(F32), b = load(first.add(half), mask, 0.0).to(F32);
            store(first, a.mul(c.row()).sub(b.mul(s.row())), mask);
            store(first.add(half), b.mul(c.row()).add(a.mul(s.row())), mask);
        }
    }

    @Kernel
    static void rope(Tile q, Tile k, Tile positions, Tile qStride, Tile kStride, Tile qHeads, Tile kHeads, Tile headDim, Tile log2Base,
                     @Constexpr int HALF, @Constexpr int BH, @Constexpr boolean BACKWARD) {
        Tile t = programId(0).to(I64);
        Tile half = headDim.div(2);
        Tile i = arange(0, HALF);
        // base^(−2i/D) = 2^(−(2i/D)·log2 base); the angle in f32, as Hugging Face's inv_freq and positions are
        Tile angle = load(positions.add(t)).to(F32).mul(exp2(i.mul(2).to(F32).div(headDim.to(F32)).mul(log2Base).neg()));
        Tile c = cos(angle), s = BACKWARD ? sin(angle).neg() : sin(angle);
        rotate(q, t.mul(qStride), qHeads, headDim, half, i, c, s, BH);
        rotate(k, t.mul(kStride), kHeads, headDim, half, i, c, s, BH);
    }

    public static final JitKernel KERNEL = Jit.kernel(RotaryEmbedding.class, "rope");

    /** What {@link #backward} needs: the positions (unchanged until then) and the base. */
    public record Saved(Tensor positions, double base) {}

    /** Rotates q and k in place at the positions (i32 or i64 [T]) with base θ (10000 in Llama 2, 500000 in Llama 3). */
    public static Saved forward(Tensor q, Tensor k, Tensor positions, double base) {
        launch(q, k, positions, base, false);
        return new Saved(positions, base);
    }

    /** Turns the gradients dq and dk (shaped as q and k) in place by −θ: the gradients of the unrotated q and k. */
    public static void backward(Saved saved, Tensor dq, Tensor dk) { launch(dq, dk, saved.positions(), saved.base(), true); }

    private static void launch(Tensor q, Tensor k, Tensor positions, double base, boolean backward) {
        for (Tensor x : new Tensor[] {q, k}) {
            if (x.rank() != 3 || x.stride(2) != 1 || x.stride(1) != x.shape(2)) {
                throw new IllegalArgumentException("RoPE: q and k must be [tokens, heads, headDim] with each token's heads contiguous, not " + x);
            }
        }
        long tokens = q.shape(0), headDim = q.shape(2);
        if (k.shape(0) != tokens || k.shape(2) != headDim) throw new IllegalArgumentException("RoPE: q " + q + " and k " + k + " differ in tokens or head dimension");
        if (q.shape(1) % k.shape(1) != 0) throw new IllegalArgumentException("RoPE: " + q.shape(1) + " query heads cannot share " + k.shape(1) + " key heads");
        if (headDim % 2 != 0) throw new IllegalArgumentException("RoPE needs an even head dimension, not " + headDim);
        if (q.dtype() != k.dtype()) throw new IllegalArgumentException("RoPE: q and k must share a dtype, not " + q.dtype() + " and " + k.dtype());
        if (positions.rank() != 1 || positions.shape(0) != tokens || !positions.isContiguous()
                || (positions.dtype() != DType.I32 && positions.dtype() != DType.I64)) {
            throw new IllegalArgumentException("RoPE: positions must be a contiguous i32 or i64 [" + tokens + "], not " + positions);
        }
        if (!(base > 1) || Double.isInfinite(base)) throw new IllegalArgumentException("RoPE: the base must be a finite number above 1, not " + base);
        int half = Math.max(2, nextPowerOf2(Math.toIntExact(headDim / 2)));
        int bh = Math.max(1, Math.min(nextPowerOf2(Math.toIntExact(Math.max(q.shape(1), k.shape(1)))), 2048 / half));
        KERNEL.withOptions(4, 1).launch(grid(Math.toIntExact(tokens)), q, k, positions, q.stride(0), k.stride(0), Math.toIntExact(q.shape(1)),
                Math.toIntExact(k.shape(1)), Math.toIntExact(headDim), (float) (Math.log(base) / Math.log(2)), half, bh, backward);
    }
}
