package dev.tessera.testing;

import dev.tessera.types.DType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;

/**
 * Conversions between dtypes computed the slow, obvious way, independently of
 * {@link dev.tessera.types.Numerics}: values as exact {@link BigDecimal}s, narrow floats decoded
 * from their fields by the formulas of IEEE 754 and the OCP FP8 specification, rounding by comparing
 * with the exact midpoint between neighbours. The references of the numerics and conversion tests.
 */
public final class ReferenceNumerics {
    private ReferenceNumerics() {}

    /** A binary float format: exponent and mantissa field widths, whether it saturates (the fp8s), e4m3fn's special NaN. */
    public record Format(DType dtype, int exponentBits, int mantissaBits, boolean saturating, boolean fn) {
        public int bias() { return (1 << (exponentBits - 1)) - 1; }

        /** The exponent of the smallest normal number. */
        public int minExponent() { return 1 - bias(); }

        public int width() { return 1 + exponentBits + mantissaBits; }

        /** The largest finite value. */
        public double max() {
            int top = fn ? (1 << exponentBits) - 1 : (1 << exponentBits) - 2; // e4m3fn uses the all-ones exponent for numbers
            int mantissa = fn ? (1 << mantissaBits) - 2 : (1 << mantissaBits) - 1;
            return Math.scalb(1 + mantissa / (double) (1 << mantissaBits), top - bias());
        }
    }

    public static final Format F16 = new Format(DType.F16, 5, 10, false, false);
    public static final Format BF16 = new Format(DType.BF16, 8, 7, false, false);
    public static final Format E4M3 = new Format(DType.FP8E4M3, 4, 3, true, true);
    public static final Format E5M2 = new Format(DType.FP8E5M2, 5, 2, true, false);
    public static final Format F32 = new Format(DType.F32, 8, 23, false, false);
    public static final Format F64 = new Format(DType.F64, 11, 52, false, false);

    public static Format format(DType t) {
        return switch (t) {
            case F16 -> F16;
            case BF16 -> BF16;
            case FP8E4M3 -> E4M3;
            case FP8E5M2 -> E5M2;
            case F32 -> F32;
            case F64 -> F64;
            default -> throw new IllegalArgumentException(t + " is not a float");
        };
    }

