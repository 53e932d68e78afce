package dev.tessera.kernels.quant;

import static dev.tessera.kernels.quant.QuantTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * NF4 against a reference written from bitsandbytes' published algorithm (blockwise absmax, the
 * decision thresholds, the packing, double quantization with the dynamic map), on every device.
 */
@ExtendWith(SeedExtension.class)
class QuantNf4Test {
    static Stream<Arguments> cases() { return devicesAndDtypes(); }

    /** bitsandbytes' decision-tree constants (kernels.cu, dQuantizeNF4), ascending, as the C compiler reads them: to f32. */
    static final float[] PUBLISHED_THRESHOLDS = {
            -0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f, -0.33967943489551544f, -0.23460740596055984f,
            -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f, 0.1202552504837513f, 0.2035212516784668f,
            0.2920137718319893f, 0.3893125355243683f, 0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f};

    /** create_dynamic_map() as torch 2.11 computed it on an AVX-512 CPU (bitsandbytes' own function, run there), f32 bits. */
    static final String TORCH_DYNAMIC_MAP = ""
            + "bf7e3333 bf7a999a bf770000 bf736666 bf6fcccd bf6c3333 bf68999a bf650000 bf616666 bf5dcccd bf5a3333 bf56999a "
            + "bf530000 bf4f6666 bf4bcccd bf483333 bf44999a bf410000 bf3d6666 bf39cccd bf363334 bf32999a bf2f0000 bf2b6666 "
            + "bf27cccd bf243334 bf20999a bf1d0000 bf196666 bf15cccd bf123334 bf0e999a bf0b0000 bf076666 bf03cccc bf003333 "
            + "bef93332 bef20000 beeacccc bee3999a bedc6666 bed53333 bece0000 bec6cccc bebf999a beb86666 beb13333 beaa0000 "
            + "bea2cccc be9b999a be946666 be8d3334 be860000 be7d9999 be6f3333 be60cccd be526666 be440000 be35999a be273333 "
            + "be18cccd be0a6666 bdf80000 bddb3334 bdc9eb85 bdc428f7 bdbe6667 bdb8a3d7 bdb2e148 bdad1eb8 bda75c2a bda1999a "
            + "bd9bd70a bd96147b bd9051eb bd8a8f5d bd84cccd bd7e147b bd728f5d bd670a3d bd5b851f bd500000 bd447ae1 bd38f5c3 "
            + "bd2d70a3 bd21eb85 bd166667 bd0ae148 bcfeb852 bce7ae15 bcd0a3d7 bcb9999a bca28f5d bc8b851f bc68f5c3 bc3ae148 "
            + "bc1f3b64 bc160418 bc0ccccd bc039581 bbf4bc6a bbe24dd3 bbcfdf3b bbbd70a4 bbab020d bb989374 bb8624dd bb676c8a "
            + "bb428f5c bb1db22d baf1a9fc baa7ef9d ba7765ff ba59e83e ba3c6a80 ba1eecc1 ba016f01 b9c7e283 b98ce705 b923d70b "
            + "b8ba1f4b b88aefb3 b8378034 b7b24206 b70205ff b65a1a94 b513a3b7 00000000 3513a3b7 365a1a94 370205ff 37b24206 "
            + "38378034 388aefb3 38ba1f4b 3923d70b 398ce705 39c7e283 3a016f01 3a1eecc1 3a3c6a80 3a59e83e 3a7765ff 3aa7ef9d "
            + "3af1a9fc 3b1db22d 3b428f5c 3b676c8a 3b8624dd 3b989374 3bab020d 3bbd70a4 3bcfdf3b 3be24dd3 3bf4bc6a 3c039581 "
            + "3c0ccccd 3c160418 3c1f3b64 3c3ae148 3c68f5c3 3c8b851f 3ca28f5d 3cb9999a 3cd0a3d7 3ce7ae15 3cfeb852 3d0ae148 "
            + "3d166667 3d21eb85 3d2d70a3 3d38f5c3 3d447ae1 3d500000 3d5b851f 3d670a3d 3d728f5d 3d7e147b 3d84cccd 3d8a8f5d "
            + "3d9051eb 3d96147b 3d9bd70a 3da1999a 3da75c2a 3dad1eb8 3db2e148 3db8a3d7 3dbe6667 3dc428f7 3dc9eb85 3ddb3334 "
            + "3df80000 3e0a6666 3e18cccd 3e273333 3e35999a 3e440000 3e526666 3e60cccd 3e6f3333 3e7d9999 3e860000 3e8d3334 "
            + "3e946666 3e9b999a 3ea2cccc 3eaa0000 3eb13333 3eb86666 3ebf999a 3ec6cccc 3ece0000 3ed53333 3edc6666 3ee3999a "
            + "3eeacccc 3ef20000 3ef93332 3f003333 3f03cccc 3f076666 3f0b0000 3f0e999a 3f123334 3f15cccd 3f196666 3f1d0000 "
            + "3f20999a 3f243334 3f27cccd 3f2b6666 3f2f0000 3f32999a 3f363334 3f39cccd 3f3d6666 3f410000 3f44999a 3f483333 "
            + "3f4bcccd 3f4f6666 3f530000 3f56999a 3f5a3333 3f5dcccd 3f616666 3f650000 3f68999a 3f6c3333 3f6fcccd 3f736666 "
            + "3f770000 3f7a999a 3f7e3333 3f800000 ";

