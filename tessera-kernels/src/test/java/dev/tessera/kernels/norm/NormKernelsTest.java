package dev.tessera.kernels.norm;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The library's normalization kernels against float64 references, on every device. */
@ExtendWith(SeedExtension.class)
class NormKernelsTest {

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> cases() {
        return TestDevices.all().flatMap(d -> java.util.stream.Stream.of(DType.F32, DType.F16, DType.BF16)
                .map(t -> org.junit.jupiter.params.provider.Arguments.of(d, t)));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void rmsNorm(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 37, n = 1000;
        try (Tensor x = Tensor.randn(dtype, seed, d, rows, n); Tensor w = Tensor.randn(dtype, seed + 1, d, n);
             Tensor y = Tensor.full(dtype, Double.NaN, d, rows, n); Tensor rrms = Tensor.full(DType.F32, Double.NaN, d, rows)) {
            RmsNorm.forward(x, w, 1e-6f, y, rrms);
            double[] xv = x.toDoubleArray(), wv = w.toDoubleArray(), ref = new double[rows * n], refR = new double[rows];
            for (int r = 0; r < rows; r++) {
                double ss = 0;
                for (int j = 0; j < n; j++) ss += xv[r * n + j] * xv[r * n + j];
                refR[r] = 1 / Math.sqrt(ss / n + 1e-6);
                for (int j = 0; j < n; j++) ref[r * n + j] = xv[r * n + j] * refR[r] * wv[j];
            }
            Check.close(ref, y.toDoubleArray(), Tolerance.of(dtype).scaled(2), "rms norm " + dtype);
            Check.close(refR, rrms.toDoubleArray(), Tolerance.of(DType.F32).scaled(10), "rrms");
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void layerNorm(Device device, DType dtype, @Seed long seed) {
        checkLayerNorm(TestDevices.require(device), dtype, seed, 23, 513);
    }

    /** Rows of 8000: BLOCK 8192 on 16 warps, the kernel the bench's 4096x8192 runs (three blocks an SM on a GPU). */
    @ParameterizedTest
    @MethodSource("cases")
    void layerNormLongRows(Device device, DType dtype, @Seed long seed) {
        checkLayerNorm(TestDevices.require(device), dtype, seed, 3, 8000);
    }

    private static void checkLayerNorm(Device d, DType dtype, long seed, int rows, int n) {
        try (Tensor x = Tensor.randn(dtype, seed, d, rows, n); Tensor w = Tensor.randn(dtype, seed + 1, d, n);
             Tensor b = Tensor.randn(dtype, seed + 2, d, n); Tensor y = Tensor.full(dtype, Double.NaN, d, rows, n);
             Tensor mean = Tensor.full(DType.F32, Double.NaN, d, rows); Tensor rstd = Tensor.full(DType.F32, Double.NaN, d, rows)) {
            LayerNorm.forward(x, w, b, 1e-5f, y, mean, rstd);
            double[] xv = x.toDoubleArray(), wv = w.toDoubleArray(), bv = b.toDoubleArray(), ref = new double[rows * n];
            double[] refMean = new double[rows], refRstd = new double[rows];
            for (int r = 0; r < rows; r++) {
                double mu = 0, var = 0;
                for (int j = 0; j < n; j++) mu += xv[r * n + j];
                mu /= n;
                for (int j = 0; j < n; j++) var += (xv[r * n + j] - mu) * (xv[r * n + j] - mu);
                double rs = 1 / Math.sqrt(var / n + 1e-5);
                refMean[r] = mu;
                refRstd[r] = rs;
                for (int j = 0; j < n; j++) ref[r * n + j] = (xv[r * n + j] - mu) * rs * wv[j] + bv[j];
            }
            Check.close(ref, y.toDoubleArray(), Tolerance.of(dtype).scaled(3), "layer norm " + dtype);
            Check.close(refMean, mean.toDoubleArray(), Tolerance.of(DType.F32).scaled(10), "mean");
            Check.close(refRstd, rstd.toDoubleArray(), Tolerance.of(DType.F32).scaled(10), "rstd");
        }
    }
}
