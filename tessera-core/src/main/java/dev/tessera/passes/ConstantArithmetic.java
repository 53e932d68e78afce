package dev.tessera.passes;

import dev.tessera.ir.Op.Binary;
import dev.tessera.ir.Op.Compare;
import dev.tessera.ir.Op.Unary;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;

/**
 * Arithmetic on constants with exactly the results the backends compute at run time (the CPU
 * backend is the reference: its rules for division by zero, oversized shifts, unsigned types and
 * narrow types are restated here). Values are a constant op's: a Long holding the integer as
 * {@link Numerics#wrap} leaves it, or a Double for floats. Every method returns null where folding
 * would not be exact everywhere; the op then stays.
 *
 * <p>Floats fold only where every backend rounds correctly: add, sub, mul, div_rn, fma, min, max
 * (and the exact neg and abs). Narrow floats compute in f32 and round to their type, as they do at
 * run time; for add, sub, mul and div that double rounding equals a single one (f32 has more than
 * twice their precision).
 */
final class ConstantArithmetic {
    private ConstantArithmetic() {}

    /** A float constant as a backend holds it: f32 and narrower are rounded through f32 to their type. */
    static double held(DType t, Number v) {
        double d = v.doubleValue();
        return switch (t) {
            case F64 -> d;
            case F32 -> (float) d;
            default -> Numerics.round((float) d, t);
        };
    }

    /** Rounds an f32-held result to its (possibly narrower) type. */
    private static double narrow(DType t, float v) { return t == DType.F32 ? v : Numerics.round(v, t); }

    // ------------------------------------------------------------------ binary

    static Number binary(Binary.Fn fn, DType t, Number a, Number b) {
        if (t.isFloat()) return t == DType.F64 ? doubleBinary(fn, held(t, a), held(t, b)) : floatBinary(fn, t, (float) held(t, a), (float) held(t, b));
        if (t.isBool()) return boolBinary(fn, a.longValue() != 0, b.longValue() != 0);
        long x = a.longValue(), y = b.longValue();
        if (t.bits() == 64) {
            Long r = t.isUnsigned() ? ulongBinary(fn, x, y) : longBinary(fn, x, y);
            return r;
        }
        // rare, and their run-time rule is being settled across backends: left to run time
        if (fn == Binary.Fn.UMULHI && t.bits() < 32) return null;
        // up to 32 bits the CPU holds an int (u32 as its bit pattern) and wraps narrow types after the op
        Integer r = t.isUnsigned() ? uintBinary(fn, t, (int) x, (int) y) : intBinary(fn, (int) x, (int) y);
        return r == null ? null : Numerics.wrap(t == DType.U32 ? Integer.toUnsignedLong(r) : r, t);
    }

