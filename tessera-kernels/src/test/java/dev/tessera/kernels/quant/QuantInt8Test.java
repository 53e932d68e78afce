package dev.tessera.kernels.quant;

import static dev.tessera.kernels.quant.QuantTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** INT8 absmax quantization and the LLM.int8() decomposition against plain-Java references, on every device. */
@ExtendWith(SeedExtension.class)
class QuantInt8Test {
    static Stream<Arguments> cases() { return devicesAndDtypes(); }

    static Stream<Arguments> halfCases() {
        return TestDevices.all().flatMap(d -> Stream.of(DType.F16, DType.BF16).map(t -> Arguments.of(d, t)));
    }

    static final int M = 37, N = 1000;

    /** Random rows with edge rows in front: zeros, ±max, subnormals, exact ties, NaN, an infinity. */
    static double[] input(long seed, DType t) {
        double[] x = normal(seed, M * N, 3);
        Arrays.fill(x, 0, N, 0.0);
        x[N + 5] = largest(t);
        x[N + 7] = -largest(t);
        for (int j = 0; j < N; j++) x[2 * N + j] = tiny(t) * (j % 7 - 3);
        double[] ties = {127, 0.5, 1.5, 2.5, -0.5, -2.5, 3.5, -126.5, 126.5};
        Arrays.fill(x, 3 * N, 4 * N, 0.0);
        System.arraycopy(ties, 0, x, 3 * N, ties.length);
        x[4 * N + 1] = Double.NaN;
        x[4 * N + 500] = Double.NaN;
        x[5 * N + 3] = Double.POSITIVE_INFINITY;
        return x;
    }

    /** The reference: scale = absmax / 127 (f32, NaN left out), q = rint(x / scale) in [-127, 127], NaN to 0. */
    record Ref(long[] q, float[] scales) {}

    static Ref reference(double[] x, int m, int n, boolean rows, boolean[] dropColumn) {
        int lines = rows ? m : n, length = rows ? n : m;
        long[] q = new long[m * n];
        float[] scales = new float[lines];
        for (int l = 0; l < lines; l++) {
            float amax = 0;
            for (int i = 0; i < length; i++) {
                int at = rows ? l * n + i : i * n + l;
                float v = dropColumn != null && dropColumn[at % n] ? 0 : (float) x[at];
                if (!Float.isNaN(v)) amax = Math.max(amax, Math.abs(v));
            }
            float scale = amax / 127f;
            scales[l] = scale;
            for (int i = 0; i < length; i++) {
                int at = rows ? l * n + i : i * n + l;
                float v = dropColumn != null && dropColumn[at % n] ? 0 : (float) x[at];
                double r = Math.rint(v / (scale == 0 ? 1f : scale));
                q[at] = Double.isNaN(r) ? 0 : (long) Math.max(-127, Math.min(127, r));
            }
        }
        return new Ref(q, scales);
    }

    static double[] dequantized(Ref r, int m, int n, boolean rows, DType t) {
        double[] out = new double[m * n];
        for (int i = 0; i < m * n; i++) out[i] = round((float) r.q()[i] * r.scales()[rows ? i / n : i % n], t);
        return out;
    }

