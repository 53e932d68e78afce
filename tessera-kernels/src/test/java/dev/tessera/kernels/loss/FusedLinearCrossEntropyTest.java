package dev.tessera.kernels.loss;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.kernels.loss.CrossEntropy.Options;
import dev.tessera.kernels.loss.CrossEntropy.Reduction;
import dev.tessera.kernels.loss.FusedLinearCrossEntropy.Config;
import dev.tessera.kernels.loss.FusedLinearCrossEntropy.Grads;
import dev.tessera.kernels.loss.FusedLinearCrossEntropy.Result;
import dev.tessera.kernels.loss.FusedLinearCrossEntropy.Workspace;
import dev.tessera.kernels.matmul.MatmulConfig;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused linear cross-entropy against float64 references computed here: logits H·Wᵀ + b from
 * the stored inputs (rounded to the dtype, as the kernel stores them), {@link CrossEntropyTest}'s
 * reference loss and d loss / d logits, then dH = G·W, dW = Gᵀ·H and dBias = Σ G; token counts that
 * are not multiples of the chunk or the block, a vocabulary of 32000, ignored rows, every dtype;
 * finite differences of the loss; chunking leaves the result alone.
 */
@ExtendWith(SeedExtension.class)
class FusedLinearCrossEntropyTest {
    /** One blocking and a chunk of 16 tokens: three chunks of 37 tokens, the last partial; few specializations. */
    static Config config(Tensor h, int chunk) {
        return new Config(chunk, new MatmulConfig(32, 64, 32, 8, 4, 2), CrossEntropy.Config.defaultFor(h.device(), 1000));
    }

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Stream.of(DType.F32, DType.F16, DType.BF16).map(t -> Arguments.of(d, t)));
    }

    /** The reference: the loss, the gradients and each gradient element's error scale (Σ of its terms' magnitudes). */
    record Ref(double loss, double[] rows, double[] dh, double[] dhScale, double[] dhL2, double[] dw, double[] dwScale, double[] dwL2,
               double[] db, double[] dbScale, double[] dbL2) {}

    static Ref reference(double[] h, double[] w, double[] b, long[] y, int t, int d, int v, DType dtype, Options o) {
        double[] logits = new double[t * v];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < v; j++) {
                double s = b == null ? 0 : b[j];
                for (int k = 0; k < d; k++) s += h[i * d + k] * w[j * d + k];
                logits[i * v + j] = Numerics.round(s, dtype);
            }
        }
        CrossEntropyTest.Ref ce = CrossEntropyTest.reference(logits, y, v, o);
        double[] g = ce.grad(), gs = ce.scale();
        double[] dh = new double[t * d], dhS = new double[t * d], dw = new double[v * d], dwS = new double[v * d];
        double[] db = new double[v], dbS = new double[v], dhL = new double[t * d], dwL = new double[v * d], dbL = new double[v];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < v; j++) {
                double gij = g[i * v + j], sij = gs[i * v + j] + Math.abs(gij);
                db[j] += gij;
                dbS[j] += sij;
                dbL[j] += 1;
                for (int k = 0; k < d; k++) {
                    dh[i * d + k] += gij * w[j * d + k];
                    dhS[i * d + k] += sij * Math.abs(w[j * d + k]);
                    dhL[i * d + k] += w[j * d + k] * w[j * d + k];
                    dw[j * d + k] += gij * h[i * d + k];
                    dwS[j * d + k] += sij * Math.abs(h[i * d + k]);
                    dwL[j * d + k] += h[i * d + k] * h[i * d + k];
                }
            }
        }
        for (double[] l2 : new double[][] {dhL, dwL, dbL}) for (int i = 0; i < l2.length; i++) l2[i] = Math.sqrt(l2[i]);
        return new Ref(ce.loss(), ce.rows(), dh, dhS, dhL, dw, dwS, dwL, db, dbS, dbL);
    }

    /**
     * |out − ref| ≤ rtol·scale + a floor for f16, which holds a large vocabulary's gradients over the
     * logits (and small weight gradients) as subnormals, a fixed step of 2^-24: each rounds by at most
     * half a step, independently, so a sum over the other operand's column errs by a few half steps
     * times its 2-norm, and each of the chunks' roundings of an accumulated output by half a step more.
     */
    static void close(double[] ref, double[] scale, double[] l2, double[] out, DType t, int chunks, String what) {
        close(ref, scale, l2, out, t == DType.F32 ? 2e-5 : t == DType.F16 ? 4e-3 : 2e-2, t == DType.F16 ? 0x1p-25 : 0, chunks, what);
    }

    static void close(double[] ref, double[] scale, double[] l2, double[] out, double rtol, double halfStep, int chunks, String what) {
        for (int i = 0; i < out.length; i++) {
            double bound = rtol * scale[i] + halfStep * (4 * l2[i] + chunks) + 1e-7;
            if (!(Math.abs(out[i] - ref[i]) <= bound)) fail(what + " element " + i + " is " + out[i] + ", expected " + ref[i] + " ± " + bound);
        }
    }

    /** Inputs of spread 1 (logits of spread about 1), rounded to the dtype. */
    static Tensor input(DType t, long seed, Device d, double spread, long... shape) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] x = new double[Math.toIntExact(java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact))];
        for (int i = 0; i < x.length; i++) x[i] = spread * rnd.nextGaussian();
        return Tensor.from(x, t, d, shape);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void meanWithABiasIgnoredRowsAndLabelSmoothing(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int t = 37, hd = 24, v = 32000;
        Options o = Options.DEFAULT.labelSmoothing(0.1);
        long[] y = CrossEntropyTest.labels(seed, t, v, 5, -100);
        try (Tensor h = input(dtype, seed, d, 1, t, hd); Tensor w = input(dtype, seed + 1, d, 0.2, v, hd); Tensor b = input(dtype, seed + 2, d, 0.5, v);
             Tensor labels = CrossEntropyTest.labelTensor(y, DType.I64, d); Grads g = Grads.like(h, w, b);
             Workspace ws = Workspace.of(d, dtype, t, 16, v)) {
            for (Tensor x : new Tensor[] {g.dHidden(), g.dWeight(), g.dBias()}) x.fill(Double.NaN);
            Ref ref = reference(h.toDoubleArray(), w.toDoubleArray(), b.toDoubleArray(), y, t, hd, v, dtype, o);
            Result r = FusedLinearCrossEntropy.forward(h, w, b, labels, o, config(h, 16), g, ws);
            String what = "mean " + dtype + " seed " + seed;
            CrossEntropyTest.closeLoss(ref.loss(), r.loss().toDoubleArray()[0], what);
            close(ref.dh(), ref.dhScale(), ref.dhL2(), g.dHidden().toDoubleArray(), dtype, 1, what + " dH");
            close(ref.dw(), ref.dwScale(), ref.dwL2(), g.dWeight().toDoubleArray(), dtype, 3, what + " dW");
            close(ref.db(), ref.dbScale(), ref.dbL2(), g.dBias().toDoubleArray(), dtype, 3, what + " dBias");
            double[] dh = g.dHidden().toDoubleArray();
            for (int k = 0; k < hd; k++) assertEquals(0.0, dh[hd + k], "token 1 is ignored: its dH row is 0");
        }
    }

    @ParameterizedTest
    @MethodSource("dtypes")
    void perTokenLossesWithSoftcapZLossAndF32WeightGradients(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int t = 21, hd = 40, v = 1000;
        Options o = Options.DEFAULT.reduction(Reduction.NONE).softcap(4).logitScale(1.5).zLoss(1e-3).ignoreIndex(3);
        long[] y = CrossEntropyTest.labels(seed, t, v, 4, 3);
        try (Tensor h = input(dtype, seed, d, 1, t, hd); Tensor w = input(dtype, seed + 1, d, 0.3, v, hd);
             Tensor labels = CrossEntropyTest.labelTensor(y, DType.I32, d);
             Grads g = new Grads(Tensor.full(dtype, Double.NaN, d, t, hd), Tensor.full(DType.F32, Double.NaN, d, v, hd), null);
             Workspace ws = Workspace.of(d, dtype, t, 8, v)) {
            Ref ref = reference(h.toDoubleArray(), w.toDoubleArray(), null, y, t, hd, v, dtype, o);
            Result r = FusedLinearCrossEntropy.forward(h, w, null, labels, o, config(h, 8), g, ws);
            double[] rows = r.loss().toDoubleArray();
            assertEquals(t, rows.length);
            String what = "none " + dtype + " seed " + seed;
            for (int i = 0; i < t; i++) CrossEntropyTest.closeLoss(ref.rows()[i], rows[i], what + " row " + i);
            assertEquals(0.0, rows[1], "an ignored token's loss is 0");
            close(ref.dh(), ref.dhScale(), ref.dhL2(), g.dHidden().toDoubleArray(), dtype, 1, what + " dH");
            // an f32 dW keeps every chunk's digits: only the gradient over the logits was rounded (bf16: 2^-9)
            close(ref.dw(), ref.dwScale(), ref.dwL2(), g.dWeight().toDoubleArray(), dtype == DType.F32 ? 2e-5 : 4e-3, 0, 3, what + " dW");
            assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedLinearCrossEntropy.backward(r, labels))
                    .getMessage().contains("reduction none"));
        }
    }

    static Stream<Arguments> dtypes() {
        return TestDevices.all().flatMap(d -> Stream.of(DType.F32, DType.BF16).map(t -> Arguments.of(d, t)));
    }

    /** The chunk changes only the order of dW's sums; backward scales every gradient by the upstream one. */
    @Test
    void oneChunkOrManyAndAnUpstreamGradient(@Seed long seed) {
        Device d = Device.cpu();
        int t = 19, hd = 16, v = 333;
        Options o = Options.DEFAULT.reduction(Reduction.SUM);
        long[] y = CrossEntropyTest.labels(seed, t, v, 0, -100);
        try (Tensor h = input(DType.F32, seed, d, 1, t, hd); Tensor w = input(DType.F32, seed + 1, d, 0.3, v, hd); Tensor b = input(DType.F32, seed + 2, d, 1, v);
             Tensor labels = CrossEntropyTest.labelTensor(y, DType.I32, d); Tensor two = Tensor.of(new float[] {-2}, d)) {
            Result whole = FusedLinearCrossEntropy.forward(h, w, b, labels, o);
            assertEquals(1, FusedLinearCrossEntropy.chunkRows(t, v, hd), "logits 21 (⌈333/16⌉) times the hidden states' size: 19 tokens in chunks of 1");
            assertEquals(8, FusedLinearCrossEntropy.chunkRows(100, v, hd), "⌈100/21⌉ = 5 tokens, rounded up to a power of 2");
            try (Grads g = Grads.like(h, w, b); Workspace ws = Workspace.of(d, DType.F32, t, 4, v); Grads gw = whole.grads(); Tensor lw = whole.loss()) {
                Result chunked = FusedLinearCrossEntropy.forward(h, w, b, labels, o, config(h, 4), g, ws);
                assertEquals(lw.toDoubleArray()[0], chunked.loss().toDoubleArray()[0], 1e-5 * Math.abs(lw.toDoubleArray()[0]));
                double[] ref = gw.dWeight().toDoubleArray(), got = g.dWeight().toDoubleArray();
                for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 1e-6 + 1e-5 * Math.abs(ref[i]), "dW[" + i + "] seed " + seed);
                double[][] before = {gw.dHidden().toDoubleArray(), gw.dWeight().toDoubleArray(), gw.dBias().toDoubleArray()};
                assertSame(gw, FusedLinearCrossEntropy.backward(whole, two));
                double[][] after = {gw.dHidden().toDoubleArray(), gw.dWeight().toDoubleArray(), gw.dBias().toDoubleArray()};
                for (int k = 0; k < 3; k++) for (int i = 0; i < before[k].length; i++) assertEquals(-2 * before[k][i], after[k][i], 1e-6 * Math.abs(before[k][i]));
            }
        }
    }

    /** Central differences of the f32 loss at a few elements of H, W and the bias against the fused gradients. */
    @Test
    void gradientsMatchFiniteDifferences(@Seed long seed) {
        Device d = Device.cpu();
        int t = 7, hd = 12, v = 301;
        Options o = Options.DEFAULT.labelSmoothing(0.1).softcap(6).zLoss(1e-2);
        long[] y = CrossEntropyTest.labels(seed, t, v, 3, -100);
        SplittableRandom rnd = new SplittableRandom(seed);
        float[][] x = {new float[t * hd], new float[v * hd], new float[v]};
        for (float[] a : x) for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextGaussian();
        double[][] grads;
        try (Tensor h = Tensor.of(x[0], d, t, hd); Tensor w = Tensor.of(x[1], d, v, hd); Tensor b = Tensor.of(x[2], d, v);
             Tensor labels = CrossEntropyTest.labelTensor(y, DType.I32, d)) {
            Result r = FusedLinearCrossEntropy.forward(h, w, b, labels, o);
            try (Grads g = r.grads(); Tensor loss = r.loss()) {
                grads = new double[][] {g.dHidden().toDoubleArray(), g.dWeight().toDoubleArray(), g.dBias().toDoubleArray()};
            }
        }
        float step = 0.02f;
        for (int which = 0; which < 3; which++) {
            for (int n = 0; n < 4; n++) {
                int i = which == 1 && n == 0 ? (int) y[0] * hd : rnd.nextInt(x[which].length);   // W's row of a label among them
                float keep = x[which][i];
                x[which][i] = keep + step;
                double plus = lossAt(x, y, t, hd, v, o);
                x[which][i] = keep - step;
                double minus = lossAt(x, y, t, hd, v, o);
                x[which][i] = keep;
                double fd = (plus - minus) / (2.0 * step);
                assertEquals(fd, grads[which][i], 3e-4 + 2e-2 * Math.abs(grads[which][i]), "input " + which + " element " + i + ", seed " + seed);
            }
        }
    }

    private static double lossAt(float[][] x, long[] y, int t, int hd, int v, Options o) {
        Device d = Device.cpu();
        try (Tensor h = Tensor.of(x[0], d, t, hd); Tensor w = Tensor.of(x[1], d, v, hd); Tensor b = Tensor.of(x[2], d, v);
             Tensor labels = CrossEntropyTest.labelTensor(y, DType.I32, d)) {
            Result r = FusedLinearCrossEntropy.forward(h, w, b, labels, o);
            try (Grads g = r.grads(); Tensor loss = r.loss()) {
                return loss.toDoubleArray()[0];
            }
        }
    }

    @Test
    void ligersChunkRuleAndBadArgumentsSayWhatIsWrong() {
        assertEquals(256, FusedLinearCrossEntropy.chunkRows(8192, 128256, 4096), "T = 8192, d = 4096, V = 128256: 32 chunks of 256");
        Device gpu = new Device("cuda", 0);
        assertEquals(256, FusedLinearCrossEntropy.chunkRows(8192, 128256, 4096, Device.cpu()), "Liger's rule on the CPU");
        assertEquals(1024, FusedLinearCrossEntropy.chunkRows(8192, 128256, 4096, gpu), "at least 1024 tokens a chunk on a GPU");
        assertEquals(2048, FusedLinearCrossEntropy.chunkRows(65536, 128256, 4096, gpu), "Liger's rule where it asks for more");
        assertEquals(300, FusedLinearCrossEntropy.chunkRows(300, 128256, 4096, gpu), "never more than the tokens");
        Device d = Device.cpu();
        try (Tensor h = Tensor.zeros(DType.F32, d, 4, 8); Tensor w = Tensor.zeros(DType.F32, d, 10, 8); Tensor w9 = Tensor.zeros(DType.F32, d, 10, 9);
             Tensor wh = Tensor.zeros(DType.BF16, d, 10, 8); Tensor labels = Tensor.zeros(DType.I32, d, 4); Tensor three = Tensor.zeros(DType.I32, d, 3);
             Tensor bias = Tensor.zeros(DType.F32, d, 11)) {
            Options o = Options.DEFAULT;
            assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedLinearCrossEntropy.forward(h, w9, null, labels, o)).getMessage()
                    .contains("[vocabulary, 8]"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedLinearCrossEntropy.forward(h, wh, null, labels, o)).getMessage()
                    .contains("must be f32 as the hidden states"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedLinearCrossEntropy.forward(h, w, null, three, o)).getMessage()
                    .contains("labels must be [4]"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedLinearCrossEntropy.forward(h, w, bias, labels, o)).getMessage()
                    .contains("bias must be a contiguous f32 [10]"));
            try (Grads g = Grads.like(h, w, null); Workspace ws = Workspace.of(d, DType.F32, 5, 2, 10)) {
                assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedLinearCrossEntropy.forward(h, w, null, labels, o, config(h, 2), g, ws))
                        .getMessage().contains("a workspace for 5 tokens"));
            }
        }
    }
}
