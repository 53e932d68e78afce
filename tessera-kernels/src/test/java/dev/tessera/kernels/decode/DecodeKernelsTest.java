package dev.tessera.kernels.decode;

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
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decode kernels against float64 references computed here from the tensors' own (rounded)
 * inputs, on random seeded inputs whose sizes are not multiples of the blocks, outputs poisoned,
 * on every device and in f32, f16 and bf16.
 */
@ExtendWith(SeedExtension.class)
class DecodeKernelsTest {

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Stream.of(DType.F32, DType.F16, DType.BF16).map(t -> Arguments.of(d, t)));
    }

    /** |out − ref| ≤ atol · scale + rtol · |ref| elementwise, scale the sum of the terms' magnitudes. */
    static void close(double[] ref, double[] scale, double[] out, Tolerance tol, String what) {
        assertEquals(ref.length, out.length, what);
        for (int i = 0; i < ref.length; i++) {
            double bound = tol.atol() * Math.max(1, scale[i]) + tol.rtol() * Math.abs(ref[i]);
            if (!(Math.abs(out[i] - ref[i]) <= bound)) fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i] + " ± " + bound);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gemvWithBiasAndResidual(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int m = 203, k = 1111;
        for (int tokens : new int[] {1, 3, 16}) {
            for (boolean fused : new boolean[] {false, true}) {
                long[] xShape = tokens == 1 ? new long[] {k} : new long[] {tokens, k}, yShape = tokens == 1 ? new long[] {m} : new long[] {tokens, m};
                try (Tensor w = Tensor.randn(dtype, seed, d, m, k); Tensor x = Tensor.randn(dtype, seed + 1, d, xShape);
                     Tensor bias = Tensor.randn(dtype, seed + 2, d, m); Tensor res = Tensor.randn(dtype, seed + 3, d, yShape);
                     Tensor y = Tensor.full(dtype, Double.NaN, d, yShape)) {
                    if (fused) Gemv.gemv(w, x, bias, res, y); else Gemv.gemv(w, x, y);
                    double[] wv = w.toDoubleArray(), xv = x.toDoubleArray(), bv = bias.toDoubleArray(), rv = res.toDoubleArray();
                    double[] ref = new double[tokens * m], scale = new double[tokens * m];
                    for (int t = 0; t < tokens; t++) {
                        for (int r = 0; r < m; r++) {
                            double s = 0, a = 0;
                            for (int j = 0; j < k; j++) { s += wv[r * k + j] * xv[t * k + j]; a += Math.abs(wv[r * k + j] * xv[t * k + j]); }
                            if (fused) { s += bv[r] + rv[t * m + r]; a += Math.abs(bv[r]) + Math.abs(rv[t * m + r]); }
                            ref[t * m + r] = s;
                            scale[t * m + r] = a;
                        }
                    }
                    close(ref, scale, y.toDoubleArray(), Tolerance.of(dtype).scaled(0.1), "gemv " + dtype + " tokens " + tokens + (fused ? " + bias + residual" : ""));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void ropeAtOnePosition(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int heads = 5, headDim = 74, pos = 1234;
        try (Tensor x = Tensor.randn(dtype, seed, d, heads, headDim)) {
            double[] xv = x.toDoubleArray(), ref = new double[xv.length], scale = new double[xv.length];
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < headDim / 2; i++) {
                    double angle = pos * Math.pow(10000, -2.0 * i / headDim), a = xv[h * headDim + 2 * i], b = xv[h * headDim + 2 * i + 1];
                    ref[h * headDim + 2 * i] = a * Math.cos(angle) - b * Math.sin(angle);
                    ref[h * headDim + 2 * i + 1] = a * Math.sin(angle) + b * Math.cos(angle);
                    // the angle is f32, as LLaMA's is: at position 1234 its rounding (~6e-5) moves the result
                    scale[h * headDim + 2 * i] = scale[h * headDim + 2 * i + 1] = (Math.abs(a) + Math.abs(b)) * Math.max(1, pos * 1e-3);
                }
            }
            Rope.apply(x, pos, 10000);
            close(ref, scale, x.toDoubleArray(), Tolerance.of(dtype).scaled(dtype == DType.F32 ? 10 : 1), "rope " + dtype);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void swiglu(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int n = 11008 + 5;
        try (Tensor g = Tensor.randn(dtype, seed, d, n); Tensor u = Tensor.randn(dtype, seed + 1, d, n); Tensor out = Tensor.full(dtype, Double.NaN, d, n)) {
            SwiGlu.apply(g, u, out);
            double[] gv = g.toDoubleArray(), uv = u.toDoubleArray(), ref = new double[n], scale = new double[n];
            for (int i = 0; i < n; i++) {
                ref[i] = gv[i] / (1 + Math.exp(-gv[i])) * uv[i];
                scale[i] = Math.abs(ref[i]);
            }
            close(ref, scale, out.toDoubleArray(), Tolerance.of(dtype), "swiglu " + dtype);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void kvCacheAppendThenAttention(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int heads = 6, kvHeads = 2, headDim = 40, maxSeq = 150, len = 137, width = kvHeads * headDim;
        float scale = (float) (1 / Math.sqrt(headDim));
        try (Tensor kc = Tensor.full(dtype, Double.NaN, d, maxSeq, width); Tensor vc = Tensor.full(dtype, Double.NaN, d, maxSeq, width);
             Tensor q = Tensor.randn(dtype, seed, d, heads, headDim); Tensor out = Tensor.full(dtype, Double.NaN, d, heads, headDim)) {
            double[][] keys = new double[len][], values = new double[len][];
            for (int p = 0; p < len; p++) { // appended one step at a time, as a decoder does
                try (Tensor k = Tensor.randn(dtype, seed + 2 * p + 1, d, width); Tensor v = Tensor.randn(dtype, seed + 2 * p + 2, d, width)) {
                    KvCache.append(k, v, kc, vc, p);
                    keys[p] = k.toDoubleArray();
                    values[p] = v.toDoubleArray();
                }
            }
            double[] cached = kc.toDoubleArray();
            for (int p = 0; p < maxSeq; p++) {
                for (int j = 0; j < width; j++) {
                    double c = cached[p * width + j];
                    if (p < len) assertEquals(keys[p][j], c, 0.0, "cache row " + p); else assertTrue(Double.isNaN(c), "row " + p + " is untouched");
                }
            }
            AttentionDecode.attend(q, kc, vc, out, len, kvHeads, scale);
            double[] qv = q.toDoubleArray(), ref = new double[heads * headDim], mag = new double[heads * headDim];
            for (int h = 0; h < heads; h++) {
                int kvh = h / (heads / kvHeads);
                double[] s = new double[len];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int p = 0; p < len; p++) {
                    for (int j = 0; j < headDim; j++) s[p] += qv[h * headDim + j] * scale * keys[p][kvh * headDim + j];
                    max = Math.max(max, s[p]);
                }
                for (int p = 0; p < len; p++) sum += s[p] = Math.exp(s[p] - max);
                for (int j = 0; j < headDim; j++) {
                    for (int p = 0; p < len; p++) {
                        ref[h * headDim + j] += s[p] / sum * values[p][kvh * headDim + j];
                        mag[h * headDim + j] += s[p] / sum * Math.abs(values[p][kvh * headDim + j]);
                    }
                }
            }
            close(ref, mag, out.toDoubleArray(), Tolerance.of(dtype).scaled(dtype == DType.F32 ? 10 : 1), "attention decode " + dtype);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void embeddingLookup(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int vocab = 301, dim = 1100;
        SplittableRandom r = new SplittableRandom(seed);
        long[] ids = {r.nextInt(vocab), 0, vocab - 1, r.nextInt(vocab), -1, vocab}; // the last two are outside the table
        try (Tensor table = Tensor.randn(dtype, seed, d, vocab, dim); Tensor tokens = Tensor.fromLongs(ids, DType.I32, d, ids.length);
             Tensor out = Tensor.full(dtype, Double.NaN, d, ids.length, dim)) {
            Embedding.lookup(table, tokens, out);
            double[] tv = table.toDoubleArray(), ov = out.toDoubleArray();
            for (int t = 0; t < ids.length; t++) {
                for (int j = 0; j < dim; j++) {
                    double expected = ids[t] >= 0 && ids[t] < vocab ? tv[(int) ids[t] * dim + j] : 0.0;
                    assertEquals(expected, ov[t * dim + j], 0.0, "embedding " + dtype + " of token " + ids[t] + ", column " + j);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void argmaxAndTopKSampling(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int n = 10_007, k = 5;
        SplittableRandom r = new SplittableRandom(seed);
        double[] logits = new double[n];
        for (int i = 0; i < n; i++) logits[i] = r.nextGaussian();
        int[] top = {r.nextInt(n), r.nextInt(n), r.nextInt(n), r.nextInt(n), r.nextInt(n)};
        for (int j = 0; j < k; j++) logits[top[j]] = 6 + 0.5 * j; // five clear leaders (distinct even in bf16)
        try (Tensor x = Tensor.from(logits, dtype, d); Tensor out = Tensor.fromLongs(new long[] {-1}, DType.I32, d)) {
            double[] xv = x.toDoubleArray();
            int best = 0;
            for (int i = 1; i < n; i++) if (xv[i] > xv[best]) best = i;
            Sampling.argmax(x, out);
            assertEquals(best, out.toIntArray()[0], "argmax " + dtype);
            Sampling.sampleTopK(x, out.fill(-1), k, 0, 7);
            assertEquals(best, out.toIntArray()[0], "temperature 0 is greedy");

            // k = 5 rounds up to 8: the five leaders and every logit at or above the 8th largest value
            // (in f16 and bf16 several may tie there) take part
            Integer[] order = java.util.stream.IntStream.range(0, n).boxed().sorted((a, b) -> Double.compare(xv[b], xv[a])).toArray(Integer[]::new);
            double threshold = xv[order[7]], temperature = 1.5, z = 0;
            java.util.List<Integer> taking = java.util.Arrays.stream(order).filter(i -> xv[i] >= threshold).toList();
            double[] p = new double[taking.size()];
            for (int j = 0; j < p.length; j++) z += p[j] = Math.exp((xv[taking.get(j)] - xv[order[0]]) / temperature);
            int samples = 300;
            int[] counts = new int[k + 1]; // the five leaders by rank, then all the others together
            for (int s = 0; s < samples; s++) {
                Sampling.sampleTopK(x, out.fill(-1), k, temperature, seed + s);
                int token = out.toIntArray()[0], rank = taking.indexOf(token);
                assertTrue(rank >= 0, "sampled token " + token + " (logit " + (token >= 0 && token < n ? xv[token] : Double.NaN)
                        + ") is below the 8th largest logit " + threshold);
                counts[Math.min(rank, k)]++;
            }
            Sampling.sampleTopK(x, out.fill(-1), k, temperature, seed);
            int again = out.toIntArray()[0];
            Sampling.sampleTopK(x, out.fill(-1), k, temperature, seed);
            assertEquals(again, out.toIntArray()[0], "the same seed draws the same token");
            for (int j = 0; j <= k; j++) {
                double expected = 0;
                for (int i = j; i < (j < k ? j + 1 : p.length); i++) expected += p[i] / z;
                double got = counts[j] / (double) samples, sigma = Math.sqrt(expected * (1 - expected) / samples);
                assertTrue(Math.abs(got - expected) <= 5 * sigma + 0.02,
                        (j < k ? "rank " + j : "the others") + " drawn " + got + " of the time, the probability is " + expected + " (" + java.util.Arrays.toString(counts) + ")");
            }
        }
    }
}