    private static Int8.Quantized poisoned(Device d, int m, int n, Int8.Axis axis) {
        return new Int8.Quantized(Tensor.full(DType.I8, -128, d, m, n), Tensor.full(DType.F32, Double.NaN, d, axis == Int8.Axis.ROWS ? m : n), axis);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void perRowAndPerColumn(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        try (Tensor x = Tensor.from(input(seed, dtype), dtype, d, M, N)) {
            double[] xv = x.toDoubleArray();
            for (Int8.Axis axis : Int8.Axis.values()) {
                boolean rows = axis == Int8.Axis.ROWS;
                Ref ref = reference(xv, M, N, rows, null);
                try (Int8.Quantized q = poisoned(d, M, N, axis); Tensor back = Tensor.full(dtype, Double.NaN, d, M, N)) {
                    if (rows) Int8.quantizeRows(x, q); else Int8.quantizeColumns(x, q);
                    Check.equal(ref.q(), q.values().toLongArray(), axis + " codes");
                    sameValues(floats(ref.scales()), q.scales().toDoubleArray(), axis + " scales");
                    Int8.dequantize(q, back);
                    sameValues(dequantized(ref, M, N, rows, dtype), back.toDoubleArray(), axis + " dequantized");
                }
            }
            Ref rows = reference(xv, M, N, true, null);
            assertArrayEquals(new long[] {127, 0, 2, 2, 0, -2, 4, -126, 126}, Arrays.copyOfRange(rows.q(), 3 * N, 3 * N + 9),
                    "ties round to even");
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void roundTripIsWithinHalfAStep(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int m = 5, n = 333;
        try (Tensor x = Tensor.from(normal(seed, m * n, 1), dtype, d, m, n); Int8.Quantized q = Int8.quantizeRows(x);
             Tensor back = Int8.dequantize(q, DType.F32)) {
            double[] xv = x.toDoubleArray(), bv = back.toDoubleArray(), s = q.scales().toDoubleArray();
            Ref ref = reference(xv, m, n, true, null);
            Check.equal(ref.q(), q.values().toLongArray(), "codes");
            for (int i = 0; i < m * n; i++) {
                double step = s[i / n];   // half a step, and the f32 roundings of x / scale and q · scale (|q| ≤ 127: 2^-16 of a step)
                assertTrue(Math.abs(bv[i] - xv[i]) <= step * (0.5 + 0x1p-16), "element " + i + ": " + bv[i] + " for " + xv[i]);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("halfCases")
    void decompositionSplitsOutlierColumns(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int m = 29, n = 300;
        double[] x = normal(seed, m * n, 1);
        for (int i = 0; i < x.length; i++) x[i] = Math.max(-5.5, Math.min(5.5, x[i]));
        x[4 * n + 3] = 8;
        x[17 * n + 77] = -7.5;
        x[28 * n + 299] = 6.0;        // exactly the threshold: an outlier
        x[0] = Double.NaN;            // never an outlier
        x[9 * n + 150] = 5.96875;     // just below it
        try (Tensor t = Tensor.from(x, dtype, d, m, n); Int8.Quantized out = poisoned(d, m, n, Int8.Axis.ROWS);
             Int8.Decomposed split = Int8.decompose(t, Int8.DEFAULT_THRESHOLD, out)) {
            double[] xv = t.toDoubleArray();
            assertArrayEquals(new int[] {3, 77, 299}, split.outlierColumns().toIntArray());
            assertArrayEquals(new long[] {m, 3}, split.outliers().shape());
            double[] expected = new double[m * 3];
            for (int i = 0; i < m; i++) for (int k = 0; k < 3; k++) expected[i * 3 + k] = xv[i * n + new int[] {3, 77, 299}[k]];
            sameValues(expected, split.outliers().toDoubleArray(), "outlier columns");
            boolean[] drop = new boolean[n];
            drop[3] = drop[77] = drop[299] = true;
            Ref ref = reference(xv, m, n, true, drop);
            Check.equal(ref.q(), split.quantized().values().toLongArray(), "codes without the outlier columns");
            sameValues(floats(ref.scales()), split.quantized().scales().toDoubleArray(), "row scales without the outlier columns");
        }
        try (Tensor t = Tensor.from(x, dtype, d, m, n); Int8.Decomposed none = Int8.decompose(t, 100)) {
            assertEquals(0, none.outlierColumns().numel());
            assertArrayEquals(new long[] {m, 0}, none.outliers().shape());
            Check.equal(reference(t.toDoubleArray(), m, n, true, null).q(), none.quantized().values().toLongArray(), "no outliers");
        }
    }

    @Test
    void argumentsAreChecked() {
        Device d = Device.cpu();
        try (Tensor vector = Tensor.zeros(DType.F32, d, 8); Tensor ints = Tensor.zeros(DType.I32, d, 2, 8);
             Tensor wide = Tensor.zeros(DType.F32, d, 8, 4); Tensor f32 = Tensor.zeros(DType.F32, d, 2, 8)) {
            assertMessage(() -> Int8.quantizeRows(vector), "x must have rank 2");
            assertMessage(() -> Int8.quantizeRows(ints), "x must be f32, f16 or bf16");
            assertMessage(() -> Int8.quantizeColumns(wide.transpose(0, 1)), "x must be contiguous");
            assertMessage(() -> Int8.decompose(f32), "x must be f16 or bf16");
            try (Tensor h = Tensor.zeros(DType.F16, d, 2, 8)) {
                assertMessage(() -> Int8.decompose(h, 0), "threshold must be a positive finite number");
                try (Int8.Quantized q = Int8.quantizeRows(h)) {
                    assertMessage(() -> Int8.quantizeColumns(h, q), "out has ROWS scales");
                    assertMessage(() -> Int8.dequantize(q, DType.I32), "must be f32, f16 or bf16");
                }
            }
        }
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    private static double[] floats(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }
}