    @Test
    void codeTableThresholdsAndDynamicMap() {
        assertEquals(16, Nf4.CODE.length);
        assertEquals(-1f, Nf4.CODE[0]);
        assertEquals(0f, Nf4.CODE[7]);
        assertEquals(1f, Nf4.CODE[15]);
        for (int i = 0; i < 15; i++) assertTrue(Nf4.CODE[i] < Nf4.CODE[i + 1]);
        assertArrayEquals(PUBLISHED_THRESHOLDS, Nf4.THRESHOLDS);
        for (int i = 0; i < 15; i++) {
            double mid = ((double) Nf4.CODE[i] + Nf4.CODE[i + 1]) / 2;
            assertTrue(Math.abs(Nf4.THRESHOLDS[i] - mid) <= Math.ulp((float) mid), "threshold " + i + " is the midpoint, to an f32 ulp");
        }
        float[] map = Nf4.dynamicMap();
        String[] torch = TORCH_DYNAMIC_MAP.trim().split(" ");
        assertEquals(256, torch.length);
        for (int i = 0; i < 256; i++) {
            assertEquals(Integer.parseUnsignedInt(torch[i], 16), Float.floatToRawIntBits(map[i]), "dynamic map entry " + i);
        }
    }

    // ------------------------------------------------------------------ the reference

    /** The NF4 index of a scaled value: how many published thresholds it is strictly above (so NaN is 0). */
    static int nf4Index(float v) {
        int i = 0;
        while (i < 15 && v > PUBLISHED_THRESHOLDS[i]) i++;
        return i;
    }

    /** The nearest map entry as bitsandbytes' quantizer decides it: f32 midpoints, ties to the even index, NaN to 0. */
    static int nearestInMap(float[] map, float x) {
        if (Float.isNaN(x) || x <= map[0]) return 0;
        if (x > map[255]) return 255;
        int j = 0;
        while (!(map[j] < x && x <= map[j + 1])) j++;
        if (x == map[j + 1]) return j + 1;
        float mid = (map[j] + map[j + 1]) * 0.5f;
        return x > mid ? j + 1 : x < mid ? j : (j % 2 == 0 ? j : j + 1);
    }

    record Ref(long[] packed, float[] absmax, long[] nestedCodes, float[] nestedScales, float offset, float[] blockAbsmax) {}

