package dev.tessera.kernels.norm;

import static org.junit.jupiter.api.Assertions.*;

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

/** LayerNorm's backward (dx, dW, dB) against float64 references and finite differences, on every device in f32, f16 and bf16. */
@ExtendWith(SeedExtension.class)
class LayerNormTrainingTest {

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Stream.of(DType.F32, DType.F16, DType.BF16).map(t -> Arguments.of(d, t)));
    }

    static final float EPS = 1e-5f;

    @ParameterizedTest
    @MethodSource("cases")
    void backwardMatchesFloat64(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 29, n = 777;
        try (Tensor x = Tensor.randn(dtype, seed, d, rows, n); Tensor w = Tensor.randn(dtype, seed + 1, d, n);
             Tensor b = Tensor.randn(dtype, seed + 2, d, n); Tensor dy = Tensor.randn(dtype, seed + 3, d, rows, n);
             Tensor dx = Tensor.full(dtype, Double.NaN, d, rows, n); Tensor dw = Tensor.full(dtype, Double.NaN, d, n);
             Tensor db = Tensor.full(dtype, Double.NaN, d, n)) {
            LayerNorm.Output out = LayerNorm.forward(x, w, b, EPS);
            LayerNorm.backward(out.saved(), dy, dx, dw, db);
            for (Tensor t : new Tensor[] {out.y(), out.saved().mean(), out.saved().rstd()}) t.close();
            double[] xv = x.toDoubleArray(), wv = w.toDoubleArray(), g = dy.toDoubleArray();
            double[] refDx = new double[rows * n], dxScale = new double[rows * n], refDw = new double[n], dwScale = new double[n];
            double[] refDb = new double[n], dbScale = new double[n];
            for (int r = 0; r < rows; r++) {
                double mu = 0, var = 0;
                for (int j = 0; j < n; j++) mu += xv[r * n + j];
                mu /= n;
                for (int j = 0; j < n; j++) var += (xv[r * n + j] - mu) * (xv[r * n + j] - mu);
                double rs = 1 / Math.sqrt(var / n + EPS), s1 = 0, s2 = 0, a1 = 0, a2 = 0;
                double[] xhat = new double[n];
                for (int j = 0; j < n; j++) {
                    xhat[j] = (xv[r * n + j] - mu) * rs;
                    double gx = g[r * n + j] * wv[j];
                    s1 += gx;
                    s2 += gx * xhat[j];
                    a1 += Math.abs(gx);
                    a2 += Math.abs(gx * xhat[j]);
                    refDw[j] += g[r * n + j] * xhat[j];
                    dwScale[j] += Math.abs(g[r * n + j] * xhat[j]);
                    refDb[j] += g[r * n + j];
                    dbScale[j] += Math.abs(g[r * n + j]);
                }
                for (int j = 0; j < n; j++) {
                    double gx = g[r * n + j] * wv[j];
                    refDx[r * n + j] = rs * (gx - s1 / n - xhat[j] * s2 / n);
                    dxScale[r * n + j] = rs * (Math.abs(gx) + a1 / n + Math.abs(xhat[j]) * a2 / n);
                }
            }
            Tolerance t = Tolerance.of(dtype);
            String what = dtype + " seed " + seed;
            NormTesting.close(refDx, dxScale, dx.toDoubleArray(), t.atol() * 2, t.rtol() * 2, "dx " + what);
            NormTesting.close(refDw, dwScale, dw.toDoubleArray(), t.atol() * 2, t.rtol() * 2, "dw " + what);
            NormTesting.close(refDb, dbScale, db.toDoubleArray(), t.atol() * 2, t.rtol() * 2, "db " + what);
        }
    }

    /** L = Σ y·G; central differences in x, w and b against the backward pass (f32, CPU). */
    @Test
    void gradientsMatchFiniteDifferences(@Seed long seed) {
        Device d = Device.cpu();
        int rows = 3, n = 40;
        try (Tensor x = Tensor.randn(DType.F32, seed, d, rows, n); Tensor w = Tensor.randn(DType.F32, seed + 1, d, n);
             Tensor b = Tensor.randn(DType.F32, seed + 2, d, n); Tensor gT = Tensor.randn(DType.F32, seed + 3, d, rows, n)) {
            double[] xv = x.toDoubleArray(), wv = w.toDoubleArray(), bv = b.toDoubleArray(), g = gT.toDoubleArray();
            LayerNorm.Output out = LayerNorm.forward(x, w, b, EPS);
            LayerNorm.Grads grads = LayerNorm.backward(out.saved(), gT);
            double[] dx = grads.dx().toDoubleArray(), dw = grads.dw().toDoubleArray(), db = grads.db().toDoubleArray();
            for (Tensor t : new Tensor[] {out.y(), out.saved().mean(), out.saved().rstd(), grads.dx(), grads.dw(), grads.db()}) t.close();
            double step = 1e-2;
            double[][] grad = {dx, dw, db};
            int[][] at = {{0, 13, n + 7, 3 * n - 1}, {0, n - 1}, {5}};
            for (int which = 0; which < 3; which++) {
                for (int i : at[which]) {
                    double[][] plus = {xv.clone(), wv.clone(), bv.clone()}, minus = {xv.clone(), wv.clone(), bv.clone()};
                    plus[which][i] += step;
                    minus[which][i] -= step;
                    double fd = (objective(plus, g) - objective(minus, g)) / (2 * step);
                    assertEquals(fd, grad[which][i], 2e-3 * Math.max(1, Math.abs(fd)), "d/d" + "xwb".charAt(which) + "[" + i + "], seed " + seed);
                }
            }
        }
    }

    /** Σ y·G of the kernel's forward on f32 tensors of x, w, b. */
    private static double objective(double[][] xwb, double[] g) {
        int n = xwb[1].length, rows = xwb[0].length / n;
        Device d = Device.cpu();
        try (Tensor x = Tensor.from(xwb[0], DType.F32, d, rows, n); Tensor w = Tensor.from(xwb[1], DType.F32, d, n);
             Tensor b = Tensor.from(xwb[2], DType.F32, d, n)) {
            LayerNorm.Output out = LayerNorm.forward(x, w, b, EPS);
            double[] y = out.y().toDoubleArray();
            for (Tensor t : new Tensor[] {out.y(), out.saved().mean(), out.saved().rstd()}) t.close();
            double s = 0;
            for (int i = 0; i < y.length; i++) s += y[i] * g[i];
            return s;
        }
    }
}
