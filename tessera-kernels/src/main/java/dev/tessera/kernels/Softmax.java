package dev.tessera.kernels;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;

/**
 * Row-wise softmax, fused: each program reads its row once, keeps it in registers, and writes the
 * result once — one read and one write of the tensor instead of the five passes of the naive
 * formulation. Rows are computed in f32 whatever the storage dtype.
 */
public final class Softmax {
    private Softmax() {}

    @Kernel
    static void softmax(Tile x, Tile out, Tile rowStride, Tile n, @Constexpr int BLOCK) {
        Tile row = programId(0).to(I64);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile v = load(x.add(row.mul(rowStride)).add(cols), mask, Double.NEGATIVE_INFINITY).to(F32);
        Tile shifted = v.sub(max(v, 0));
        Tile e = exp(shifted);
        store(out.add(row.mul(rowStride)).add(cols), e.div(sum(e, 0)), mask);
    }

    public static final JitKernel KERNEL = Jit.kernel(Softmax.class, "softmax");

    /** Softmax over the last dimension of a contiguous 2-D tensor, into out. */
    public static void softmax(Tensor x, Tensor out) {
        int rows = Math.toIntExact(x.shape(0)), n = Math.toIntExact(x.shape(1));
        int block = nextPowerOf2(n);
        int warps = block >= 8192 ? 16 : block >= 2048 ? 8 : 4;
        KERNEL.withOptions(warps, 1).launch(grid(rows), x, out, x.stride(0), n, block);
    }

    public static Tensor softmax(Tensor x) {
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        softmax(x, out);
        return out;
    }
}
