package dev.tessera.kernels.norm;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.kernels.norm.RmsNorm.Convention;
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
 * RMSNorm's training forward (with and without the fused residual add, Llama and Gemma weights) and
 * backward (dx with the next residual's gradient, dW from per-program partial sums) against float64
 * references, outputs poisoned, on every device in f32, f16 and bf16; and against finite differences.
 */
@ExtendWith(SeedExtension.class)
class RmsNormTrainingTest {

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Stream.of(DType.F32, DType.F16, DType.BF16).flatMap(t ->
                Stream.of(Convention.LLAMA, Convention.GEMMA).map(c -> Arguments.of(d, t, c))));
    }

    static final float EPS = 1e-6f;

    @ParameterizedTest
    @MethodSource("cases")
    void forwardAndBackwardMatchFloat64(Device device, DType dtype, Convention convention, @Seed long seed) {
        Device d = TestDevices.require(device);
        boolean fused = convention == Convention.LLAMA;   // Llama with the residual add, Gemma without: each path once
        int rows = 37, n = 1000;
        try (Tensor x = Tensor.randn(dtype, seed, d, rows, n); Tensor res = Tensor.randn(dtype, seed + 1, d, rows, n);
             Tensor w = Tensor.randn(dtype, seed + 2, d, n); Tensor dy = Tensor.randn(dtype, seed + 3, d, rows, n);
             Tensor dNext = Tensor.randn(dtype, seed + 4, d, rows, n);
             Tensor y = Tensor.full(dtype, Double.NaN, d, rows, n); Tensor h = Tensor.full(dtype, Double.NaN, d, rows, n);
             Tensor rstd = Tensor.full(DType.F32, Double.NaN, d, rows);
             Tensor dx = Tensor.full(dtype, Double.NaN, d, rows, n); Tensor dw = Tensor.full(dtype, Double.NaN, d, n)) {
            RmsNorm.Output out = RmsNorm.forward(x, fused ? res : null, w, EPS, convention, y, fused ? h : null, rstd);
            RmsNorm.backward(out.saved(), dy, fused ? dNext : null, dx, dw);

            double[] xv = x.toDoubleArray(), rv = res.toDoubleArray(), wv = w.toDoubleArray(), g = dy.toDoubleArray(), gn = dNext.toDoubleArray();
            double[] hv = xv.clone();
            if (fused) {
                for (int i = 0; i < hv.length; i++) hv[i] = xv[i] + rv[i];
                hv = NormTesting.rounded(hv, dtype);
                assertArrayEquals(hv, h.toDoubleArray(), "the next residual is x + residual rounded to " + dtype);
            }
            double[] refY = new double[rows * n], refR = new double[rows], refDx = new double[rows * n], dxScale = new double[rows * n];
            double[] refDw = new double[n], dwScale = new double[n], wf = new double[n];
            for (int j = 0; j < n; j++) wf[j] = convention == Convention.GEMMA ? 1 + wv[j] : wv[j];
            for (int r = 0; r < rows; r++) {
                double ss = 0, c = 0, cAbs = 0;
                for (int j = 0; j < n; j++) ss += hv[r * n + j] * hv[r * n + j];
                double rs = 1 / Math.sqrt(ss / n + EPS);
                refR[r] = rs;
                double[] normed = new double[n];
                for (int j = 0; j < n; j++) normed[j] = hv[r * n + j] * rs;
                double[] cast = convention == Convention.LLAMA ? NormTesting.rounded(normed, dtype) : normed;
                for (int j = 0; j < n; j++) {
                    refY[r * n + j] = cast[j] * wf[j];
                    c += g[r * n + j] * wf[j] * normed[j];
                    cAbs += Math.abs(g[r * n + j] * wf[j] * normed[j]);
                    refDw[j] += g[r * n + j] * normed[j];
                    dwScale[j] += Math.abs(g[r * n + j] * normed[j]);
                }
                for (int j = 0; j < n; j++) {
                    double next = fused ? gn[r * n + j] : 0;
                    refDx[r * n + j] = rs * (g[r * n + j] * wf[j] - normed[j] * c / n) + next;
                    dxScale[r * n + j] = rs * (Math.abs(g[r * n + j] * wf[j]) + Math.abs(normed[j]) * cAbs / n) + Math.abs(next);
                }
            }
            Tolerance t = Tolerance.of(dtype);
            String what = convention + (fused ? " + residual " : " ") + dtype + " seed " + seed;
            NormTesting.close(refR, new double[rows], rstd.toDoubleArray(), 0, 1e-5, "rstd " + what);
            NormTesting.close(refY, new double[rows * n], y.toDoubleArray(), t.atol() * 2, t.rtol() * 2, "y " + what);
            NormTesting.close(refDx, dxScale, dx.toDoubleArray(), t.atol() * 2, t.rtol() * 2, "dx " + what);
            NormTesting.close(refDw, dwScale, dw.toDoubleArray(), t.atol() * 2, t.rtol() * 2, "dw " + what);
        }
    }

    /** L = Σ y·G; central differences of L in x, the residual and w against the backward pass (f32, CPU). */
    @Test
    void gradientsMatchFiniteDifferences(@Seed long seed) {
        Device d = Device.cpu();
        int rows = 3, n = 50;
        for (Convention c : Convention.values()) {
            try (Tensor x = Tensor.randn(DType.F32, seed, d, rows, n); Tensor res = Tensor.randn(DType.F32, seed + 1, d, rows, n);
                 Tensor w = Tensor.randn(DType.F32, seed + 2, d, n); Tensor gT = Tensor.randn(DType.F32, seed + 3, d, rows, n)) {
                double[] xv = x.toDoubleArray(), rv = res.toDoubleArray(), wv = w.toDoubleArray(), g = gT.toDoubleArray();
                RmsNorm.Output out = RmsNorm.forward(x, res, w, EPS, c);
                RmsNorm.Grads grads = RmsNorm.backward(out.saved(), gT, null);
                double[] dx = grads.dx().toDoubleArray(), dw = grads.dw().toDoubleArray();
                for (Tensor t : new Tensor[] {out.y(), out.residual(), out.saved().rstd(), grads.dx(), grads.dw()}) t.close();
                double step = 1e-2;
                for (int i : new int[] {0, 17, n + 3, 2 * n + 49}) {
                    double[] plus = xv.clone(), minus = xv.clone();
                    plus[i] += step;
                    minus[i] -= step;
                    double fd = (objective(plus, rv, wv, g, c) - objective(minus, rv, wv, g, c)) / (2 * step);
                    assertEquals(fd, dx[i], 2e-3 * Math.max(1, Math.abs(fd)), c + " d/dx[" + i + "], seed " + seed);
                }
                for (int j : new int[] {0, 31, n - 1}) {
                    double[] plus = wv.clone(), minus = wv.clone();
                    plus[j] += step;
                    minus[j] -= step;
                    double fd = (objective(xv, rv, plus, g, c) - objective(xv, rv, minus, g, c)) / (2 * step);
                    assertEquals(fd, dw[j], 2e-3 * Math.max(1, Math.abs(fd)), c + " d/dw[" + j + "], seed " + seed);
                }
            }
        }
    }

    /** Σ y·G of the kernel's forward, in f32 tensors made from the given values. */
    private static double objective(double[] x, double[] res, double[] w, double[] g, Convention c) {
        int n = w.length, rows = x.length / n;
        Device d = Device.cpu();
        try (Tensor xt = Tensor.from(x, DType.F32, d, rows, n); Tensor rt = Tensor.from(res, DType.F32, d, rows, n);
             Tensor wt = Tensor.from(w, DType.F32, d, n)) {
            RmsNorm.Output out = RmsNorm.forward(xt, rt, wt, EPS, c);
            double[] y = out.y().toDoubleArray();
            for (Tensor t : new Tensor[] {out.y(), out.residual(), out.saved().rstd()}) t.close();
            double s = 0;
            for (int i = 0; i < y.length; i++) s += y[i] * g[i];
            return s;
        }
    }

    @Test
    void badShapesSayWhich() {
        Device d = Device.cpu();
        try (Tensor x = Tensor.zeros(DType.F32, d, 4, 10); Tensor w = Tensor.zeros(DType.F32, d, 9); Tensor res = Tensor.zeros(DType.F32, d, 4, 11)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> RmsNorm.forward(x, null, w, EPS, Convention.LLAMA))
                    .getMessage().contains("the weight must be a contiguous [10]"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> RmsNorm.forward(x, res, w, EPS, Convention.LLAMA))
                    .getMessage().contains("must have the shape and strides of x"));
        }
    }
}
