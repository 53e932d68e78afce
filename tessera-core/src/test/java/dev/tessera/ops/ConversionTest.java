package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.ReferenceNumerics;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics.Rounding;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conversions between every pair of dtypes (i1 included) against {@link ReferenceNumerics}: floats
 * round to nearest even (or toward zero when asked), f16/bf16 overflow to infinity, the fp8s
 * saturate, floats become integers by truncation with saturation (NaN gives 0), integers wrap.
 * Bitcasts between dtypes of one width keep every bit pattern.
 */
@ExtendWith(SeedExtension.class)
class ConversionTest {
    static final int BLOCK = 256;
    static final DType[] ALL = concat(new DType[] {DType.I1}, NUMERIC);

    @Kernel
    static void convert(Tile x, Tile out, Tile n, @Constexpr DType TO, @Constexpr boolean TOWARD_ZERO, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        Tile v = load(x.add(offs), m);
        store(out.add(offs), TOWARD_ZERO ? v.to(TO, Rounding.TOWARD_ZERO) : cast(v, TO), m);
    }

    static final JitKernel CONVERT = Jit.kernel(ConversionTest.class, "convert");

    static Stream<Arguments> pairs() {
        List<Arguments> out = new ArrayList<>();
        dev.tessera.testing.TestDevices.all().forEach(d -> {
            for (DType from : ALL) for (DType to : ALL) if (from != to) out.add(Arguments.of(d, from, to));
        });
        return out.stream();
    }

    /** Values that probe every rule: ties, ranges of each dtype, subnormals, infinities, NaN. */
    static final double[] SPECIAL = {0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 1.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, 127.5, 128, -128.5, -129, 255.5, 256, 32767.5, -32769, 65535.5, 65504, 65519, 65520, 70000, 448,
            464, 465, 500, 57344, 61440, 61441, 1e10, -1e10, 3e38, 2147483647.0, 2147483648.0, -2147483649.0, 4294967296.0, 0x1p63,
            0x1p64, 1e-8, 6e-5, 0x1p-24, 0x1p-25, 0x1p-9, 0x1p-10, 0x1p-16, 1e-40, 1.00048828125, 1.001953125, 1.0078125, 0.1, 1.0 / 3};

