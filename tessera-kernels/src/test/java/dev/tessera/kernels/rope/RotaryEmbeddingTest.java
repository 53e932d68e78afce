package dev.tessera.kernels.rope;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RoPE forward (q and k in place, grouped-query heads, position ids, a token stride wider than the
 * heads) and backward (by −θ) against float64 rotations, on every device in f32, f16 and bf16; the
 * backward against finite differences of Σ rope(x)·G.
 */
@ExtendWith(SeedExtension.class)
class RotaryEmbeddingTest {

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Stream.of(DType.F32, DType.F16, DType.BF16).map(t -> Arguments.of(d, t)));
    }

    static final double BASE = 500000;

    /** x [T, H, D] (token stride {@code stride}) rotated by sign·θ in float64, and each element's error scale. */
    static double[][] rotated(double[] x, long[] pos, int heads, int headDim, int stride, double sign) {
        double[] out = x.clone(), scale = new double[x.length];
        int half = headDim / 2;
        for (int t = 0; t < pos.length; t++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < half; i++) {
                    double angle = pos[t] * Math.pow(BASE, -2.0 * i / headDim), c = Math.cos(angle), s = sign * Math.sin(angle);
                    int a = t * stride + h * headDim + i, b = a + half;
                    out[a] = x[a] * c - x[b] * s;
                    out[b] = x[b] * c + x[a] * s;
                    // the angle is f32: at position p its rounding (p·2^-24) turns the pair by that much more
                    scale[a] = scale[b] = (Math.abs(x[a]) + Math.abs(x[b])) * Math.max(1, pos[t] * 1.2e-7 / 1e-5);
                }
            }
        }
        return new double[][] {out, scale};
    }

    static void close(double[] ref, double[] scale, double[] out, Tolerance tol, String what) {
        for (int i = 0; i < ref.length; i++) {
            double bound = tol.atol() * Math.max(1, scale[i]) + tol.rtol() * Math.abs(ref[i]);
            if (!(Math.abs(out[i] - ref[i]) <= bound)) fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i] + " ± " + bound);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void forwardAndBackwardRotateQAndKTogether(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int tokens = 11, qHeads = 6, kHeads = 2, headDim = 74, extra = 3;   // 37 pairs per head; 3 spare heads of width per token
        long[] pos = new long[tokens];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int t = 0; t < tokens; t++) pos[t] = rnd.nextInt(8192);
        int qWidth = (qHeads + extra) * headDim;
        try (Tensor qWide = Tensor.randn(dtype, seed, d, tokens, qWidth); Tensor k = Tensor.randn(dtype, seed + 1, d, tokens, kHeads, headDim);
             Tensor positions = Tensor.fromLongs(pos, DType.I32, d, tokens)) {
            // q is a view of the first qHeads heads of wider token rows (as of a fused QKV projection)
            Tensor q = qWide.view(tokens, qHeads + extra, headDim).slice(1, 0, qHeads);
            double[] qv = qWide.toDoubleArray(), kv = k.toDoubleArray();
            double[][] refQ = rotated(qv, pos, qHeads, headDim, qWidth, 1), refK = rotated(kv, pos, kHeads, headDim, kHeads * headDim, 1);
            RotaryEmbedding.Saved saved = RotaryEmbedding.forward(q, k, positions, BASE);
            Tolerance tol = Tolerance.of(dtype).scaled(dtype == DType.F32 ? 10 : 1);
            String what = dtype + " seed " + seed;
            double[] gotQ = qWide.toDoubleArray();
            close(refQ[0], refQ[1], gotQ, tol, "q " + what);
            for (int t = 0; t < tokens; t++) {
                for (int j = qHeads * headDim; j < qWidth; j++) assertEquals(qv[t * qWidth + j], gotQ[t * qWidth + j], "heads past q untouched");
            }
            close(refK[0], refK[1], k.toDoubleArray(), tol, "k " + what);

            // backward: the rotated tensors, taken as gradients, turn by −θ
            double[] gq = qWide.toDoubleArray(), gk = k.toDoubleArray();
            double[][] backQ = rotated(gq, pos, qHeads, headDim, qWidth, -1), backK = rotated(gk, pos, kHeads, headDim, kHeads * headDim, -1);
            RotaryEmbedding.backward(saved, q, k);
            close(backQ[0], backQ[1], qWide.toDoubleArray(), tol, "dq " + what);
            close(backK[0], backK[1], k.toDoubleArray(), tol, "dk " + what);
        }
    }

    /** L = Σ rope(x)·G over q; central differences in x against backward(G) (f32, CPU). */
    @Test
    void backwardMatchesFiniteDifferences(@Seed long seed) {
        Device d = Device.cpu();
        int tokens = 3, heads = 2, headDim = 8;
        long[] pos = {0, 7, 1234};
        try (Tensor x = Tensor.randn(DType.F32, seed, d, tokens, heads, headDim); Tensor g = Tensor.randn(DType.F32, seed + 1, d, tokens, heads, headDim);
             Tensor k = Tensor.zeros(DType.F32, d, tokens, 1, headDim); Tensor positions = Tensor.fromLongs(pos, DType.I64, d, tokens)) {
            double[] xv = x.toDoubleArray(), gv = g.toDoubleArray();
            RotaryEmbedding.backward(new RotaryEmbedding.Saved(positions, BASE), g, k);
            double[] grad = g.toDoubleArray();
            double step = 1e-2;
            for (int i = 0; i < xv.length; i += 5) {
                double[] plus = xv.clone(), minus = xv.clone();
                plus[i] += step;
                minus[i] -= step;
                double fd = (objective(plus, gv, positions, tokens, heads, headDim) - objective(minus, gv, positions, tokens, heads, headDim)) / (2 * step);
                assertEquals(fd, grad[i], 1e-3 * Math.max(1, Math.abs(fd)), "d/dx[" + i + "], seed " + seed);
            }
        }
    }

    private static double objective(double[] x, double[] g, Tensor positions, int tokens, int heads, int headDim) {
        try (Tensor q = Tensor.from(x, DType.F32, Device.cpu(), tokens, heads, headDim); Tensor k = Tensor.zeros(DType.F32, Device.cpu(), tokens, 1, headDim)) {
            RotaryEmbedding.forward(q, k, positions, BASE);
            double[] y = q.toDoubleArray();
            double s = 0;
            for (int i = 0; i < y.length; i++) s += y[i] * g[i];
            return s;
        }
    }

    @Test
    void badShapesSayWhich() {
        Device d = Device.cpu();
        try (Tensor q = Tensor.zeros(DType.F32, d, 4, 6, 8); Tensor k = Tensor.zeros(DType.F32, d, 4, 4, 8); Tensor odd = Tensor.zeros(DType.F32, d, 4, 2, 7);
             Tensor pos = Tensor.zeros(DType.I32, d, 4); Tensor fpos = Tensor.zeros(DType.F32, d, 4)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> RotaryEmbedding.forward(q, k, pos, 10000)).getMessage().contains("cannot share"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> RotaryEmbedding.forward(odd, odd, pos, 10000)).getMessage().contains("even head dimension"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> RotaryEmbedding.forward(q, q, fpos, 10000)).getMessage().contains("i32 or i64"));
        }
    }
}