    static Ref reference(double[] x, boolean nested) {
        int n = x.length, blocks = (n + 63) / 64;
        float[] absmax = new float[blocks];
        int[] codes = new int[blocks * 64];
        for (int b = 0; b < blocks; b++) {
            float amax = 0;
            for (int i = b * 64; i < Math.min(n, b * 64 + 64); i++) if (!Double.isNaN(x[i])) amax = Math.max(amax, Math.abs((float) x[i]));
            absmax[b] = amax;
            float inv = 1f / amax;
            for (int i = b * 64; i < b * 64 + 64; i++) codes[i] = nf4Index((i < n ? (float) x[i] : 0f) * inv);
        }
        long[] packed = new long[(n + 1) / 2];
        for (int j = 0; j < packed.length; j++) packed[j] = codes[2 * j] << 4 | codes[2 * j + 1];
        if (!nested) return new Ref(packed, absmax, null, null, 0, absmax);
        double sum = 0;
        for (float a : absmax) sum += a;
        float offset = (float) (sum / blocks);
        float[] map = Nf4.dynamicMap();
        int groups = (blocks + 255) / 256;
        float[] scales = new float[groups], effective = new float[blocks];
        long[] q = new long[blocks];
        for (int g = 0; g < groups; g++) {
            float amax = 0;
            for (int b = g * 256; b < Math.min(blocks, g * 256 + 256); b++) amax = Math.max(amax, Math.abs(absmax[b] - offset));
            scales[g] = amax;
            float inv = 1f / amax;
            for (int b = g * 256; b < Math.min(blocks, g * 256 + 256); b++) {
                q[b] = nearestInMap(map, (absmax[b] - offset) * inv);
                effective[b] = map[(int) q[b]] * amax + offset;
            }
        }
        return new Ref(packed, absmax, q, scales, offset, effective);
    }

