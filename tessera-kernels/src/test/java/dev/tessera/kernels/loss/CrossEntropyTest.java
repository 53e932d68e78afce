package dev.tessera.kernels.loss;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.kernels.loss.CrossEntropy.Options;
import dev.tessera.kernels.loss.CrossEntropy.Reduction;
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
 * Cross-entropy's loss and in-place gradient against float64 references computed here from the
 * logits as stored (rounded to their dtype), for vocabularies of 32000 and 128256 (not multiples
 * of the block), ignored rows, every option, on every device in f32, f16 and bf16; rows around a
 * small block's length; and the gradient against finite differences of the loss.
 */
@ExtendWith(SeedExtension.class)
class CrossEntropyTest {

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Stream.of(DType.F32, DType.F16, DType.BF16).map(t -> Arguments.of(d, t)));
    }

    /** The float64 reference: each row's loss, the reduced loss, the gradient and each element's error scale. */
    record Ref(double[] rows, double loss, double[] grad, double[] scale) {}

    static Ref reference(double[] x, long[] labels, int vocab, Options o) {
        int rows = labels.length, count = 0;
        double[] rowLoss = new double[rows], grad = new double[x.length], scale = new double[x.length];
        for (long y : labels) if (y != o.ignoreIndex()) count++;
        double e = o.labelSmoothing(), s = o.logitScale(), c = o.softcap();
        double g = o.reduction() == Reduction.MEAN ? 1.0 / count : 1.0;
        for (int r = 0; r < rows; r++) {
            if (labels[r] == o.ignoreIndex()) continue;
            double[] z = new double[vocab];
            double m = Double.NEGATIVE_INFINITY, sumZ = 0, sumE = 0;
            for (int j = 0; j < vocab; j++) {
                z[j] = c > 0 ? c * Math.tanh(s * x[r * vocab + j] / c) : s * x[r * vocab + j];
                m = Math.max(m, z[j]);
                sumZ += z[j];
            }
            for (int j = 0; j < vocab; j++) sumE += Math.exp(z[j] - m);
            double lse = m + Math.log(sumE);
            int y = (int) labels[r];
            rowLoss[r] = lse - (1 - e) * z[y] - (e == 0 ? 0 : e / vocab * sumZ) + o.zLoss() * lse * lse;   // Σz is −inf with a masked logit
            for (int j = 0; j < vocab; j++) {
                double p = Math.exp(z[j] - lse) * (1 + 2 * o.zLoss() * lse), hot = j == y ? 1 - e : 0;
                double dz = c > 0 ? s * (1 - (z[j] / c) * (z[j] / c)) : s;
                grad[r * vocab + j] = g * (p - e / vocab - hot) * dz;
                scale[r * vocab + j] = g * (p + e / vocab + hot) * Math.abs(dz);
            }
        }
        double total = 0;
        for (double l : rowLoss) total += l;
        return new Ref(rowLoss, o.reduction() == Reduction.MEAN ? total / count : total, grad, scale);
    }

    /**
     * |out − ref| ≤ rtol · scale + {@code steps} of the dtype's smallest subnormal (the gradients of a
     * large vocabulary are tiny: f16 holds many as subnormals).
     */
    static void closeGrad(Ref ref, double[] out, DType t, double rtol, double steps, String what) {
        double floor = t == DType.F16 ? steps * 0x1p-24 : 0;
        for (int i = 0; i < out.length; i++) {
            double bound = rtol * ref.scale()[i] + floor;
            if (!(Math.abs(out[i] - ref.grad()[i]) <= bound)) {
                fail(what + ": gradient element " + i + " is " + out[i] + ", expected " + ref.grad()[i] + " ± " + bound);
            }
        }
    }

    static void closeLoss(double ref, double out, String what) {
        double bound = 3e-6 * Math.max(1, Math.abs(ref));   // computed in f32 whatever the logits' dtype
        if (!(Math.abs(out - ref) <= bound)) fail(what + ": loss " + out + ", expected " + ref + " ± " + bound);
    }

    /** Labels in [0, vocab), every {@code ignoreEvery}-th one ignoreIndex. */
    static long[] labels(long seed, int rows, int vocab, int ignoreEvery, int ignoreIndex) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] y = new long[rows];
        for (int r = 0; r < rows; r++) y[r] = ignoreEvery > 0 && r % ignoreEvery == 1 ? ignoreIndex : rnd.nextInt(vocab);
        return y;
    }

    /** Logits of spread 2 about 1 (a mean away from 0, so that label smoothing's Σz counts), rounded to the dtype. */
    static Tensor logits(DType t, long seed, Device d, int rows, int vocab) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] x = new double[rows * vocab];
        for (int i = 0; i < x.length; i++) x[i] = 1 + 2 * rnd.nextGaussian();
        return Tensor.from(x, t, d, rows, vocab);
    }

    static Tensor labelTensor(long[] y, DType t, Device d) {
        return Tensor.fromLongs(y, t, d, y.length);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void meanWithIgnoredRowsAndLabelSmoothing(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 5, vocab = 32000;
        Options o = Options.DEFAULT.labelSmoothing(0.1);
        long[] y = labels(seed, rows, vocab, 3, -100);
        try (Tensor logits = logits(dtype, seed, d, rows, vocab); Tensor labels = labelTensor(y, DType.I32, d)) {
            Ref ref = reference(logits.toDoubleArray(), y, vocab, o);
            CrossEntropy.Result r = CrossEntropy.forward(logits, labels, o);
            try (Tensor loss = r.loss()) {
                assertEquals(0, loss.rank(), "a mean is one value");
                closeLoss(ref.loss(), loss.toDoubleArray()[0], "mean " + dtype + " seed " + seed);
            }
            assertSame(logits, CrossEntropy.backward(r.context(), null), "the gradient is the logits' buffer");
            closeGrad(ref, logits.toDoubleArray(), dtype, Tolerance.of(dtype).rtol() * 2, 1, "mean " + dtype + " seed " + seed);
        }
    }

    /** A vocabulary masked with −inf (padding columns, a whole first block of them): they weigh nothing and get a gradient of 0. */
    @ParameterizedTest
    @MethodSource("cases")
    void maskedLogitsOfMinusInfinity(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 4, vocab = 32003, masked = 9000;
        Options o = Options.DEFAULT;
        long[] y = labels(seed, rows, vocab, 3, -100);
        double[] x;
        try (Tensor t = logits(dtype, seed, d, rows, vocab)) {
            x = t.toDoubleArray();
        }
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < vocab; j++) if (j < masked || j % 7 == 3) x[r * vocab + j] = Double.NEGATIVE_INFINITY;
            if (y[r] != -100) y[r] = masked + 7L * (y[r] % ((vocab - masked) / 7));   // a column ≡ 0 (mod 7): never masked
        }
        try (Tensor logits = Tensor.from(x, dtype, d, rows, vocab); Tensor labels = labelTensor(y, DType.I32, d)) {
            Ref ref = reference(x, y, vocab, o);
            CrossEntropy.Result r = CrossEntropy.forward(logits, labels, o);
            try (Tensor loss = r.loss()) {
                closeLoss(ref.loss(), loss.toDoubleArray()[0], "masked " + dtype + " seed " + seed);
            }
            closeGrad(ref, logits.toDoubleArray(), dtype, Tolerance.of(dtype).rtol() * 2, 1, "masked " + dtype + " seed " + seed);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void sumOverALlamaVocabularyWithSoftcapScaleAndZLoss(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 3, vocab = 128256;
        Options o = Options.DEFAULT.reduction(Reduction.SUM).softcap(3).logitScale(1.7).zLoss(1e-3).checkLabels(false);
        long[] y = labels(seed, rows, vocab, 0, -100);
        try (Tensor logits = logits(dtype, seed, d, rows, vocab); Tensor labels = labelTensor(y, DType.I64, d)) {
            Ref ref = reference(logits.toDoubleArray(), y, vocab, o);
            CrossEntropy.Result r = CrossEntropy.forward(logits, labels, o);
            try (Tensor loss = r.loss()) {
                closeLoss(ref.loss(), loss.toDoubleArray()[0], "sum " + dtype + " seed " + seed);
            }
            closeGrad(ref, logits.toDoubleArray(), dtype, Tolerance.of(dtype).rtol() * 2, 1, "sum " + dtype + " seed " + seed);
        }
    }

    /**
     * At a blocking of 64 logits, rows shorter than a block (whose whole-block loops load nothing
     * ahead), of one whole block and of three (no ragged end: the load ahead at the last whole
     * block is clamped to it), of a block and one logit, and of whole blocks and a ragged end;
     * every third row ignored, label smoothing on, the row losses written over NaN.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void rowsAroundTheBlockLength(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 5;
        CrossEntropy.Config config = new CrossEntropy.Config(64, 4);
        Options o = Options.DEFAULT.reduction(Reduction.NONE).labelSmoothing(0.1);
        for (int vocab : new int[] {1, 40, 64, 65, 192, 200}) {
            long[] y = labels(seed + vocab, rows, vocab, 3, -100);
            String what = vocab + " logits a row, " + dtype + " seed " + seed;
            try (Tensor logits = logits(dtype, seed + vocab, d, rows, vocab); Tensor labels = labelTensor(y, DType.I32, d);
                 CrossEntropy.Workspace ws = new CrossEntropy.Workspace(Tensor.full(DType.F32, Double.NaN, d, rows), Tensor.full(DType.I32, -1, d, 1),
                         Tensor.full(DType.F32, Double.NaN, d))) {
                Ref ref = reference(logits.toDoubleArray(), y, vocab, o);
                double[] got = CrossEntropy.forward(logits, labels, o, config, ws).loss().toDoubleArray();
                for (int i = 0; i < rows; i++) closeLoss(ref.rows()[i], got[i], "row " + i + " of " + what);
                closeGrad(ref, logits.toDoubleArray(), dtype, Tolerance.of(dtype).rtol() * 2, 1, what);
            }
        }
    }

    /**
     * The first pass through descriptors (a config of 3 stages; on Hopper the copy unit lands the
     * blocks ahead): blocks of 512 logits read as [1, 2, 256] boxes of the [rows, n / 256, 256] view,
     * for rows shorter than a block, of one, two and three whole blocks, with ragged ends past the
     * view's last column; every third row ignored, label smoothing on.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void theFirstPassThroughDescriptors(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 5;
        CrossEntropy.Config config = new CrossEntropy.Config(512, 4, 3);
        Options o = Options.DEFAULT.reduction(Reduction.NONE).labelSmoothing(0.1);
        for (int vocab : new int[] {296, 512, 1096, 1536, 1800}) {
            long[] y = labels(seed + vocab, rows, vocab, 3, -100);
            String what = vocab + " logits a row through descriptors, " + dtype + " seed " + seed;
            try (Tensor logits = logits(dtype, seed + vocab, d, rows, vocab); Tensor labels = labelTensor(y, DType.I32, d);
                 CrossEntropy.Workspace ws = new CrossEntropy.Workspace(Tensor.full(DType.F32, Double.NaN, d, rows), Tensor.full(DType.I32, -1, d, 1),
                         Tensor.full(DType.F32, Double.NaN, d))) {
                assertNotNull(CrossEntropy.firstPassBlocks(logits, 512), "the descriptor route for " + what);
                Ref ref = reference(logits.toDoubleArray(), y, vocab, o);
                double[] got = CrossEntropy.forward(logits, labels, o, config, ws).loss().toDoubleArray();
                for (int i = 0; i < rows; i++) closeLoss(ref.rows()[i], got[i], "row " + i + " of " + what);
                closeGrad(ref, logits.toDoubleArray(), dtype, Tolerance.of(dtype).rtol() * 2, 1, what);
            }
        }
        try (Tensor odd = Tensor.zeros(DType.BF16, d, 2, 300)) {
            assertNull(CrossEntropy.firstPassBlocks(odd, 512), "rows of 600 bytes break a descriptor's rules: through pointers");
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void perRowLossesThenAnUpstreamGradient(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 6, vocab = 32000;
        Options o = Options.DEFAULT.reduction(Reduction.NONE).ignoreIndex(7);
        long[] y = labels(seed, rows, vocab, 4, 7);
        try (Tensor logits = logits(dtype, seed, d, rows, vocab); Tensor labels = labelTensor(y, DType.I32, d);
             Tensor upstream = Tensor.randn(DType.F32, seed + 1, d, rows)) {
            Ref ref = reference(logits.toDoubleArray(), y, vocab, o);
            double[] g = upstream.toDoubleArray();
            CrossEntropy.Result r = CrossEntropy.forward(logits, labels, o);
            try (Tensor loss = r.loss()) {
                double[] got = loss.toDoubleArray();
                assertEquals(rows, got.length);
                for (int i = 0; i < rows; i++) closeLoss(ref.rows()[i], got[i], "row " + i + " " + dtype + " seed " + seed);
                assertEquals(0.0, got[1], "an ignored row's loss is 0");
            }
            CrossEntropy.backward(r.context(), upstream);
            double gMax = 0;
            for (double v : g) gMax = Math.max(gMax, Math.abs(v));
            for (int i = 0; i < ref.grad().length; i++) {
                ref.grad()[i] *= g[i / vocab];
                ref.scale()[i] *= Math.abs(g[i / vocab]);
            }
            // the scaling rounds to the dtype once more, after the first rounding is multiplied by g
            closeGrad(ref, logits.toDoubleArray(), dtype, Tolerance.of(dtype).rtol() * 3, 1 + gMax, "none, upstream " + dtype + " seed " + seed);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void lossAloneLeavesTheLogits(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 4, vocab = 32000;
        long[] y = labels(seed, rows, vocab, 0, -100);
        try (Tensor logits = logits(dtype, seed, d, rows, vocab); Tensor labels = labelTensor(y, DType.I32, d)) {
            double[] before = logits.toDoubleArray();
            Ref ref = reference(before, y, vocab, Options.DEFAULT);
            try (Tensor loss = CrossEntropy.loss(logits, labels, Options.DEFAULT)) {
                closeLoss(ref.loss(), loss.toDoubleArray()[0], "loss alone " + dtype + " seed " + seed);
            }
            assertArrayEquals(before, logits.toDoubleArray(), "the logits are untouched");
        }
    }

    /** Central differences of the f32 loss at a few logits of each row (their labels among them) against the kernel's gradient. */
    @Test
    void gradientMatchesFiniteDifferences(@Seed long seed) {
        Device d = Device.cpu();
        int rows = 4, vocab = 301;
        Options o = Options.DEFAULT.reduction(Reduction.SUM).labelSmoothing(0.2).logitScale(1.3).softcap(5).zLoss(1e-2);
        long[] y = labels(seed, rows, vocab, 3, -100);
        float[] x = new float[rows * vocab];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 2);
        double[] grad;
        try (Tensor logits = Tensor.of(x, d, rows, vocab); Tensor labels = labelTensor(y, DType.I32, d)) {
            CrossEntropy.forward(logits, labels, o).loss().close();
            grad = logits.toDoubleArray();
        }
        float h = 0.05f;
        for (int r = 0; r < rows; r++) {
            int[] at = {y[r] >= 0 ? (int) y[r] : 0, rnd.nextInt(vocab), vocab - 1};
            for (int j : at) {
                int i = r * vocab + j;
                float plus = x[i] + h, minus = x[i] - h;
                double fd = (lossAt(x, i, plus, y, o) - lossAt(x, i, minus, y, o)) / ((double) plus - minus);
                assertEquals(fd, grad[i], 2e-4 + 2e-2 * Math.abs(grad[i]), "d loss / d x[" + r + ", " + j + "], seed " + seed);
            }
        }
    }

    private static double lossAt(float[] x, int i, float value, long[] y, Options o) {
        float[] moved = x.clone();
        moved[i] = value;
        try (Tensor logits = Tensor.of(moved, Device.cpu(), y.length, x.length / y.length); Tensor labels = labelTensor(y, DType.I32, Device.cpu());
             Tensor loss = CrossEntropy.loss(logits, labels, o)) {
            return loss.toDoubleArray()[0];
        }
    }

    @Test
    void aWorkspaceServesStepAfterStep(@Seed long seed) {
        Device d = Device.cpu();
        int rows = 7, vocab = 999;
        long[] y = labels(seed, rows, vocab, 3, -100);
        Options o = Options.DEFAULT.labelSmoothing(0.05);
        try (Tensor labels = labelTensor(y, DType.I32, d); CrossEntropy.Workspace ws = CrossEntropy.Workspace.of(d, rows)) {
            for (int step = 0; step < 2; step++) {
                try (Tensor logits = logits(DType.F32, seed + step, d, rows, vocab)) {
                    Ref ref = reference(logits.toDoubleArray(), y, vocab, o);
                    CrossEntropy.Result r = CrossEntropy.forward(logits, labels, o, CrossEntropy.Config.defaultFor(logits), ws);
                    assertSame(ws.total(), r.loss(), "the loss is the workspace's");
                    closeLoss(ref.loss(), r.loss().toDoubleArray()[0], "step " + step + " seed " + seed);
                    closeGrad(ref, logits.toDoubleArray(), DType.F32, 2e-5, 0, "step " + step + " seed " + seed);
                }
            }
            try (Tensor other = Tensor.zeros(DType.F32, d, rows + 1, vocab); Tensor more = Tensor.zeros(DType.I32, d, rows + 1)) {
                assertTrue(assertThrows(IllegalArgumentException.class, () -> CrossEntropy.forward(other, more, o, CrossEntropy.Config.defaultFor(other), ws))
                        .getMessage().contains("a workspace for 7 rows"));
            }
        }
    }

    @Test
    void aMeanOverOnlyIgnoredRowsIsNaNWithAZeroGradient() {
        try (Tensor logits = Tensor.randn(DType.F32, 1, Device.cpu(), 2, 100); Tensor labels = labelTensor(new long[] {-100, -100}, DType.I32, Device.cpu())) {
            CrossEntropy.Result r = CrossEntropy.forward(logits, labels, Options.DEFAULT);
            try (Tensor loss = r.loss()) {
                assertTrue(Double.isNaN(loss.toDoubleArray()[0]), "PyTorch's mean over no rows");
            }
            for (double g : logits.toDoubleArray()) assertEquals(0.0, g);
        }
    }

    @Test
    void labelsOutsideTheVocabularyFailWhenCheckedAndGiveNaNWhenNot() {
        try (Tensor logits = Tensor.randn(DType.F32, 2, Device.cpu(), 3, 50); Tensor labels = labelTensor(new long[] {4, 50, -100}, DType.I32, Device.cpu())) {
            RuntimeException e = assertThrows(RuntimeException.class, () -> CrossEntropy.loss(logits, labels, Options.DEFAULT));
            assertTrue(String.valueOf(e.getMessage()).contains("outside [0, vocabulary)"), String.valueOf(e.getMessage()));
            try (Tensor loss = CrossEntropy.loss(logits, labels, Options.DEFAULT.reduction(Reduction.NONE).checkLabels(false))) {
                double[] l = loss.toDoubleArray();
                assertTrue(Double.isFinite(l[0]) && Double.isNaN(l[1]) && l[2] == 0, java.util.Arrays.toString(l));
            }
        }
    }

    @Test
    void badShapesAndOptionsSayWhich() {
        Device d = Device.cpu();
        try (Tensor logits = Tensor.zeros(DType.F32, d, 4, 10); Tensor labels = Tensor.zeros(DType.I32, d, 3);
             Tensor floatLabels = Tensor.zeros(DType.F32, d, 4); Tensor flat = Tensor.zeros(DType.F32, d, 40)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> CrossEntropy.forward(logits, labels, Options.DEFAULT))
                    .getMessage().contains("labels must be a contiguous [4]"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> CrossEntropy.forward(logits, floatLabels, Options.DEFAULT))
                    .getMessage().contains("i32 or i64"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> CrossEntropy.forward(flat, labels, Options.DEFAULT))
                    .getMessage().contains("[tokens, vocabulary]"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.labelSmoothing(1.5)).getMessage().contains("labelSmoothing"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Options.DEFAULT.softcap(-1)).getMessage().contains("softcap"));
        }
    }
}
