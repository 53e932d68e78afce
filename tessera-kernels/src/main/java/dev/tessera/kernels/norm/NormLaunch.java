package dev.tessera.kernels.norm;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.Arrays;

/**
 * What every norm launch shares: the checks of rows and weights, the block and warps of a
 * row-per-program kernel, how many programs a backward pass splits the rows among, and the
 * reduction of their per-program partial sums of dW (and dB) into the weights' gradients.
 */
final class NormLaunch {
    private NormLaunch() {}

    /** The whole row in one block. */
    static int block(long n) { return Math.max(16, nextPowerOf2(Math.toIntExact(n))); }

    static int warps(int block) { return block >= 8192 ? 16 : block >= 2048 ? 8 : 4; }

    /** Checks that x is [rows, n] with contiguous rows and that each of {@code alike} (null skipped) has its shape and strides. */
    static void rows(String op, Tensor x, Tensor... alike) {
        if (x.rank() != 2 || x.stride(1) != 1) throw new IllegalArgumentException(op + ": x must be [rows, n] with contiguous rows, not " + x);
        DType t = x.dtype();
        if (t != DType.F32 && t != DType.F16 && t != DType.BF16) throw new IllegalArgumentException(op + ": x must be f32, f16 or bf16, not " + t);
        for (Tensor a : alike) {
            if (a != null && (!Arrays.equals(a.shape(), x.shape()) || !Arrays.equals(a.strides(), x.strides()))) {
                throw new IllegalArgumentException(op + ": " + a + " must have the shape and strides of x " + x);
            }
        }
    }

    /** Checks a per-column vector (a weight, a bias) of n elements, contiguous. */
    static void vector(String op, String name, Tensor v, long n) {
        if (v.rank() != 1 || v.shape(0) != n || !v.isContiguous()) throw new IllegalArgumentException(op + ": " + name + " must be a contiguous [" + n + "], not " + v);
    }

    /** Checks one f32 per row (a saved statistic). */
    static void perRow(String op, String name, Tensor s, long rows) {
        if (s.dtype() != DType.F32 || s.numel() != rows || !s.isContiguous()) throw new IllegalArgumentException(op + ": " + name + " must be a contiguous f32 [" + rows + "], not " + s);
    }

    /**
     * Programs of a backward pass, each over a run of rows with its own partial sums of dW: enough to
     * fill a GPU (a few per SM), few enough that their [programs, n] partials stay small; on the CPU,
     * a few per core.
     */
    static int programs(Tensor x) {
        long rows = x.shape(0);
        int most = x.device().backend().equals("cpu") ? 4 * Runtime.getRuntime().availableProcessors() : 512;
        return (int) Math.max(1, Math.min(rows, most));
    }

    /** out[j] = Σ_p partial[p, j] over the programs' partial sums, converted to out's dtype. */
    @Kernel
    static void sumPartials(Tile partial, Tile out, Tile programs, Tile n, @Constexpr int BLOCK) {
        Tile cols = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = cols.lt(n);
        Var acc = var(zeros(F32, BLOCK));
        for (Tile p : range(programs)) acc.set(acc.get().add(load(partial.add(p.to(I64).mul(n)).add(cols), mask, 0.0)));
        store(out.add(cols), acc.get(), mask);
    }

    static final JitKernel SUM_PARTIALS = Jit.kernel(NormLaunch.class, "sumPartials");

    /** Reduces [programs, n] f32 partial sums into out [n]. */
    static void sumPartials(Tensor partial, Tensor out) {
        int programs = Math.toIntExact(partial.shape(0)), n = Math.toIntExact(partial.shape(1)), block = 1024;
        SUM_PARTIALS.withOptions(4, 1).launch(grid(cdiv(n, block)), partial, out, programs, n, block);
    }
}