    static double[] dequantized(Ref r, int n, DType t) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            int code = (int) (i % 2 == 0 ? r.packed()[i / 2] >> 4 : r.packed()[i / 2] & 15);
            out[i] = round(Nf4.CODE[code] * r.blockAbsmax()[i / 64], t);
        }
        return out;
    }

    /** Normal values in blocks, an odd count that is no multiple of 64; edge blocks first. */
    static double[] input(long seed, DType t, int n) {
        double[] x = normal(seed, n, 0.02);
        Arrays.fill(x, 0, 64, 0.0);                                   // block 0: all zeros
        x[64 + 3] = largest(t);                                       // block 1: ±max
        x[64 + 9] = -largest(t);
        for (int i = 128; i < 192; i++) x[i] = tiny(t) * (i % 5 - 2); // block 2: subnormals
        Arrays.fill(x, 192, 256, 0.0);                                // block 3: absmax 1, values on every threshold and code
        x[192] = 1.0;
        for (int i = 0; i < 15; i++) x[193 + i] = Nf4.THRESHOLDS[i];
        for (int i = 0; i < 16; i++) x[208 + i] = Nf4.CODE[i];
        x[300] = Double.NaN;                                          // block 4: a NaN
        return x;
    }

    // ------------------------------------------------------------------ tests

    @ParameterizedTest
    @MethodSource("cases")
    void quantizeAndDequantizeBitExact(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int n = 64 * 37 + 13;
        try (Tensor x = Tensor.from(input(seed, dtype, n), dtype, d, n)) {
            double[] xv = x.toDoubleArray();
            boolean representable = dtype == DType.F32;   // f16 and bf16 round the thresholds of block 3 off them
            for (boolean nested : new boolean[] {false, true}) {
                Ref ref = reference(xv, nested);
                try (Nf4.Quantized q = poisoned(d, n, dtype, nested); Tensor back = Tensor.full(dtype, Double.NaN, d, n)) {
                    Nf4.quantize(x, q);
                    Check.equal(ref.packed(), q.packed().toLongArray(), "packed codes");
                    switch (q.absmax()) {
                        case Nf4.Plain p -> sameValues(floats(ref.absmax()), p.values().toDoubleArray(), "absmax");
                        case Nf4.Nested s -> {
                            sameValues(new double[] {ref.offset()}, s.offset().toDoubleArray(), "offset");
                            Check.equal(ref.nestedCodes(), s.codes().toLongArray(), "nested absmax codes");
                            sameValues(floats(ref.nestedScales()), s.scales().toDoubleArray(), "nested absmax scales");
                        }
                    }
                    Nf4.dequantize(q, back);
                    sameValues(dequantized(ref, n, dtype), back.toDoubleArray(), "dequantized, nested " + nested);
                }
                if (representable) {
                    long[] block3 = Arrays.copyOfRange(ref.packed(), 96, 128);
                    assertEquals(0xF0, block3[0] & 0xF0, "1.0 is code 15; threshold 0 takes the lower code 0");
                    for (int i = 0; i < 15; i++) assertEquals(i, code(ref.packed(), 193 + i), "on threshold " + i + ": the lower code");
                    for (int i = 0; i < 16; i++) assertEquals(i, code(ref.packed(), 208 + i), "code value " + i);
                }
                assertEquals(0, ref.packed()[0], "a zero block is all code 0 (0 · ∞ = NaN)");
                assertEquals(7, ref.packed()[ref.packed().length - 1] & 15, "the odd tail's padding is the code of 0");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void gemvMatchesTheDequantizedWeights(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        int m = 37, k = 1000;   // K even but no multiple of 64: blocks run across rows
        try (Tensor w = Tensor.from(normal(seed, m * k, 0.05), dtype, d, m, k); Tensor x = Tensor.from(normal(seed + 1, k, 1), dtype, d, k)) {
            double[] xv = x.toDoubleArray();
            for (boolean nested : new boolean[] {false, true}) {
                try (Nf4.Quantized q = Nf4.quantize(w, nested); Tensor wd = Nf4.dequantize(q, DType.F32); Tensor y = Tensor.full(dtype, Double.NaN, d, m)) {
                    Nf4.gemv(q, x, y);
                    checkGemv(wd.toDoubleArray(), xv, y.toDoubleArray(), m, k, dtype, "NF4 GEMV, nested " + nested);
                }
            }
        }
    }

    /** y against float64 sums of the dequantized weights: f32 accumulation error, then y's rounding. */
    static void checkGemv(double[] w, double[] x, double[] y, int m, int k, DType t, String what) {
        Tolerance tol = Tolerance.of(t);
        for (int r = 0; r < m; r++) {
            double ref = 0, magnitude = 0;
            for (int j = 0; j < k; j++) {
                ref += w[r * k + j] * x[j];
                magnitude += Math.abs(w[r * k + j] * x[j]);
            }
            double bound = 1e-5 * magnitude + (t == DType.F32 ? 0 : tol.rtol() * Math.abs(ref));
            assertTrue(Math.abs(y[r] - ref) <= bound, what + ": row " + r + " is " + y[r] + ", expected " + ref + " ± " + bound);
        }
    }

    @Test
    void argumentsAreChecked() {
        Device d = Device.cpu();
        try (Tensor odd = Tensor.zeros(DType.F32, d, 4, 7); Tensor ints = Tensor.zeros(DType.I32, d, 8); Nf4.Quantized q = Nf4.quantize(odd);
             Tensor x = Tensor.zeros(DType.F32, d, 7)) {
            QuantInt8Test.assertMessage(() -> Nf4.quantize(ints), "x must be f32, f16 or bf16");
            QuantInt8Test.assertMessage(() -> Nf4.gemv(q, x), "needs an even K");
            QuantInt8Test.assertMessage(() -> Nf4.dequantize(q, DType.I8), "must be f32, f16 or bf16");
            QuantInt8Test.assertMessage(() -> new Nf4.Quantized(q.packed(), q.code(), q.absmax(), new long[] {4, 8}, DType.F32), "packed codes must have shape");
        }
    }

    private static int code(long[] packed, int i) { return (int) (i % 2 == 0 ? packed[i / 2] >> 4 : packed[i / 2] & 15); }

    private static Nf4.Quantized poisoned(Device d, int n, DType dtype, boolean nested) {
        int blocks = (n + 63) / 64;
        Nf4.Absmax absmax = nested
                ? new Nf4.Nested(Tensor.full(DType.U8, 0xA5, d, blocks), Tensor.from(floats(Nf4.dynamicMap()), DType.F32, d, 256),
                        Tensor.full(DType.F32, Double.NaN, d, (blocks + 255) / 256), Tensor.full(DType.F32, Double.NaN, d, 1))
                : new Nf4.Plain(Tensor.full(DType.F32, Double.NaN, d, blocks));
        return new Nf4.Quantized(Tensor.full(DType.U8, 0xA5, d, (n + 1) / 2), Tensor.from(floats(Nf4.CODE), DType.F32, d, 16), absmax,
                new long[] {n}, dtype);
    }

    static double[] floats(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }
}