    /** The value of a bit pattern of a format narrower than 32 bits (NaN for NaN patterns). */
    public static double decode(int bits, Format f) {
        int m = f.mantissaBits(), e = f.exponentBits();
        boolean negative = ((bits >>> (e + m)) & 1) != 0;
        int exponent = (bits >>> m) & ((1 << e) - 1), mantissa = bits & ((1 << m) - 1);
        double magnitude;
        if (f.fn() && exponent == (1 << e) - 1 && mantissa == (1 << m) - 1) {
            return Double.NaN; // e4m3fn: S.1111.111 is NaN, and there is no infinity
        } else if (!f.fn() && exponent == (1 << e) - 1) {
            magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else if (exponent == 0) {
            magnitude = mantissa * Math.pow(2, f.minExponent() - m); // subnormal: 0.m × 2^emin
        } else {
            magnitude = (1 + mantissa / Math.pow(2, m)) * Math.pow(2, exponent - f.bias());
        }
        return negative ? -magnitude : magnitude;
    }

    /**
     * {@code x} rounded to the format: to nearest with ties to even, or toward zero. Beyond the
     * largest finite value, IEEE formats give infinity (to nearest) or the largest finite value
     * (toward zero); the saturating fp8s always give the largest finite value, infinities included.
     * NaN stays NaN.
     */
    public static double round(double x, Format f, boolean towardZero) {
        if (Double.isNaN(x)) return Double.NaN;
        if (Double.isInfinite(x)) return f.saturating() ? Math.copySign(f.max(), x) : x;
        if (x == 0) return x;
        BigDecimal r = roundMagnitude(new BigDecimal(Math.abs(x)), f, towardZero);
        double mag = r.compareTo(new BigDecimal(f.max())) > 0
                ? (f.saturating() || towardZero ? f.max() : Double.POSITIVE_INFINITY)
                : r.doubleValue();
        return Math.copySign(mag, x);
    }

    /** Rounds an exact integer (as the mathematical value) to the format, to nearest even. */
    public static double round(BigInteger v, Format f) {
        if (v.signum() == 0) return 0.0;
        BigDecimal r = roundMagnitude(new BigDecimal(v.abs()), f, false);
        double mag = r.compareTo(new BigDecimal(f.max())) > 0 ? (f.saturating() ? f.max() : Double.POSITIVE_INFINITY) : r.doubleValue();
        return v.signum() < 0 ? -mag : mag;
    }

    private static BigDecimal roundMagnitude(BigDecimal a, Format f, boolean towardZero) {
        int e = exponentOf(a);
        int quantumExponent = Math.max(e, f.minExponent()) - f.mantissaBits();
        BigDecimal quantum = pow2(quantumExponent);
        BigDecimal units = a.divide(quantum); // exact: a power of two divides exactly
        BigDecimal rounded = units.setScale(0, towardZero ? RoundingMode.DOWN : RoundingMode.HALF_EVEN);
        return rounded.multiply(quantum);
    }

    /** floor(log2 a) for a > 0. */
    private static int exponentOf(BigDecimal a) {
        int e = (int) Math.floor(Math.log(a.doubleValue()) / Math.log(2));
        while (pow2(e).compareTo(a) > 0) e--;
        while (pow2(e + 1).compareTo(a) <= 0) e++;
        return e;
    }

    private static BigDecimal pow2(int e) {
        return e >= 0 ? new BigDecimal(BigInteger.ONE.shiftLeft(e)) : BigDecimal.ONE.divide(new BigDecimal(BigInteger.ONE.shiftLeft(-e)));
    }

    /** Float to integer: toward zero, saturating to the type's range, NaN to 0; to i1: x != 0 (NaN is true). */
    public static BigInteger toInteger(double x, DType t) {
        if (t == DType.I1) return x != 0 || Double.isNaN(x) ? BigInteger.ONE : BigInteger.ZERO;
        if (Double.isNaN(x)) return BigInteger.ZERO;
        BigInteger lo = minOf(t), hi = maxOf(t);
        if (x == Double.POSITIVE_INFINITY) return hi;
        if (x == Double.NEGATIVE_INFINITY) return lo;
        BigInteger v = new BigDecimal(x).setScale(0, RoundingMode.DOWN).toBigIntegerExact();
        return v.max(lo).min(hi);
    }

    public static BigInteger minOf(DType t) {
        if (t.isUnsigned() || t == DType.I1) return BigInteger.ZERO;
        return BigInteger.ONE.shiftLeft(t.bits() - 1).negate();
    }

    public static BigInteger maxOf(DType t) {
        if (t == DType.I1) return BigInteger.ONE;
        return BigInteger.ONE.shiftLeft(t.isUnsigned() ? t.bits() : t.bits() - 1).subtract(BigInteger.ONE);
    }

    /** An integer reduced modulo 2^bits into the type's range (two's complement wrap-around). */
    public static BigInteger wrapTo(BigInteger v, DType t) {
        if (t == DType.I1) return v.testBit(0) ? BigInteger.ONE : BigInteger.ZERO;
        BigInteger m = BigInteger.ONE.shiftLeft(t.bits());
        BigInteger r = v.mod(m);
        return t.isSigned() && r.compareTo(maxOf(t)) > 0 ? r.subtract(m) : r;
    }

    /** tf32 from f32: keep 10 mantissa bits, rounding to nearest with ties away from zero (cvt.rna). */
    public static double tf32(float x) {
        if (!Float.isFinite(x) || x == 0) return x;
        BigDecimal a = new BigDecimal(Math.abs((double) x));
        int e = exponentOf(a);
        BigDecimal quantum = pow2(Math.max(e, -126) - 10);
        BigDecimal r = a.divide(quantum).setScale(0, RoundingMode.HALF_UP).multiply(quantum);
        return Math.copySign(r.doubleValue(), x);
    }
}