    private static Double doubleBinary(Binary.Fn fn, double a, double b) {
        return switch (fn) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV_RN -> a / b;
            case MAX -> fmax(a, b);
            case MIN -> fmin(a, b);
            case MAX_NAN -> Math.max(a, b);
            case MIN_NAN -> Math.min(a, b);
            default -> null; // DIV is approximate on GPUs; REM and POW are not correctly rounded
        };
    }

    private static Double floatBinary(Binary.Fn fn, DType t, float a, float b) {
        Float r = switch (fn) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV_RN -> a / b;
            case MAX -> (float) fmax(a, b);
            case MIN -> (float) fmin(a, b);
            case MAX_NAN -> Math.max(a, b);
            case MIN_NAN -> Math.min(a, b);
            default -> null;
        };
        return r == null ? null : narrow(t, r);
    }

    /** MAX and MIN ignore a NaN operand. */
    private static double fmax(double a, double b) { return a != a ? b : b != b ? a : Math.max(a, b); }

    private static double fmin(double a, double b) { return a != a ? b : b != b ? a : Math.min(a, b); }

    private static Long boolBinary(Binary.Fn fn, boolean a, boolean b) {
        Boolean r = switch (fn) {
            case AND -> a & b;
            case OR -> a | b;
            case XOR -> a ^ b;
            default -> null;
        };
        return r == null ? null : r ? 1L : 0L;
    }

    // Division by zero gives -1 (all ones) and the remainder the dividend; shifts by the width or more
    // give 0, or the sign for an arithmetic right shift. i8 and i16 shift as ints, as the CPU does.

    private static Integer intBinary(Binary.Fn fn, int a, int b) {
        return switch (fn) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> b == 0 ? -1 : a / b;
            case REM -> b == 0 ? a : a % b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case AND -> a & b;
            case OR -> a | b;
            case XOR -> a ^ b;
            case SHL -> (b & ~31) != 0 ? 0 : a << b;
            case SHR -> (b & ~31) != 0 ? a >> 31 : a >> b;
            case UMULHI -> (int) ((Integer.toUnsignedLong(a) * Integer.toUnsignedLong(b)) >>> 32);
            default -> null;
        };
    }

    /** u8 and u16 are held zero-extended, so only division, comparison, shifts and umulhi differ from int. */
    private static Integer uintBinary(Binary.Fn fn, DType t, int a, int b) {
        return switch (fn) {
            case DIV -> b == 0 ? -1 : Integer.divideUnsigned(a, b);
            case REM -> b == 0 ? a : Integer.remainderUnsigned(a, b);
            case MAX -> Integer.compareUnsigned(a, b) >= 0 ? a : b;
            case MIN -> Integer.compareUnsigned(a, b) <= 0 ? a : b;
            case SHR -> (b & ~31) != 0 ? 0 : a >>> b;
            case UMULHI -> t == DType.U32 ? intBinary(fn, a, b) : (a * b) >>> t.bits();
            default -> intBinary(fn, a, b);
        };
    }

    private static Long longBinary(Binary.Fn fn, long a, long b) {
        return switch (fn) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> b == 0 ? -1 : a / b;
            case REM -> b == 0 ? a : a % b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case AND -> a & b;
            case OR -> a | b;
            case XOR -> a ^ b;
            case SHL -> (b & ~63L) != 0 ? 0 : a << b;
            case SHR -> (b & ~63L) != 0 ? a >> 63 : a >> b;
            case UMULHI -> Math.unsignedMultiplyHigh(a, b);
            default -> null;
        };
    }

    private static Long ulongBinary(Binary.Fn fn, long a, long b) {
        return switch (fn) {
            case DIV -> b == 0 ? -1 : Long.divideUnsigned(a, b);
            case REM -> b == 0 ? a : Long.remainderUnsigned(a, b);
            case MAX -> Long.compareUnsigned(a, b) >= 0 ? a : b;
            case MIN -> Long.compareUnsigned(a, b) <= 0 ? a : b;
            case SHR -> (b & ~63L) != 0 ? 0 : a >>> b;
            default -> longBinary(fn, a, b);
        };
    }

    // ------------------------------------------------------------------ comparisons

    /** Float comparisons are ordered (false with a NaN) except NE; unsigned types compare unsigned. */
    static boolean compare(Compare.Fn fn, DType t, Number a, Number b) {
        if (t.isFloat()) {
            double x = held(t, a), y = held(t, b);
            return switch (fn) {
                case LT -> x < y;
                case LE -> x <= y;
                case GT -> x > y;
                case GE -> x >= y;
                case EQ -> x == y;
                case NE -> x != y;
            };
        }
        long x = a.longValue(), y = b.longValue();
        // canonical values of every type but u64 order correctly as signed longs (u32 is zero-extended)
        int c = t == DType.U64 ? Long.compareUnsigned(x, y) : Long.compare(x, y);
        return switch (fn) {
            case LT -> c < 0;
            case LE -> c <= 0;
            case GT -> c > 0;
            case GE -> c >= 0;
            case EQ -> c == 0;
            case NE -> c != 0;
        };
    }

    // ------------------------------------------------------------------ unary, fma, conversions

    static Number unary(Unary.Fn fn, DType t, Number a) {
        if (t.isFloat()) {
            double x = held(t, a);
            return switch (fn) {
                case NEG -> -x;
                case ABS -> Math.abs(x);
                default -> null; // math functions differ between backends (approximations)
            };
        }
        if (t.isBool()) return fn == Unary.Fn.NOT ? 1 - a.longValue() : null;
        long x = a.longValue();
        if (t.bits() == 64) {
            return switch (fn) {
                case NEG -> -x;
                case ABS -> Math.abs(x);
                case NOT -> ~x;
                case POPCOUNT -> (long) Long.bitCount(x);
                default -> null;
            };
        }
        int v = (int) x, mask = t.bits() == 32 ? -1 : (1 << t.bits()) - 1;
        Integer r = switch (fn) {
            case NEG -> -v;
            case ABS -> Math.abs(v);
            case NOT -> ~v;
            case POPCOUNT -> Integer.bitCount(v & mask);
            default -> null;
        };
        return r == null ? null : Numerics.wrap(t == DType.U32 ? Integer.toUnsignedLong(r) : r, t);
    }

    /** a·b + c with one rounding (to f32 first for narrow types, as computed at run time). */
    static Double fma(DType t, Number a, Number b, Number c) {
        if (t == DType.F64) return Math.fma(held(t, a), held(t, b), held(t, c));
        return narrow(t, Math.fma((float) held(t, a), (float) held(t, b), (float) held(t, c)));
    }

    /** A conversion by the rules of {@link Numerics}, exactly as the CPU backend performs it. */
    static Number convert(DType from, DType to, Numerics.Rounding rounding, Number v) {
        Numerics.Rounding r = rounding == null ? Numerics.Rounding.NEAREST_EVEN : rounding;
        if (to.isBool()) return (from.isFloat() ? held(from, v) != 0 : v.longValue() != 0) ? 1L : 0L;
        if (to.isFloat()) {
            if (from.isFloat()) {
                double x = held(from, v);
                if (to == DType.F64 || isExactWidening(from, to)) return x;
                if (r == Numerics.Rounding.TOWARD_ZERO) {
                    return to == DType.F32 ? null : (double) Numerics.decode(Numerics.encode(x, to, r), to);
                }
                return to == DType.F32 ? (double) (float) x : Numerics.round(x, to);
            }
            long x = v.longValue();
            if (to == DType.F64) return Numerics.intToDouble(x, from);
            if (from.bits() == 64) {
                // one rounding from 64 bits to a narrow float needs more than a double: left to run time
                return to == DType.F32 ? (Number) (double) Numerics.intToFloat(x, from) : null;
            }
            return (double) Numerics.round(Numerics.intToDouble(x, from), to);
        }
        if (from.isFloat()) return Numerics.floatToInt(held(from, v), to);
        return Numerics.wrap(v.longValue(), to);
    }

    /** Every value of {@code from} is a value of {@code to}, both held as f32. */
    private static boolean isExactWidening(DType from, DType to) {
        return from != DType.F64 && (from == to || to == DType.F32 || (from.isFp8() && (to == DType.F16 || to == DType.BF16)));
    }
}
