package dev.tessera.types;

/**
 * Conversions between element types, shared by every backend and by constant folding so that a
 * value is rounded identically wherever it is computed.
 *
 * <p>Rules (those of Triton on sm_90 and of the OCP FP8 specification in saturating mode):
 * <ul>
 *   <li>float to narrower float rounds to nearest even; f16 and bf16 overflow to infinity, the fp8
 *       formats saturate to their largest finite value (infinities too) and keep NaN as NaN;</li>
 *   <li>float to integer truncates toward zero and saturates to the target's range; NaN gives 0;</li>
 *   <li>integer to float rounds to nearest even;</li>
 *   <li>integer to integer wraps (keeps the low bits), sign- or zero-extending by the source type.</li>
 * </ul>
 */
public final class Numerics {
    private Numerics() {}

    /** How a float is narrowed. */
    public enum Rounding { NEAREST_EVEN, TOWARD_ZERO }

    /** A binary floating-point format narrower than f32. */
    private record Format(int exponentBits, int mantissaBits, boolean saturates, int nanBits) {
        int bias() { return (1 << (exponentBits - 1)) - 1; }

        /** Bit pattern of the largest finite magnitude. */
        int maxFiniteBits() {
            int allOnesExponent = (1 << exponentBits) - 1;
            // e4m3fn keeps the all-ones exponent for numbers (only mantissa 111 is NaN)
            return saturates && exponentBits == 4
                    ? (allOnesExponent << mantissaBits) | ((1 << mantissaBits) - 2)
                    : ((allOnesExponent - 1) << mantissaBits) | ((1 << mantissaBits) - 1);
        }

        int infinityBits() { return ((1 << exponentBits) - 1) << mantissaBits; }

        int signBit() { return 1 << (exponentBits + mantissaBits); }
    }

    private static final Format F16 = new Format(5, 10, false, 0x7E00);
    private static final Format BF16 = new Format(8, 7, false, 0x7FC0);
    private static final Format E4M3 = new Format(4, 3, true, 0x7F);
    private static final Format E5M2 = new Format(5, 2, true, 0x7F);

    private static Format format(DType t) {
        return switch (t) {
            case F16 -> F16;
            case BF16 -> BF16;
            case FP8E4M3 -> E4M3;
            case FP8E5M2 -> E5M2;
            default -> throw new IllegalArgumentException(t + " is not a narrow float");
        };
    }

    // ---------------------------------------------------------------- narrow floats: encode

    /** The bit pattern of {@code x} rounded to the narrow float type {@code t}. */
    public static int encode(double x, DType t, Rounding rounding) {
        if (rounding == Rounding.NEAREST_EVEN) {
            // fast paths, identical to the general code for f32 inputs
            if (t == DType.F16 && (float) x == x) return Float.floatToFloat16((float) x) & 0xFFFF;
            if (t == DType.BF16 && (float) x == x) return bf16Bits((float) x);
        }
        return encode(x, format(t), rounding);
    }

    public static int encode(double x, DType t) { return encode(x, t, Rounding.NEAREST_EVEN); }

