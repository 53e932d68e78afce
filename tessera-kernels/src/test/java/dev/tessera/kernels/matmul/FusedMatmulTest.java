package dev.tessera.kernels.matmul;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.kernels.matmul.Matmul.Epilogue;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused matmul's epilogue against float64 references from the stored operands: a scale, a
 * low-rank term of a rank that is not a power of 2, and accumulation into C's old values, with
 * sizes that are not multiples of the block and B given as Wᵀ; one blocking, few specializations.
 */
@ExtendWith(SeedExtension.class)
class FusedMatmulTest {
    static final MatmulConfig CFG = new MatmulConfig(64, 64, 32, 8, 4, 3);

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Stream.of(DType.F32, DType.BF16).map(t -> Arguments.of(d, t)));
    }

    /** Σ_k x[i,k]·y[k,j] over row-major x [m, k] and y [k, n], and the sum of the terms' magnitudes. */
    static double[][] product(double[] x, double[] y, int m, int k, int n) {
        double[] s = new double[m * n], mag = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    double t = x[i * k + p] * y[p * n + j];
                    s[i * n + j] += t;
                    mag[i * n + j] += Math.abs(t);
                }
            }
        }
        return new double[][] {s, mag};
    }

    static double[] transpose(double[] x, int rows, int cols) {
        double[] t = new double[x.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void scaledProductPlusALowRankTermAddedToC(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int m = 77, n = 90, k = 70, r = 9;
        double alpha = 0.75, beta = 0.375;   // exact in f32, so that β·P rounds as the reference rounds it
        try (Tensor a = Tensor.randn(dtype, seed, d, m, k); Tensor w = Tensor.randn(dtype, seed + 1, d, n, k); Tensor b = w.transpose(0, 1);
             Tensor p = Tensor.randn(dtype, seed + 2, d, m, r); Tensor q = Tensor.randn(dtype, seed + 3, d, r, n);
             Tensor c = Tensor.randn(DType.F32, seed + 4, d, m, n)) {
            double[] c0 = c.toDoubleArray();
            double[][] ab = product(a.toDoubleArray(), transpose(w.toDoubleArray(), n, k), m, k, n);
            double[] pv = p.toDoubleArray();
            // β·P is rounded to the operands' dtype in the kernel, as the epilogue documents
            for (int i = 0; i < pv.length; i++) pv[i] = dev.tessera.types.Numerics.round(beta * pv[i], dtype);
            double[][] pq = product(pv, q.toDoubleArray(), m, r, n);
            Matmul.fused(a, b, c, new Epilogue(alpha, p, q, beta, true), CFG, true);
            double[] got = c.toDoubleArray();
            double tol = dtype == DType.F32 ? 1e-6 : 1e-5;   // f32 sums of exact bf16 products
            for (int i = 0; i < got.length; i++) {
                double ref = alpha * ab[0][i] + pq[0][i] + c0[i];
                double bound = tol * (alpha * ab[1][i] + pq[1][i] + Math.abs(c0[i])) + 1e-6;
                if (!(Math.abs(got[i] - ref) <= bound)) fail(dtype + " seed " + seed + ": c[" + i / n + "," + i % n + "] = " + got[i] + ", expected " + ref + " ± " + bound);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void scaleAloneOverwritesC(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int m = 40, n = 33, k = 50;
        try (Tensor a = Tensor.randn(dtype, seed, d, m, k); Tensor b = Tensor.randn(dtype, seed + 1, d, k, n);
             Tensor c = Tensor.full(dtype, Double.NaN, d, m, n)) {
            double[][] ab = product(a.toDoubleArray(), b.toDoubleArray(), m, k, n);
            Matmul.fused(a, b, c, Epilogue.scale(-2), CFG, true);
            double[] got = c.toDoubleArray();
            double rtol = Tolerance.of(dtype).rtol();
            for (int i = 0; i < got.length; i++) {
                double bound = rtol * 2 * ab[1][i] + 1e-6;
                if (!(Math.abs(got[i] + 2 * ab[0][i]) <= bound)) fail(dtype + " seed " + seed + ": c[" + i + "] = " + got[i] + ", expected " + -2 * ab[0][i]);
            }
        }
    }

    @Test
    void badLowRankTermsSayWhatIsWrong() {
        Device d = Device.cpu();
        try (Tensor a = Tensor.zeros(DType.F32, d, 8, 4); Tensor b = Tensor.zeros(DType.F32, d, 4, 6); Tensor c = Tensor.zeros(DType.F32, d, 8, 6);
             Tensor p = Tensor.zeros(DType.F32, d, 8, 2); Tensor q = Tensor.zeros(DType.F32, d, 3, 6); Tensor ph = Tensor.zeros(DType.BF16, d, 8, 3);
             Tensor q3 = Tensor.zeros(DType.F32, d, 3, 6)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Matmul.fused(a, b, c, Epilogue.lowRank(p, q, 1), CFG, true))
                    .getMessage().contains("p [8, R] · q [R, 6]"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Matmul.fused(a, b, c, Epilogue.lowRank(ph, q3, 1), CFG, true))
                    .getMessage().contains("must be f32"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> new Epilogue(1, p, null, 1, false)).getMessage().contains("both p and q"));
        }
    }
}
