package dev.tessera.cuda.ops;

import static dev.tessera.cuda.ops.Differential.*;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conversions between every pair of dtypes and bit reinterpretation against the CPU backend, and
 * narrow-float rounding bit-identical to {@link Numerics}: every fp8, f16 and bf16 bit pattern
 * decoded, and a million f32 values (random bits plus each format's rounding boundaries) encoded.
 */
class ConversionOpsTest {
    static final int N = 1000, BLOCK = 256;
    static final List<DType> ALL = List.of(DType.I1, DType.I8, DType.U8, DType.I16, DType.U16, DType.I32, DType.U32, DType.I64, DType.U64,
            DType.FP8E4M3, DType.FP8E5M2, DType.F16, DType.BF16, DType.F32, DType.F64);

    static Stream<Arguments> pairs() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (DType a : ALL) for (DType b : ALL) if (a != b) out.add(Arguments.of(d, a, b, false));
            for (DType a : ALL) for (DType b : ALL) {
                // (f64 to f32 toward zero is missing from the CPU backend, which calls Numerics.encode for f32)
                if (a.isFloat() && b.isFloat() && b.bits() < a.bits() && b != DType.F32) out.add(Arguments.of(d, a, b, true));
            }
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} -> {2} rz={3}")
    @MethodSource("pairs")
    void convert(Device device, DType from, DType to, boolean towardZero) {
        require(device);
        Tensor x = interesting(from, 11 + from.ordinal(), N), out = poison(to, N);
        check(device, Jit.kernel(OpKernels.class, "convert"), Grid.grid((N + BLOCK - 1) / BLOCK), new Object[] {x, out, N, towardZero, BLOCK},
                Map.of(1, exact()));
    }

    static Stream<Arguments> bitcasts() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (DType a : ALL) for (DType b : ALL) if (a != b && a.bits() == b.bits() && a != DType.I1) out.add(Arguments.of(d, a, b));
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} as {2}")
    @MethodSource("bitcasts")
    void bitcast(Device device, DType from, DType to) {
        require(device);
        Tensor x = interesting(from, 31, N), out = poison(to, N);
        check(device, Jit.kernel(OpKernels.class, "bitcast"), Grid.grid((N + BLOCK - 1) / BLOCK), new Object[] {x, out, N, BLOCK}, Map.of(1, exact()));
    }

    static Stream<Arguments> narrow() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (DType t : List.of(DType.FP8E4M3, DType.FP8E5M2, DType.F16, DType.BF16)) out.add(Arguments.of(d, t));
        });
        return out.stream();
    }

    /** Every bit pattern of the format, decoded on the device, equals Numerics.decode (NaN for NaN). */
    @ParameterizedTest(name = "{0} decode every {1}")
    @MethodSource("narrow")
    void decodesEveryPattern(Device device, DType t) {
        require(device);
        int n = 1 << t.bits();
        DType bitsType = t.bits() == 8 ? DType.U8 : DType.U16;
        long[] patterns = new long[n];
        for (int i = 0; i < n; i++) patterns[i] = i;
        Tensor bits = Tensor.fromLongs(patterns, bitsType, device, n), out = Tensor.full(DType.F32, 12345, device, n);
        Jit.kernel(OpKernels.class, "decodeBits").launch(Grid.grid((n + 1023) / 1024), bits, out, n, t, 1024);
        double[] got = out.toDoubleArray();
        for (int i = 0; i < n; i++) {
            float want = Numerics.decode(i, t);
            if (Float.isNaN(want) ? !Double.isNaN(got[i]) : want != (float) got[i] || Math.copySign(1, want) != Math.copySign(1, got[i])) {
                fail(t + " pattern 0x" + Integer.toHexString(i) + " decodes to " + got[i] + ", Numerics says " + want);
            }
        }
    }

    static Stream<Arguments> narrowRounding() {
        List<Arguments> out = new ArrayList<>();
        narrow().forEach(a -> {
            out.add(Arguments.of(a.get()[0], a.get()[1], false));
            out.add(Arguments.of(a.get()[0], a.get()[1], true));
        });
        return out.stream();
    }

    /** f32 values around every representable number of the format, and random bits, encode as Numerics.encode does. */
    @ParameterizedTest(name = "{0} encode {1} rz={2}")
    @MethodSource("narrowRounding")
    void encodesLikeNumerics(Device device, DType t, boolean towardZero) {
        require(device);
        float[] values = probeValues(t, 1 << 20);
        int n = values.length;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = values[i];
        DType bitsType = t.bits() == 8 ? DType.U8 : DType.U16;
        Tensor x = Tensor.from(d, DType.F32, device, n), out = Tensor.full(bitsType, 0, device, n);
        Jit.kernel(OpKernels.class, "encodeBits").launch(Grid.grid((n + 1023) / 1024), x, out, n, t, towardZero, 1024);
        long[] got = out.toLongArray();
        Numerics.Rounding r = towardZero ? Numerics.Rounding.TOWARD_ZERO : Numerics.Rounding.NEAREST_EVEN;
        for (int i = 0; i < n; i++) {
            int want = Numerics.encode(values[i], t, r) & ((1 << t.bits()) - 1);
            boolean bothNan = Float.isNaN(Numerics.decode(want, t)) && Float.isNaN(Numerics.decode((int) got[i], t));
            if (want != got[i] && !bothNan) {
                fail(t + (towardZero ? " toward zero" : "") + ": " + values[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(values[i]))
                        + ") encodes to 0x" + Long.toHexString(got[i]) + ", Numerics says 0x" + Integer.toHexString(want));
            }
        }
    }

    /**
     * The same values rounded by the store itself (a converted tile stored to narrow memory: 16-bit
     * pairs go through one {@code cvt.*x2.f32}), read back as bit patterns: Numerics' patterns,
     * and for f16 NaN exactly the format's NaN, as the CPU backend stores it.
     */
    @ParameterizedTest(name = "{0} store {1}")
    @MethodSource("narrow")
    void storesRoundLikeNumerics(Device device, DType t) {
        require(device);
        float[] values = probeValues(t, 1 << 18);
        int n = values.length - 3; // not a multiple of the block or of a vector
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = values[i];
        DType bitsType = t.bits() == 8 ? DType.U8 : DType.U16;
        Tensor x = Tensor.from(d, DType.F32, device, n), narrow = Tensor.full(t, 0, device, n), out = Tensor.full(bitsType, 0, device, n);
        Grid grid = Grid.grid((n + 1023) / 1024);
        Jit.kernel(OpKernels.class, "storeRounded").launch(grid, x, narrow, n, 1024);
        Jit.kernel(OpKernels.class, "patterns").launch(grid, narrow, out, n, 1024);
        long[] got = out.toLongArray();
        for (int i = 0; i < n; i++) {
            int want = Numerics.encode(values[i], t) & ((1 << t.bits()) - 1);
            boolean nan = Float.isNaN(Numerics.decode(want, t));
            boolean ok = nan && t != DType.F16 ? Float.isNaN(Numerics.decode((int) got[i], t)) : want == got[i];
            if (!ok) {
                fail(t + ": " + values[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(values[i])) + ") at " + i
                        + " stored as 0x" + Long.toHexString(got[i]) + ", Numerics says 0x" + Integer.toHexString(want));
            }
        }
    }

    /** Each representable value, the midpoints to its neighbours and one f32 ulp either side, plus random f32 bit patterns. */
    static float[] probeValues(DType t, int total) {
        List<Float> v = new ArrayList<>();
        int patterns = 1 << t.bits();
        for (int i = 0; i < patterns; i++) {
            float a = Numerics.decode(i, t);
            if (!Float.isFinite(a)) continue;
            float b = Numerics.decode(i + 1 < patterns ? i + 1 : i, t);
            v.add(a);
            v.add(Math.nextUp(a));
            v.add(Math.nextDown(a));
            if (Float.isFinite(b) && b != a) {
                float mid = (float) ((a + (double) b) / 2);
                v.add(mid);
                v.add(Math.nextUp(mid));
                v.add(Math.nextDown(mid));
            }
        }
        v.add(Float.POSITIVE_INFINITY);
        v.add(Float.NEGATIVE_INFINITY);
        v.add(Float.NaN);
        v.add(Float.intBitsToFloat(0xFFC00001));
        v.add(Float.MAX_VALUE);
        v.add(-Float.MAX_VALUE);
        v.add(Float.MIN_VALUE);
        SplittableRandom r = new SplittableRandom(t.ordinal());
        while (v.size() < total) v.add(Float.intBitsToFloat(r.nextInt()));
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }
}
