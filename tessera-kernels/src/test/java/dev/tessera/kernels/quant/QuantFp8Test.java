package dev.tessera.kernels.quant;

import static dev.tessera.kernels.quant.QuantTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** FP8 quantization at every granularity against a plain-Java reference, on every device. */
@ExtendWith(SeedExtension.class)
class QuantFp8Test {
    static Stream<Arguments> cases() { return devicesAndDtypes(); }

    static final int M = 150, N = 300;

    /** Random values with zero rows and a zero 128×128 block, ±max, subnormals, NaN and an infinity. */
    static double[] input(long seed, DType t) {
        double[] x = normal(seed, M * N, 2);
        for (int j = 0; j < N; j++) x[j] = x[N + j] = 0;
        for (int i = 0; i < 128; i++) for (int j = 256; j < N; j++) x[i * N + j] = 0;
        x[2 * N + 7] = largest(t);
        x[2 * N + 200] = -largest(t);
        for (int j = 0; j < N; j++) x[3 * N + j] = tiny(t) * (j % 5 - 2);
        x[4 * N + 11] = Double.NaN;
        x[140 * N + 10] = Double.POSITIVE_INFINITY;
        return x;
    }

    record Ref(double[] q, double[] scales, int rows, int cols) {}

    /** scale = amax / fp8 max per block (f32, NaN left out), q = fp8(x / scale) saturating (x / 1 where scale is 0). */
    static Ref reference(double[] x, int m, int n, DType fp8, Fp8.Scaling s) {
        int br = s == Fp8.Scaling.TENSOR ? m : s == Fp8.Scaling.BLOCK_128X128 ? 128 : 1;
        int bc = s == Fp8.Scaling.TENSOR || s == Fp8.Scaling.ROW ? n : 128;
        int sr = (m + br - 1) / br, sc = (n + bc - 1) / bc;
        float[] amax = new float[sr * sc];
        for (int i = 0; i < m * n; i++) {
            float v = Math.abs((float) x[i]);
            int b = i / n / br * sc + i % n / bc;
            if (!Float.isNaN(v)) amax[b] = Math.max(amax[b], v);
        }
        float top = fp8 == DType.FP8E4M3 ? 448f : 57344f;
        double[] scales = new double[amax.length], q = new double[m * n];
        for (int b = 0; b < amax.length; b++) scales[b] = amax[b] / top;
        for (int i = 0; i < m * n; i++) {
            float scale = (float) scales[i / n / br * sc + i % n / bc];
            q[i] = round((float) x[i] / (scale == 0 ? 1f : scale), fp8);
        }
        return new Ref(q, scales, br, bc);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void everyGranularityBitExact(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        try (Tensor x = Tensor.from(input(seed, dtype), dtype, d, M, N)) {
            double[] xv = x.toDoubleArray();
            for (DType fp8 : new DType[] {DType.FP8E4M3, DType.FP8E5M2}) {
                for (Fp8.Scaling s : Fp8.Scaling.values()) {
                    Ref ref = reference(xv, M, N, fp8, s);
                    long[] scaleShape = {(M + ref.rows() - 1) / ref.rows(), (N + ref.cols() - 1) / ref.cols()};
                    String what = fp8 + " " + s;
                    try (Fp8.Quantized q = new Fp8.Quantized(Tensor.full(fp8, Double.NaN, d, M, N), Tensor.full(DType.F32, Double.NaN, d, scaleShape), s);
                         Tensor back = Tensor.full(dtype, Double.NaN, d, M, N)) {
                        Fp8.quantize(x, q);
                        sameValues(ref.scales(), q.scales().toDoubleArray(), what + " scales");
                        sameValues(ref.q(), q.values().toDoubleArray(), what + " values");
                        Fp8.dequantize(q, back);
                        double[] expected = new double[M * N];
                        for (int i = 0; i < M * N; i++) {
                            float scale = (float) ref.scales()[i / N / ref.rows() * (int) scaleShape[1] + i % N / ref.cols()];
                            expected[i] = round((float) ref.q()[i] * scale, dtype);
                        }
                        sameValues(expected, back.toDoubleArray(), what + " dequantized");
                    }
                }
            }
        }
    }

    @Test
    void shapesOfTheScales() {
        Device d = Device.cpu();
        try (Tensor x = Tensor.zeros(DType.BF16, d, 130, 260); Tensor v = Tensor.zeros(DType.F32, d, 200)) {
            long[][] expected = {{1, 1}, {130, 1}, {130, 3}, {2, 3}};
            for (Fp8.Scaling s : Fp8.Scaling.values()) {
                try (Fp8.Quantized q = Fp8.quantize(x, DType.FP8E4M3, s)) {
                    assertArrayEquals(expected[s.ordinal()], q.scales().shape(), s.toString());
                    assertEquals(0.0, q.scales().toDoubleArray()[0], "a zero block has scale 0");
                }
            }
            try (Fp8.Quantized q = Fp8.quantize(v, DType.FP8E5M2, Fp8.Scaling.TILE_1X128)) {
                assertArrayEquals(new long[] {1, 200}, q.values().shape(), "a vector is one row");
                assertArrayEquals(new long[] {1, 2}, q.scales().shape());
            }
            QuantInt8Test.assertMessage(() -> Fp8.quantize(x, DType.F16, Fp8.Scaling.ROW), "is not an FP8 type");
            try (Tensor cube = Tensor.zeros(DType.F32, d, 2, 2, 2)) {
                QuantInt8Test.assertMessage(() -> Fp8.quantize(cube, DType.FP8E4M3, Fp8.Scaling.ROW), "a matrix or a vector");
            }
        }
        assertEquals(448, Fp8.largest(DType.FP8E4M3));
        assertEquals(57344, Fp8.largest(DType.FP8E5M2));
    }
}
