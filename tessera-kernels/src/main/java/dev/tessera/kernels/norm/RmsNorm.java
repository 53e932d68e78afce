package dev.tessera.kernels.norm;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;

/**
 * RMS normalization over the last dimension (as in LLaMA): y = x / sqrt(mean(x²) + eps) · w, one
 * program per row, statistics in f32; also writes each row's reciprocal RMS for a backward pass.
 */
public final class RmsNorm {
    private RmsNorm() {}

    @Kernel
    static void forward(Tile x, Tile y, Tile w, Tile rrms, Tile rowStride, Tile n, Tile eps, @Constexpr int BLOCK) {
        Tile row = programId(0).to(I64);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile v = load(x.add(row.mul(rowStride)).add(cols), mask, 0.0).to(F32);
        Tile r = rsqrt(sum(v.mul(v), 0).div(n.to(F32)).add(eps));
        Tile weight = load(w.add(cols), mask).to(F32);
        store(y.add(row.mul(rowStride)).add(cols), v.mul(r).mul(weight), mask);
        store(rrms.add(row), r);
    }

    public static final JitKernel KERNEL = Jit.kernel(RmsNorm.class, "forward");

    /** Normalizes each row of the contiguous 2-D tensor x into y; rrms gets one f32 per row. */
    public static void forward(Tensor x, Tensor weight, float eps, Tensor y, Tensor rrms) {
        int rows = Math.toIntExact(x.shape(0)), n = Math.toIntExact(x.shape(1));
        int block = nextPowerOf2(n);
        int warps = block >= 8192 ? 16 : block >= 2048 ? 8 : 4;
        KERNEL.withOptions(warps, 1).launch(grid(rows), x, y, weight, rrms, x.stride(0), n, eps, block);
    }
}
