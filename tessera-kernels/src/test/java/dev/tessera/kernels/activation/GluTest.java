package dev.tessera.kernels.activation;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.kernels.activation.Glu.Activation;
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
 * SwiGLU and GeGLU (erf and tanh) forward and backward against float64 references, outputs
 * poisoned, the in-place backward over gate and up, on every device in f32, f16 and bf16; the
 * derivatives against finite differences.
 */
@ExtendWith(SeedExtension.class)
class GluTest {

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Stream.of(DType.F32, DType.F16, DType.BF16).flatMap(t ->
                Stream.of(Activation.values()).map(a -> Arguments.of(d, t, a))));
    }

    /** erf by the series 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (2n+1)!! (positive terms; a few ulp for |x| ≤ 6). */
    static double erf(double x) {
        if (Math.abs(x) > 6) return Math.signum(x);
        double a = Math.abs(x), term = a, sum = a;
        for (int n = 1; n < 400 && term > 1e-18 * sum; n++) {
            term *= 2 * a * a / (2 * n + 1);
            sum += term;
        }
        return Math.copySign(2 / Math.sqrt(Math.PI) * Math.exp(-a * a) * sum, x);
    }

    /** act(g) and act'(g) in float64. */
    static double[] act(Activation a, double g) {
        return switch (a) {
            case SILU -> {
                double s = 1 / (1 + Math.exp(-g));
                yield new double[] {g * s, s * (1 + g * (1 - s))};
            }
            case GELU_ERF -> {
                double cdf = 0.5 * (1 + erf(g / Math.sqrt(2)));
                yield new double[] {g * cdf, cdf + g * Math.exp(-g * g / 2) / Math.sqrt(2 * Math.PI)};
            }
            case GELU_TANH -> {
                double k = Math.sqrt(2 / Math.PI), t = Math.tanh(k * (g + 0.044715 * g * g * g));
                yield new double[] {0.5 * g * (1 + t), 0.5 * (1 + t) + 0.5 * g * (1 - t * t) * k * (1 + 3 * 0.044715 * g * g)};
            }
        };
    }

    @ParameterizedTest
    @MethodSource("cases")
    void forwardAndBackwardMatchFloat64(Device device, DType dtype, Activation activation, @Seed long seed) {
        Device d = TestDevices.require(device);
        int tokens = 7, width = 1409;   // 9863 elements: not a multiple of any block
        try (Tensor gate = Tensor.randn(dtype, seed, d, tokens, width); Tensor up = Tensor.randn(dtype, seed + 1, d, tokens, width);
             Tensor dOut = Tensor.randn(dtype, seed + 2, d, tokens, width); Tensor out = Tensor.full(dtype, Double.NaN, d, tokens, width);
             Tensor dGate = Tensor.full(dtype, Double.NaN, d, tokens, width); Tensor dUp = Tensor.full(dtype, Double.NaN, d, tokens, width)) {
            double[] g = gate.toDoubleArray(), u = up.toDoubleArray(), dy = dOut.toDoubleArray();
            int n = g.length;
            double[] refOut = new double[n], refDg = new double[n], refDu = new double[n];
            for (int i = 0; i < n; i++) {
                double[] a = act(activation, g[i]);
                refOut[i] = a[0] * u[i];
                refDg[i] = dy[i] * u[i] * a[1];
                refDu[i] = dy[i] * a[0];
            }
            Glu.Output o = Glu.forward(gate, up, activation, out);
            Glu.backward(o.saved(), dOut, dGate, dUp);
            // the elementwise functions are "fast" f32 math (a few ulp): a little more than the rounding bound
            Tolerance tol = dtype == DType.F32 ? Tolerance.of(dtype).scaled(10) : Tolerance.of(dtype).scaled(2);
            String what = activation + " " + dtype + " seed " + seed;
            dev.tessera.testing.Check.close(refOut, out.toDoubleArray(), tol, "out " + what);
            dev.tessera.testing.Check.close(refDg, dGate.toDoubleArray(), tol, "dGate " + what);
            dev.tessera.testing.Check.close(refDu, dUp.toDoubleArray(), tol, "dUp " + what);

            // in place: the gradients over gate and up themselves give the same bits
            Glu.backward(o.saved(), dOut, gate, up);
            assertArrayEquals(dGate.toDoubleArray(), gate.toDoubleArray(), "in-place dGate " + what);
            assertArrayEquals(dUp.toDoubleArray(), up.toDoubleArray(), "in-place dUp " + what);
        }
    }

    /** The kernels' act' against central differences of their act, through out = act(gate)·1 (f32, CPU). */
    @Test
    void derivativesMatchFiniteDifferences() {
        Device d = Device.cpu();
        double[] g = {-3.1, -1.2, -0.4, 0.0, 0.3, 0.9, 2.2, 4.0};
        double step = 1e-2;
        for (Activation a : Activation.values()) {
            double[] plus = g.clone(), minus = g.clone(), ones = new double[g.length];
            for (int i = 0; i < g.length; i++) {
                plus[i] += step;
                minus[i] -= step;
                ones[i] = 1;
            }
            try (Tensor gt = Tensor.from(g, DType.F32, d, g.length); Tensor gp = Tensor.from(plus, DType.F32, d, g.length);
                 Tensor gm = Tensor.from(minus, DType.F32, d, g.length); Tensor one = Tensor.from(ones, DType.F32, d, g.length)) {
                Glu.Output op = Glu.forward(gp, one, a), om = Glu.forward(gm, one, a);
                Glu.Grads grads = Glu.backward(new Glu.Saved(gt, one, a), one);
                double[] fp = op.out().toDoubleArray(), fm = om.out().toDoubleArray(), dg = grads.dGate().toDoubleArray();
                for (Tensor t : new Tensor[] {op.out(), om.out(), grads.dGate(), grads.dUp()}) t.close();
                for (int i = 0; i < g.length; i++) {
                    double fd = (fp[i] - fm[i]) / ((float) plus[i] - (float) minus[i]);
                    assertEquals(fd, dg[i], 1e-3, a + " act'(" + g[i] + ")");
                }
            }
        }
    }

    @Test
    void badArgumentsSayWhich() {
        try (Tensor a = Tensor.zeros(DType.F32, Device.cpu(), 10); Tensor b = Tensor.zeros(DType.F32, Device.cpu(), 11)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Glu.forward(a, b, Activation.SILU)).getMessage().contains("one size"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Glu.forward(a, a, Activation.SILU, a)).getMessage().contains("may not be gate or up"));
        }
    }
}
