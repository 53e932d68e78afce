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

/** GGUF Q8_0 and Q4_0 blocks against llama.cpp's reference quantizers, written again in plain Java, on every device. */
@ExtendWith(SeedExtension.class)
class QuantGgufTest {
    static Stream<Arguments> cases() { return devicesAndDtypes(); }

    /** Random blocks, edge blocks first: zeros, ±max, subnormals, rounding ties, NaN, a negative largest magnitude. */
    static double[] input(long seed, DType t, int n) {
        double[] x = normal(seed, n, 1);
        Arrays.fill(x, 0, 32, 0.0);
        x[32 + 4] = largest(t);
        x[32 + 9] = -largest(t);
        for (int i = 64; i < 96; i++) x[i] = tiny(t) * (i % 5 - 2);
        Arrays.fill(x, 96, 128, 0.0);
        double[] ties = {127, 0.5, -0.5, 1.5, -1.5, 2.5, -126.5, -8};
        System.arraycopy(ties, 0, x, 96, ties.length);
        x[130] = Double.NaN;
        Arrays.fill(x, 160, 192, 0.25);
        x[162] = -3;
        x[165] = 3;
        return x;
    }

    /** C's roundf (to nearest, ties away from zero; exact in double for these magnitudes); infinities and NaN to 0, as x86 converts them. */
    static long roundf(float v) {
        if (!Float.isFinite(v)) return 0;
        return (long) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    /** quantize_row_q8_0_ref / quantize_row_q4_0_ref in Java: the raw blocks. */
    static long[] reference(double[] x, Gguf.Format f) {
        int blocks = x.length / 32, size = f.blockBytes;
        long[] out = new long[blocks * size];
        for (int b = 0; b < blocks; b++) {
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float v = (float) x[b * 32 + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = f == Gguf.Format.Q8_0 ? amax / 127f : max / -8f;
            float id = d != 0 ? 1f / d : 0f;
            short h = Float.floatToFloat16(d);
            out[b * size] = h & 0xFF;
            out[b * size + 1] = (h >> 8) & 0xFF;
            for (int j = 0; j < 32; j++) {
                float v = (float) x[b * 32 + j] * id;
                if (f == Gguf.Format.Q8_0) {
                    out[b * size + 2 + j] = roundf(v) & 0xFF;
                } else {
                    float shifted = v + 8.5f;
                    long q = Float.isFinite(v) ? Math.min(15, (long) shifted) : 0;
                    out[b * size + 2 + j % 16] |= j < 16 ? q : q << 4;
                }
            }
        }
        return out;
    }

    /** dequantize_row_q8_0 / dequantize_row_q4_0 in Java, rounded to {@code t}. */
    static double[] dequantized(long[] raw, Gguf.Format f, int n, DType t) {
        double[] out = new double[n];
        int size = f.blockBytes;
        for (int i = 0; i < n; i++) {
            int b = i / 32, j = i % 32;
            float d = Float.float16ToFloat((short) (raw[b * size] | raw[b * size + 1] << 8));
            int q = f == Gguf.Format.Q8_0 ? (byte) raw[b * size + 2 + j] : (int) (j < 16 ? raw[b * size + 2 + j] & 15 : raw[b * size + 2 + j - 16] >> 4) - 8;
            out[i] = round(q * d, t);
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void blocksAreLlamaCppsBytes(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 15, cols = 160;
        try (Tensor x = Tensor.from(input(seed, dtype, rows * cols), dtype, d, rows, cols)) {
            double[] xv = x.toDoubleArray();
            for (Gguf.Format f : Gguf.Format.values()) {
                long[] ref = reference(xv, f);
                try (Gguf.Quantized q = new Gguf.Quantized(Tensor.full(DType.U8, 0xA5, d, ref.length), f, new long[] {rows, cols});
                     Tensor back = Tensor.full(dtype, Double.NaN, d, rows, cols)) {
                    Gguf.quantize(x, q);
                    Check.equal(ref, q.blocks().toLongArray(), f + " blocks");
                    Gguf.dequantize(q, back);
                    sameValues(dequantized(ref, f, rows * cols, dtype), back.toDoubleArray(), f + " dequantized");
                }
                if (f == Gguf.Format.Q8_0) {
                    assertArrayEquals(new long[] {0, 0}, Arrays.copyOfRange(ref, 0, 2), "a zero block has d = 0");
                    assertArrayEquals(new long[] {127, 1, 0xFF, 2, 0xFE, 3, 0x81}, Arrays.copyOfRange(ref, 3 * 34 + 2, 3 * 34 + 9),
                            "roundf: ties away from zero");
                } else {
                    assertArrayEquals(new long[] {0x00, 0x80}, Arrays.copyOfRange(ref, 0, 2), "a zero block has d = -0.0");
                    assertEquals(0x88, ref[2], "and code 8");
                    assertEquals(Float.floatToFloat16(0.375f), (short) (ref[5 * 18] | ref[5 * 18 + 1] << 8), "max is the first largest magnitude, -3");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gemvMatchesTheDequantizedWeights(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int m = 37, k = 32 * 37;
        try (Tensor w = Tensor.from(normal(seed, m * k, 0.05), dtype, d, m, k); Tensor x = Tensor.from(normal(seed + 1, k, 1), dtype, d, k)) {
            for (Gguf.Format f : Gguf.Format.values()) {
                try (Gguf.Quantized q = Gguf.quantize(w, f); Tensor wd = Gguf.dequantize(q, DType.F32); Tensor y = Tensor.full(dtype, Double.NaN, d, m)) {
                    Gguf.gemv(q, x, y);
                    QuantNf4Test.checkGemv(wd.toDoubleArray(), x.toDoubleArray(), y.toDoubleArray(), m, k, dtype, f + " GEMV");
                }
            }
        }
    }

    @Test
    void argumentsAreChecked() {
        Device d = Device.cpu();
        try (Tensor odd = Tensor.zeros(DType.F32, d, 33); Tensor rows = Tensor.zeros(DType.F32, d, 2, 48); Tensor x = Tensor.zeros(DType.F32, d, 48)) {
            QuantInt8Test.assertMessage(() -> Gguf.quantize(odd, Gguf.Format.Q4_0), "whole blocks of 32 values");
            try (Gguf.Quantized q = Gguf.quantize(rows, Gguf.Format.Q8_0)) {
                QuantInt8Test.assertMessage(() -> Gguf.gemv(q, x), "K a multiple of 32");
            }
        }
        assertEquals(34, Gguf.Format.Q8_0.blockBytes);
        assertEquals(18, Gguf.Format.Q4_0.blockBytes);
    }
}
