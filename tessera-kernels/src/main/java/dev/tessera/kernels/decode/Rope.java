package dev.tessera.kernels.decode;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;

/**
 * Rotary position embedding of one token's heads at one position, in place: each head's pairs of
 * neighbours (x[2i], x[2i+1]) turn by the angle pos · base^(−2i/D) (the original LLaMA layout;
 * a checkpoint stored in the "rotate half" layout needs its q/k rows permuted when loaded).
 */
public final class Rope {
    private Rope() {}

    @Kernel
    static void rope(Tile x, Tile headStride, Tile headDim, Tile pos, Tile log2Base, @Constexpr int HALF) {
        Tile head = programId(0).to(I64);
        Tile i = arange(0, HALF);
        Tile mask = i.mul(2).lt(headDim);
        Tile even = x.add(head.mul(headStride)).add(i.mul(2));
        Tile a = load(even, mask, 0.0).to(F32), b = load(even.add(1), mask, 0.0).to(F32);
        // base^(-2i/D) = 2^(-(2i/D)·log2(base)); the angle in f32, as the references of LLaMA do
        Tile angle = pos.to(F32).mul(exp2(i.mul(2).to(F32).div(headDim.to(F32)).mul(log2Base).neg()));
        Tile c = cos(angle), s = sin(angle);
        store(even, a.mul(c).sub(b.mul(s)), mask);
        store(even.add(1), a.mul(s).add(b.mul(c)), mask);
    }

    public static final JitKernel KERNEL = Jit.kernel(Rope.class, "rope");

    /** Rotates x [heads, headDim] (rows contiguous, headDim even) in place for position {@code pos}. */
    public static void apply(Tensor x, int pos, double base) {
        if (x.rank() != 2 || x.stride(1) != 1) throw new IllegalArgumentException("x must be [heads, headDim] with contiguous rows, not " + x);
        int headDim = Math.toIntExact(x.shape(1));
        if (headDim % 2 != 0) throw new IllegalArgumentException("RoPE needs an even head dimension, not " + headDim);
        KERNEL.withOptions(1, 1).launch(grid(Math.toIntExact(x.shape(0))), x, x.stride(0), headDim, pos,
                (float) (Math.log(base) / Math.log(2)), Math.max(2, nextPowerOf2(headDim / 2)));
    }
}