    private static int bf16Bits(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) return ((bits >>> 16) & 0x8000) | 0x7FC0;
        bits += 0x7FFF + ((bits >>> 16) & 1);
        return bits >>> 16;
    }

    private static int encode(double x, Format f, Rounding rounding) {
        if (Double.isNaN(x)) return f.nanBits;
        int sign = (Double.doubleToRawLongBits(x) < 0) ? f.signBit() : 0;
        double a = Math.abs(x);
        if (Double.isInfinite(a)) return sign | (f.saturates ? f.maxFiniteBits() : f.infinityBits());
        int m = f.mantissaBits;
        int minExponent = 1 - f.bias();
        int bits;
        if (a < Math.scalb(1.0, minExponent)) {
            double q = roundQuantum(Math.scalb(a, m - minExponent), rounding);
            bits = (int) q; // q == 2^m lands exactly on the smallest normal's encoding
        } else {
            int e = Math.getExponent(a);
            double q = roundQuantum(Math.scalb(a, m - e), rounding);
            if (q == (1 << (m + 1))) {
                e++;
                q = 1 << m;
            }
            int biased = e + f.bias();
            bits = biased >= (1 << f.exponentBits) ? Integer.MAX_VALUE : (biased << m) | ((int) q - (1 << m));
        }
        int limit = f.maxFiniteBits();
        if (bits > limit) {
            boolean overflowToInfinity = !f.saturates && rounding == Rounding.NEAREST_EVEN;
            bits = overflowToInfinity ? f.infinityBits() : limit;
        }
        return sign | bits;
    }

    private static double roundQuantum(double q, Rounding rounding) {
        return rounding == Rounding.NEAREST_EVEN ? Math.rint(q) : Math.floor(q);
    }

    // ---------------------------------------------------------------- narrow floats: decode

    /** The value of the narrow float bit pattern {@code bits} of type {@code t}. */
    public static float decode(int bits, DType t) {
        return switch (t) {
            case F16 -> Float.float16ToFloat((short) bits);
            case BF16 -> Float.intBitsToFloat((bits & 0xFFFF) << 16);
            case FP8E4M3, FP8E5M2 -> decodeFp8(bits & 0xFF, format(t));
            default -> throw new IllegalArgumentException(t + " is not a narrow float");
        };
    }

    private static float decodeFp8(int bits, Format f) {
        int m = f.mantissaBits;
        boolean negative = (bits & f.signBit()) != 0;
        int exponentField = (bits >>> m) & ((1 << f.exponentBits) - 1);
        int mantissa = bits & ((1 << m) - 1);
        float magnitude;
        if (f.exponentBits == 4 && exponentField == 15 && mantissa == 7) {
            return Float.NaN;
        } else if (f.exponentBits == 5 && exponentField == 31) {
            magnitude = mantissa == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else if (exponentField == 0) {
            magnitude = Math.scalb((float) mantissa, 1 - f.bias() - m);
        } else {
            magnitude = Math.scalb((float) ((1 << m) | mantissa), exponentField - f.bias() - m);
        }
        return negative ? -magnitude : magnitude;
    }

    /** {@code x} rounded to the float type {@code t} and widened back to f32 (identity for f32). */
    public static float round(double x, DType t) {
        return switch (t) {
            case F32 -> (float) x;
            case F16, BF16, FP8E4M3, FP8E5M2 -> decode(encode(x, t), t);
            default -> throw new IllegalArgumentException(t + " is not an f32-or-narrower float");
        };
    }

    /** {@code x} rounded toward zero to f32 (beyond the f32 range: the largest finite f32, as IEEE's toward-zero does). */
    public static float f32TowardZero(double x) {
        float f = (float) x; // to nearest: at most one step away from zero too far
        return Math.abs((double) f) > Math.abs(x) ? Math.nextAfter(f, 0.0) : f;
    }

    /** f32 rounded to f16 (round to nearest even), as a float. */
    public static float roundF16(float x) { return Float.float16ToFloat(Float.floatToFloat16(x)); }

    /** f32 rounded to bf16 (round to nearest even), as a float. */
    public static float roundBf16(float x) { return Float.intBitsToFloat(bf16Bits(x) << 16); }

    /**
     * f32 rounded to tf32, the input precision of the tensor cores' f32 mode: 10 mantissa bits,
     * round to nearest with ties away from zero (PTX {@code cvt.rna.tf32.f32}).
     */
    public static float roundTf32(float x) {
        if (!Float.isFinite(x)) return x;
        int bits = Float.floatToRawIntBits(x);
        return Float.intBitsToFloat((bits + 0x1000) & 0xFFFFE000);
    }

    // ---------------------------------------------------------------- integers

    /** {@code v} reduced to the integer type {@code t}: the low bits, sign- or zero-extended. */
    public static long wrap(long v, DType t) {
        return switch (t) {
            case I1 -> v & 1;
            case I8 -> (byte) v;
            case U8 -> v & 0xFF;
            case I16 -> (short) v;
            case U16 -> v & 0xFFFF;
            case I32 -> (int) v;
            case U32 -> v & 0xFFFF_FFFFL;
            case I64, U64 -> v;
            default -> throw new IllegalArgumentException(t + " is not an integer type");
        };
    }

    /** Float to integer: truncate toward zero, saturate to the range of {@code t}, NaN gives 0; to i1: x != 0. */
    public static long floatToInt(double x, DType t) {
        if (t == DType.I1) return x != 0 ? 1 : 0; // NaN counts as true, as a float compare "une 0"
        if (Double.isNaN(x)) return 0;
        double tx = x < 0 ? Math.ceil(x) : Math.floor(x);
        if (t == DType.U64) {
            if (tx <= 0) return 0;
            if (tx >= 0x1p64) return -1L;
            return tx >= 0x1p63 ? ((long) (tx - 0x1p63)) ^ Long.MIN_VALUE : (long) tx;
        }
        if (t == DType.I64) return (long) tx; // Java's cast already saturates
        long min = minValue(t), max = maxValue(t);
        return tx <= min ? min : tx >= max ? max : (long) tx;
    }

    /** The value of integer {@code v} of type {@code t} as a double (exact up to 2^53). */
    public static double intToDouble(long v, DType t) {
        if (t == DType.U64 && v < 0) return unsignedToDouble(v);
        return v;
    }

    /** Integer to f32 with a single rounding, also for 64-bit values. */
    public static float intToFloat(long v, DType t) {
        if (t == DType.U64 && v < 0) {
            // halve with the shifted-out bit kept as a sticky bit, so the rounding stays single
            float half = (float) ((v >>> 1) | (v & 1));
            return half * 2f;
        }
        return (float) v;
    }

    /**
     * Integer {@code v} of type {@code t} as a double rounded to odd: exact below 2^53, else its top 53
     * bits with the lowest set if any bit below was (a sticky bit). Rounding that double to any format
     * of at most 51 significand bits (f32, f16, bf16, fp8) gives the correctly rounded value of
     * {@code v}; rounding {@code v} to double first and then again could not (2^62 + 2^54 + 1 would
     * become a tie of bf16 and round down).
     */
    public static double intToDoubleRoundedToOdd(long v, DType t) {
        boolean negative = t != DType.U64 && v < 0;
        long m = negative ? -v : v; // Long.MIN_VALUE stays 2^63 as an unsigned magnitude
        int shift = 64 - Long.numberOfLeadingZeros(m) - 53;
        if (shift <= 0) return negative ? -(double) m : (double) m;
        long kept = m >>> shift;
        if ((m & ((1L << shift) - 1)) != 0) kept |= 1;
        double magnitude = Math.scalb((double) kept, shift);
        return negative ? -magnitude : magnitude;
    }

    private static double unsignedToDouble(long v) {
        double half = (double) ((v >>> 1) | (v & 1));
        return half * 2.0;
    }

    public static long minValue(DType t) {
        return switch (t) {
            case I1, U8, U16, U32, U64 -> 0;
            case I8 -> Byte.MIN_VALUE;
            case I16 -> Short.MIN_VALUE;
            case I32 -> Integer.MIN_VALUE;
            case I64 -> Long.MIN_VALUE;
            default -> throw new IllegalArgumentException(t + " is not an integer type");
        };
    }

    public static long maxValue(DType t) {
        return switch (t) {
            case I1 -> 1;
            case I8 -> Byte.MAX_VALUE;
            case U8 -> 0xFF;
            case I16 -> Short.MAX_VALUE;
            case U16 -> 0xFFFF;
            case I32 -> Integer.MAX_VALUE;
            case U32 -> 0xFFFF_FFFFL;
            case I64 -> Long.MAX_VALUE;
            case U64 -> -1L;
            default -> throw new IllegalArgumentException(t + " is not an integer type");
        };
    }

    /** Largest finite value of a float type. */
    public static double maxFinite(DType t) {
        return switch (t) {
            case F64 -> Double.MAX_VALUE;
            case F32 -> Float.MAX_VALUE;
            case F16 -> 65504.0;
            case BF16 -> 0x1.FEp127;
            case FP8E4M3 -> 448.0;
            case FP8E5M2 -> 57344.0;
            default -> throw new IllegalArgumentException(t + " is not a float type");
        };
    }
}
