package dev.tessera.types;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.testing.ReferenceNumerics;
import dev.tessera.testing.ReferenceNumerics.Format;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.types.Numerics.Rounding;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Numerics} against {@link ReferenceNumerics} (BigDecimal arithmetic on the formats' fields):
 * every bit pattern of fp8 e4m3fn, fp8 e5m2, f16 and bf16 decoded and re-encoded, every tie between
 * neighbours rounded to even, overflow to infinity (f16, bf16) or saturation (OCP fp8), NaN kept,
 * rounding toward zero, float to integer saturation, integer wrap-around, tf32 and u64 to f32.
 */
@ExtendWith(SeedExtension.class)
class NumericsTest {

    enum Narrow {
        E4M3(ReferenceNumerics.E4M3), E5M2(ReferenceNumerics.E5M2), F16(ReferenceNumerics.F16), BF16(ReferenceNumerics.BF16);

        final Format format;

        Narrow(Format f) { this.format = f; }

        DType dtype() { return format.dtype(); }

        int patterns() { return 1 << format.width(); }
    }

    private static String hex(int bits) { return "0x" + Integer.toHexString(bits); }

    private static void assertSameValue(double expected, double actual, String what) {
        if (Double.isNaN(expected) && Double.isNaN(actual)) return;
        if (Double.doubleToLongBits(expected) != Double.doubleToLongBits(actual)) {
            fail(what + ": expected " + expected + " but got " + actual);
        }
    }

    @ParameterizedTest
    @EnumSource(Narrow.class)
    void everyBitPatternDecodes(Narrow n) {
        for (int bits = 0; bits < n.patterns(); bits++) {
            assertSameValue(ReferenceNumerics.decode(bits, n.format), Numerics.decode(bits, n.dtype()), n + " decode " + hex(bits));
        }
    }

    @ParameterizedTest
    @EnumSource(Narrow.class)
    void everyValueEncodesBackToItsBitPattern(Narrow n) {
        for (int bits = 0; bits < n.patterns(); bits++) {
            double v = ReferenceNumerics.decode(bits, n.format);
            int back = Numerics.encode(v, n.dtype());
            if (Double.isNaN(v)) {
                assertTrue(Double.isNaN(ReferenceNumerics.decode(back, n.format)), n + ": NaN encodes to " + hex(back) + ", not a NaN");
            } else if (Double.isInfinite(v) && n.format.saturating()) {
                // e5m2 has infinities, but conversions to fp8 saturate (OCP "satfinite"): ±inf becomes ±57344
                assertEquals(Math.copySign(n.format.max(), v), ReferenceNumerics.decode(back, n.format), n + " " + v);
            } else {
                assertEquals(bits, back, n + " round trip of " + hex(bits) + " (" + v + ") gave " + hex(back));
            }
        }
    }

    /** The bit patterns of the finite non-negative values, in increasing order of value. */
    private static int[] ascending(Format f) {
        List<Integer> patterns = new ArrayList<>();
        for (int bits = 0; bits < 1 << (f.width() - 1); bits++) {
            if (Double.isFinite(ReferenceNumerics.decode(bits, f))) patterns.add(bits);
        }
        return patterns.stream().sorted(Comparator.comparingDouble(b -> ReferenceNumerics.decode(b, f))).mapToInt(Integer::intValue).toArray();
    }

    @ParameterizedTest
    @EnumSource(Narrow.class)
    void tiesRoundToEvenAndEverythingElseToNearest(Narrow n) {
        int[] v = ascending(n.format);
        for (int i = 0; i + 1 < v.length; i++) {
            int loBits = v[i], hiBits = v[i + 1];
            double lo = ReferenceNumerics.decode(loBits, n.format), hi = ReferenceNumerics.decode(hiBits, n.format);
            double mid = (lo + hi) / 2; // exact in double
            int even = (loBits & 1) == 0 ? loBits : hiBits;
            for (int sign : new int[] {1, -1}) {
                int s = sign < 0 ? 1 << (n.format.width() - 1) : 0;
                assertEquals(s | even, Numerics.encode(sign * mid, n.dtype()), n + " tie " + sign * mid + " between " + lo + " and " + hi);
                // just off the tie, as doubles that no f32 can hold (the general path, not the f32 fast path)
                double above = mid + Math.ulp(mid) * 4, below = mid - Math.ulp(mid) * 4;
                assertEquals(s | hiBits, Numerics.encode(sign * above, n.dtype()), n + " just above the tie " + sign * mid);
                assertEquals(s | loBits, Numerics.encode(sign * below, n.dtype()), n + " just below the tie " + sign * mid);
                // toward zero keeps the lower neighbour all the way up to the next value
                assertEquals(s | loBits, Numerics.encode(sign * Math.nextDown(hi), n.dtype(), Rounding.TOWARD_ZERO),
                        n + " toward zero below " + hi);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Narrow.class)
    void randomDoublesRoundLikeTheReference(Narrow n, @Seed long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double max = n.format.max();
        for (int i = 0; i < 5_000; i++) {
            // magnitudes from far below the smallest subnormal to far above the largest value
            double x = Math.scalb(1 + r.nextDouble(), r.nextInt(n.format.minExponent() - n.format.mantissaBits() - 3,
                    Math.getExponent(max) + 3)) * (r.nextBoolean() ? 1 : -1);
            if (r.nextInt(4) == 0) x = (float) x; // also f32 inputs (the fast path for f16 and bf16)
            for (boolean towardZero : new boolean[] {false, true}) {
                double ref = ReferenceNumerics.round(x, n.format, towardZero);
                double got = Numerics.decode(Numerics.encode(x, n.dtype(), towardZero ? Rounding.TOWARD_ZERO : Rounding.NEAREST_EVEN), n.dtype());
                assertSameValue(ref, got, n + (towardZero ? " toward zero " : " nearest even ") + x);
            }
        }
    }

    @Test
    void fp8SaturatesOverflowAndInfinityAndKeepsNaN() {
        // e4m3fn: largest finite 448 = 0x7E; 0x7F is NaN; no infinities
        assertEquals(0x7E, Numerics.encode(449, DType.FP8E4M3));
        assertEquals(0x7E, Numerics.encode(464, DType.FP8E4M3)); // the tie above 448 goes to 448 (480 would be NaN)
        assertEquals(0x7E, Numerics.encode(1e10, DType.FP8E4M3));
        assertEquals(0x7E, Numerics.encode(Double.POSITIVE_INFINITY, DType.FP8E4M3));
        assertEquals(0xFE, Numerics.encode(Double.NEGATIVE_INFINITY, DType.FP8E4M3));
        assertEquals(0x7F, Numerics.encode(Double.NaN, DType.FP8E4M3) & 0x7F);
        assertEquals(448.0, Numerics.decode(0x7E, DType.FP8E4M3));
        assertTrue(Float.isNaN(Numerics.decode(0xFF, DType.FP8E4M3)));
        // e5m2: largest finite 57344 = 0x7B; infinities exist in the format but conversions saturate (satfinite)
        assertEquals(0x7B, Numerics.encode(61440, DType.FP8E5M2)); // the tie above 57344 stays finite
        assertEquals(0x7B, Numerics.encode(1e10, DType.FP8E5M2));
        assertEquals(0x7B, Numerics.encode(Double.POSITIVE_INFINITY, DType.FP8E5M2));
        assertEquals(0xFB, Numerics.encode(-1e10, DType.FP8E5M2));
        assertEquals(Float.POSITIVE_INFINITY, Numerics.decode(0x7C, DType.FP8E5M2));
        assertTrue(Float.isNaN(Numerics.decode(Numerics.encode(Double.NaN, DType.FP8E5M2), DType.FP8E5M2)));
        // smallest subnormals, and what rounds to zero
        assertEquals(0x01, Numerics.encode(Math.scalb(1.0, -9), DType.FP8E4M3));
        assertEquals(0x00, Numerics.encode(Math.scalb(1.0, -10), DType.FP8E4M3)); // the tie between 0 and 2^-9 goes to 0
        assertEquals(0x80, Numerics.encode(-Math.scalb(1.0, -11), DType.FP8E4M3)); // -0
        assertEquals(0x01, Numerics.encode(Math.scalb(1.0, -16), DType.FP8E5M2));
    }

    @Test
    void f16AndBf16OverflowToInfinityUnderRoundToNearest() {
        assertEquals(0x7BFF, Numerics.encode(65504, DType.F16));
        assertEquals(0x7BFF, Numerics.encode(65519.99, DType.F16));
        assertEquals(0x7C00, Numerics.encode(65520, DType.F16)); // the tie goes to the even 65536 = infinity
        assertEquals(0xFC00, Numerics.encode(-1e9, DType.F16));
        assertEquals(0x7BFF, Numerics.encode(1e9, DType.F16, Rounding.TOWARD_ZERO)); // toward zero never overflows
        assertEquals(0x7C00, Numerics.encode(Double.POSITIVE_INFINITY, DType.F16, Rounding.TOWARD_ZERO)); // but infinity stays
        assertEquals(0x7F80, Numerics.encode(0x1.FFp127, DType.BF16)); // the tie above the largest bf16 (as an f32)
        assertEquals(0x7F80, Numerics.encode(1e300, DType.BF16));
        assertEquals(0x7F7F, Numerics.encode(1e300, DType.BF16, Rounding.TOWARD_ZERO));
        assertEquals(0x0001, Numerics.encode(Math.scalb(1.0, -24), DType.F16)); // smallest f16 subnormal
        assertEquals(0x0000, Numerics.encode(Math.scalb(1.0, -25), DType.F16)); // its half ties to 0
        assertEquals(0x0001, Numerics.encode(Math.scalb(1.0, -25) * 1.0000001, DType.F16));
    }

    @Test
    void f64ToF32TowardZero(@Seed long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 5_000; i++) {
            double x = Math.scalb(r.nextDouble(1, 2), r.nextInt(-160, 140)) * (r.nextBoolean() ? 1 : -1);
            assertSameValue(ReferenceNumerics.round(x, ReferenceNumerics.F32, true), Numerics.f32TowardZero(x), "f32 toward zero of " + x);
        }
        assertEquals(Float.MAX_VALUE, Numerics.f32TowardZero(1e300));
        assertEquals(Float.POSITIVE_INFINITY, Numerics.f32TowardZero(Double.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(Numerics.f32TowardZero(Double.NaN)));
    }

    @Test
    void maxFiniteMatchesTheFormats() {
        for (Narrow n : Narrow.values()) assertEquals(n.format.max(), Numerics.maxFinite(n.dtype()), n.toString());
        assertEquals(Float.MAX_VALUE, Numerics.maxFinite(DType.F32));
    }

    // ------------------------------------------------------------------ integers

    static final DType[] INTEGERS = {DType.I1, DType.I8, DType.U8, DType.I16, DType.U16, DType.I32, DType.U32, DType.I64, DType.U64};

    @Test
    void floatToIntegerTruncatesSaturatesAndMapsNaNToZero(@Seed long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] special = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.0, -0.0, 0.5, -0.5, 0.99, -0.99, 1.5,
                -1.5, 127.9, 128.0, -128.9, -129.0, 255.5, 256.0, 32767.5, 65535.9, 2147483647.9, 2147483648.0, -2147483648.9,
                4294967295.5, 4294967296.0, 0x1p63, -0x1p63, 0x1p64, 0x1.fffffffffffffp63, -0x1.0000000000001p63, 1e30, -1e30};
        for (DType t : INTEGERS) {
            for (int i = 0; i < special.length + 5000; i++) {
                double x = i < special.length ? special[i] : Math.scalb(r.nextDouble(-1, 1), r.nextInt(0, 70));
                long ref = ReferenceNumerics.toInteger(x, t).longValue();
                assertEquals(ref, Numerics.floatToInt(x, t), t + " from " + x);
            }
        }
    }

    @Test
    void integersWrapAround(@Seed long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (DType t : INTEGERS) {
            for (int i = 0; i < 5000; i++) {
                long v = i < 3 ? new long[] {Long.MIN_VALUE, Long.MAX_VALUE, -1}[i] : r.nextLong() >> r.nextInt(64);
                assertEquals(ReferenceNumerics.wrapTo(BigInteger.valueOf(v), t).longValue(), Numerics.wrap(v, t), t + " wrap of " + v);
            }
        }
    }

    @Test
    void sixtyFourBitIntegersRoundOnceToF32(@Seed long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 5_000; i++) {
            long v = r.nextLong() >>> r.nextInt(40);
            if (i % 3 == 0) v |= 1; // sticky low bits that a two-step conversion would lose
            BigInteger unsigned = new BigInteger(Long.toUnsignedString(v));
            assertEquals(ReferenceNumerics.round(unsigned, ReferenceNumerics.F32), Numerics.intToFloat(v, DType.U64), 0.0,
                    "u64 " + Long.toUnsignedString(v));
            assertEquals(ReferenceNumerics.round(BigInteger.valueOf(v), ReferenceNumerics.F32), Numerics.intToFloat(v, DType.I64), 0.0,
                    "i64 " + v);
        }
        // 2^64 - 1 rounds up to 2^64; 2^63 + 2^39 + 1 must not tie-round down
        assertEquals(0x1p64f, Numerics.intToFloat(-1L, DType.U64));
        assertEquals(0x1.000002p63f, Numerics.intToFloat(Long.MIN_VALUE + (1L << 39) + 1, DType.U64));
    }

    @Test
    void sixtyFourBitIntegersRoundOnceToNarrowFloats(@Seed long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 5_000; i++) {
            long v = r.nextLong() >>> r.nextInt(50);
            if (i % 2 == 0) v = (v & ~0x3FFL) | 1; // a lone low bit under a would-be tie
            if (i == 0) v = (1L << 62) + (1L << 54) + 1;
            for (DType t : new DType[] {DType.BF16, DType.F16, DType.FP8E4M3, DType.FP8E5M2, DType.F32}) {
                for (DType from : new DType[] {DType.I64, DType.U64}) {
                    BigInteger exact = from == DType.U64 ? new BigInteger(Long.toUnsignedString(v)) : BigInteger.valueOf(v);
                    double ref = ReferenceNumerics.round(exact, ReferenceNumerics.format(t));
                    double odd = Numerics.intToDoubleRoundedToOdd(v, from);
                    double got = t == DType.F32 ? (float) odd : Numerics.round(odd, t);
                    assertSameValue(ref, got, from + " " + (from == DType.U64 ? Long.toUnsignedString(v) : v) + " to " + t);
                }
            }
        }
    }

    @Test
    void tf32KeepsTenMantissaBitsRoundingTiesAwayFromZero(@Seed long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < 5_000; i++) {
            float x = Float.intBitsToFloat(r.nextInt());
            if (!Float.isFinite(x) || Math.abs(x) > 1e38f) continue;
            if (i % 4 == 0) x = Float.intBitsToFloat((Float.floatToRawIntBits(x) & ~0x1FFF) | 0x1000); // an exact tie
            assertEquals(ReferenceNumerics.tf32(x), Numerics.roundTf32(x), 0.0, "tf32 of " + x);
        }
        assertEquals(1.0f + 0x1p-10f, Numerics.roundTf32(1.0f + 0x1p-11f)); // the tie goes away from zero
        assertEquals(1.0f, Numerics.roundTf32(1.0f + 0x1p-12f));
    }
}
