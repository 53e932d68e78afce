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
 * Layer normalization over the last dimension: y = (x - mean) / sqrt(var + eps) * w + b, one
 * program per row, statistics in f32. Also writes each row's mean and reciprocal standard deviation
 * (what a backward pass needs).
 */
public final class LayerNorm {
    private LayerNorm() {}

    @Kernel
    static void forward(Tile x, Tile y, Tile w, Tile b, Tile mean, Tile rstd, Tile rowStride, Tile n, Tile eps,
                        @Constexpr int BLOCK) {
        Tile row = programId(0).to(I64);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile v = load(x.add(row.mul(rowStride)).add(cols), mask, 0.0).to(F32);
        Tile mu = sum(v, 0).div(n.to(F32));
        Tile centered = where(mask, v.sub(mu), 0.0);
        Tile variance = sum(centered.mul(centered), 0).div(n.to(F32));
        Tile r = rsqrt(variance.add(eps));
        // the statistics are stored as soon as they are known (as Triton's tutorial kernel does), so
        // that only the row, w and b are live while y is computed
        store(mean.add(row), mu);
        store(rstd.add(row), r);
        Tile weight = load(w.add(cols), mask).to(F32), bias = load(b.add(cols), mask).to(F32);
        // c * rstd * w + b as a multiply, then an add, not one fma: the row's registers are free once
        // w has scaled them, before b is needed (an fma needs the row, w and b at once, which keeps
        // f16 and bf16 rows of 8192 above 40 registers: two resident blocks of 512 threads, not three)
        store(y.add(row.mul(rowStride)).add(cols), centered.mul(r).mul(weight).add(bias), mask);
    }

    public static final JitKernel KERNEL = Jit.kernel(LayerNorm.class, "forward");

    /** Normalizes each row of the contiguous 2-D tensor x into y; mean and rstd get one f32 per row. */
    public static void forward(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y, Tensor mean, Tensor rstd) {
        int rows = Math.toIntExact(x.shape(0)), n = Math.toIntExact(x.shape(1));
        int block = nextPowerOf2(n);
        int warps = block >= 8192 ? 16 : block >= 2048 ? 8 : 4;
        KERNEL.withOptions(warps, 1).launch(grid(rows), x, y, weight, bias, mean, rstd, x.stride(0), n, eps, block);
    }
}