    private static Tensor sources(DType t, Device d, SplittableRandom r, int n) {
        if (t.isFloat()) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = i < SPECIAL.length ? SPECIAL[i]
                        : i % 3 == 0 ? r.nextDouble(-300, 300)
                        : i % 3 == 1 ? r.nextInt(-70000, 70000) + (r.nextInt(4) == 0 ? 0.5 : 0)
                        : Math.scalb(r.nextDouble(1, 2), r.nextInt(-30, 70)) * (r.nextBoolean() ? 1 : -1);
            }
            return Tensor.from(v, t, d, n);
        }
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = t == DType.I1 ? r.nextInt(2) : i % 2 == 0 ? randomValue(t, r) : wrap(r.nextLong(-300, 300), t);
        }
        // integers just above a tie of bf16 (and of f16, fp8): rounding first to f32 would make them ties and round them down
        long[] ties = {(1L << 30) + (1L << 22) + 1, -((1L << 30) + (1L << 22) + 1), (1L << 62) + (1L << 54) + 1,
                (1L << 40) + (1L << 32) + 1, 65519, 65520, 2049, 2051, (1L << 25) + 3, Long.MIN_VALUE + (1L << 55) + 1};
        for (int i = 0; i < ties.length && t != DType.I1; i++) v[i] = wrap(ties[i], t);
        return Tensor.fromLongs(v, t, d, n);
    }

    /** The reference conversion of element i of the source (its value as a double and as an exact integer). */
    static double expectedFloat(DType from, double value, long bits, DType to, boolean towardZero) {
        if (from.isFloat()) return from == to ? value : ReferenceNumerics.round(value, ReferenceNumerics.format(to), towardZero);
        return ReferenceNumerics.round(big(bits, from), ReferenceNumerics.format(to));
    }

    static long expectedInteger(DType from, double value, long bits, DType to) {
        BigInteger v = from.isFloat() ? ReferenceNumerics.toInteger(value, to)
                : to == DType.I1 ? (bits != 0 ? BigInteger.ONE : BigInteger.ZERO)
                : ReferenceNumerics.wrapTo(big(bits, from), to);
        return v.longValue();
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @MethodSource("pairs")
    void convertsLikeTheReference(Device device, DType from, DType to, @Seed long seed) {
        check(use(device), from, to, false, seed);
    }

    static Stream<Arguments> narrowingFloats() {
        List<Arguments> out = new ArrayList<>();
        DType[] floats = concat(FLOATS, FP8);
        dev.tessera.testing.TestDevices.all().forEach(d -> {
            for (DType from : floats) for (DType to : floats) if (to.bits() < from.bits()) out.add(Arguments.of(d, from, to));
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} -> {2} toward zero")
    @MethodSource("narrowingFloats")
    void narrowsTowardZero(Device device, DType from, DType to, @Seed long seed) {
        check(use(device), from, to, true, seed);
    }

    private static void check(Device d, DType from, DType to, boolean towardZero, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int n : new int[] {SPECIAL.length, 1000}) {
            Tensor x = sources(from, d, r, n);
            double[] values = x.toDoubleArray();
            long[] bits = from.isFloat() ? new long[n] : x.toLongArray();
            DType outType = to == DType.I1 ? DType.I8 : to; // an i1 output could not be poisoned
            Tensor out = poisoned(outType, d, n);
            CONVERT.launch(grid(cdiv(n, BLOCK)), x, out, n, to, towardZero, BLOCK);
            String what = from + " -> " + to + (towardZero ? " toward zero" : "");
            if (to.isFloat()) {
                double[] o = out.toDoubleArray();
                for (int i = 0; i < n; i++) {
                    double ref = expectedFloat(from, values[i], bits[i], to, towardZero);
                    boolean same = Double.isNaN(ref) ? Double.isNaN(o[i]) : Double.doubleToRawLongBits(ref) == Double.doubleToRawLongBits(o[i]);
                    if (!same) fail(what + ": element " + i + " (" + (from.isFloat() ? values[i] : Long.toString(bits[i])) + ") became " + o[i] + ", expected " + ref);
                }
            } else {
                long[] ref = new long[n];
                for (int i = 0; i < n; i++) ref[i] = expectedInteger(from, values[i], bits[i], to);
                Check.equal(ref, out.toLongArray(), what);
            }
        }
    }

    // ------------------------------------------------------------------ bitcasts

    @Kernel
    static void reinterpret(Tile x, Tile out, Tile n, @Constexpr DType FROM, @Constexpr DType TO, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        Tile v = load(x.asPointerTo(FROM).add(offs), m);
        store(out.asPointerTo(TO).add(offs), v.bitcast(TO), m);
    }

    static final JitKernel BITCAST = Jit.kernel(ConversionTest.class, "reinterpret");

    static final DType[][] WIDTHS = {
        {DType.I8, DType.U8, DType.FP8E4M3, DType.FP8E5M2},
        {DType.I16, DType.U16, DType.F16, DType.BF16},
        {DType.I32, DType.U32, DType.F32},
        {DType.I64, DType.U64, DType.F64},
    };

    static Stream<Arguments> sameWidth() {
        List<Arguments> out = new ArrayList<>();
        dev.tessera.testing.TestDevices.all().forEach(d -> {
            for (DType[] group : WIDTHS) for (DType a : group) for (DType b : group) out.add(Arguments.of(d, a, b));
        });
        return out.stream();
    }

    /** The unsigned type of a width: the tensors hold raw bit patterns. */
    private static DType raw(DType t) { return DType.integer(t.bits(), false); }

    @ParameterizedTest(name = "{0} {1} as {2}")
    @MethodSource("sameWidth")
    void bitcastKeepsEveryBitPattern(Device device, DType from, DType to, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int n = from.bits() <= 16 ? 1 << from.bits() : 5000;
        long[] in = new long[n];
        for (int i = 0; i < n; i++) in[i] = from.bits() <= 16 ? i : wrap(r.nextLong(), raw(from));
        if (from.bits() >= 32) { // NaNs with payloads, infinities, signed zeros
            long[] special = from.bits() == 32
                    ? new long[] {0x7FC00000L, 0xFFC00001L, 0x7F800001L, 0x7F800000L, 0xFF800000L, 0x80000000L, 0x7FFFFFFFL}
                    : new long[] {0x7FF8000000000000L, 0xFFF8000000000123L, 0x7FF0000000000001L, 0x8000000000000000L, -1L};
            System.arraycopy(special, 0, in, 0, special.length);
        }
        Tensor x = Tensor.fromLongs(in, raw(from), d, n), out = poisoned(raw(to), d, n);
        BITCAST.launch(grid(cdiv(n, BLOCK)), x, out, n, from, to, BLOCK);
        long[] o = out.toLongArray();
        for (int i = 0; i < n; i++) {
            if (o[i] != in[i]) {
                fail(from + " bits 0x" + Long.toHexString(in[i]) + " as " + to + " became 0x" + Long.toHexString(o[i]));
            }
        }
    }
}
