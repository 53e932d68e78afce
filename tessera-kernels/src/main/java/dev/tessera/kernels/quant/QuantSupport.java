package dev.tessera.kernels.quant;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.kernels.matmul.MatmulKernel;

import dev.tessera.lang.Tile;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.Arrays;

/**
 * What the quantization families share: the GGUF rounding (half away from zero), written in the
 * tile language so that the CPU and the GPU round alike; the GEMMs' program order and launch; and
 * the checks of the host APIs.
 */
final class QuantSupport {
    private QuantSupport() {}

    /**
     * v rounded to the nearest integer, ties away from zero (C's {@code roundf}), as i32: the
     * truncated value, plus one step away from zero where the dropped fraction is at least a half
     * (v − trunc(v) is exact for |v| < 2^23). NaN gives 0.
     */
    static Tile roundHalfAway(Tile v) {
        Tile t = v.to(I32);
        Tile away = abs(v.sub(t.to(F32))).ge(0.5);
        return where(away, t.add(where(v.lt(0.0), -1, 1)), t);
    }

    /** The (row, column) of the output tile program 0's id names, in {@link MatmulKernel#groupedTile grouped order}. */
    static Tile[] groupedTile(Tile m, Tile n, int BM, int BN, int GROUP) { return MatmulKernel.groupedTile(programId(0), m, n, BM, BN, GROUP); }

    /** A GEMM launch: a program per output tile, with the config's warps and stages. */
    static void launchGemm(JitKernel kernel, int m, int n, GemmConfig cfg, Object... args) {
        kernel.withOptions(cfg.warps(), cfg.stages()).launch(grid(cdiv(m, cfg.bm()) * cdiv(n, cfg.bn())), args);
    }

    // ------------------------------------------------------------------ host-side checks

    /** The GEMMs index their operands with i32 offsets: each of A [M, K], B [K, N] and C [M, N] must have fewer than 2^31 elements. */
    static void requireGemmSize(int m, int n, int k) {
        intSize("the elements of A [" + m + ", " + k + "]", (long) m * k);
        intSize("the elements of B [" + k + ", " + n + "]", (long) k * n);
        intSize("the elements of C [" + m + ", " + n + "]", (long) m * n);
        if (k == 0) throw new IllegalArgumentException("the GEMM has K = 0: A and B have no columns and rows to multiply");
    }

    /** The output dtypes of the GEMMs: f32, or a 16-bit float. */
    static void requireGemmOut(Tensor out, int m, int n, Tensor input) {
        requireFloat("out", out);
        requireShape("out", out, m, n);
        requireContiguous("out", out);
        requireSameDevice("out", out, input);
    }

    /** The floating types the quantizers read and the dequantizers write. */
    static void requireFloat(String what, Tensor t) {
        DType d = t.dtype();
        if (d != DType.F32 && d != DType.F16 && d != DType.BF16) {
            throw new IllegalArgumentException(what + " must be f32, f16 or bf16, not " + d + " (" + t + ")");
        }
    }

    static void requireFloat(String what, DType d) {
        if (d != DType.F32 && d != DType.F16 && d != DType.BF16) {
            throw new IllegalArgumentException(what + " must be f32, f16 or bf16, not " + d);
        }
    }

    static void requireContiguous(String what, Tensor t) {
        if (!t.isContiguous()) throw new IllegalArgumentException(what + " must be contiguous (call contiguous() first): " + t);
    }

    static void requireRank(String what, Tensor t, int rank) {
        if (t.rank() != rank) throw new IllegalArgumentException(what + " must have rank " + rank + ", got " + t);
    }

    static void requireDtype(String what, Tensor t, DType d) {
        if (t.dtype() != d) throw new IllegalArgumentException(what + " must be " + d + ", not " + t.dtype() + " (" + t + ")");
    }

    static void requireShape(String what, Tensor t, long... shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(what + " must have shape " + Arrays.toString(shape) + ", got " + t);
        }
    }

    static void requireSameDevice(String what, Tensor t, Tensor other) {
        if (!t.device().equals(other.device())) {
            throw new IllegalArgumentException(what + " is on " + t.device() + " but the data is on " + other.device());
        }
    }

    /** The number of elements of a shape. */
    static long elements(long[] shape) {
        long n = 1;
        for (long s : shape) n = Math.multiplyExact(n, s);
        return n;
    }

    static int intSize(String what, long n) {
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(what + " " + n + " is larger than 2^31 - 1");
        return (int) n;
    }
}
