package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.types.DType;
import java.util.Arrays;

/**
 * CPU lowering of arithmetic: one tight loop per (function, storage) so the JIT can vectorize it,
 * followed by rounding or wrapping for narrow dtypes. Operands always have the result's shape.
 */
final class ElementwiseRules {
    private ElementwiseRules() {}

    static Step constant(Op.Constant c, Lowering l) {
        Number v = c.value();
        l.initializeOnce(c.result(), array -> {
            switch (array) {
                case float[] a -> Arrays.fill(a, NarrowTypes.round(v.floatValue(), l.dtype(c.result())));
                case double[] a -> Arrays.fill(a, v.doubleValue());
                case int[] a -> Arrays.fill(a, (int) v.longValue());
                case long[] a -> Arrays.fill(a, v.longValue());
                case boolean[] a -> Arrays.fill(a, v.longValue() != 0);
                default -> throw new IllegalStateException();
            }
        });
        return null;
    }

    // ------------------------------------------------------------------ binary

    static Step binary(Op.Binary b, Lowering l) {
        int x = l.slot(b.lhs()), y = l.slot(b.rhs()), r = l.slot(b.result());
        DType t = l.dtype(b.result());
        Step core = switch (Storage.of(t)) {
            case FLOAT -> floatBinary(b.fn(), x, y, r);
            case DOUBLE -> doubleBinary(b.fn(), x, y, r);
            case INT -> b.fn() == Op.Binary.Fn.UMULHI && t.bits() < 32 ? narrowUmulhi(t, x, y, r)
                    : t.isUnsigned() ? uintBinary(b.fn(), t, x, y, r) : intBinary(b.fn(), x, y, r);
            case LONG -> t.isUnsigned() ? ulongBinary(b.fn(), x, y, r) : longBinary(b.fn(), x, y, r);
            case BOOL -> boolBinary(b.fn(), x, y, r);
        };
        return NarrowTypes.normalized(core, t, r);
    }

    static float fmax(float a, float b) { return a != a ? b : b != b ? a : Math.max(a, b); }

    static float fmin(float a, float b) { return a != a ? b : b != b ? a : Math.min(a, b); }

    static double fmax(double a, double b) { return a != a ? b : b != b ? a : Math.max(a, b); }

    static double fmin(double a, double b) { return a != a ? b : b != b ? a : Math.min(a, b); }

    private static Step floatBinary(Op.Binary.Fn fn, int x, int y, int r) {
        return switch (fn) {
            case ADD -> f -> { float[] a = f.floats(x), b = f.floats(y), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = a[i] + b[i]; };
            case SUB -> f -> { float[] a = f.floats(x), b = f.floats(y), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = a[i] - b[i]; };
            case MUL -> f -> { float[] a = f.floats(x), b = f.floats(y), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = a[i] * b[i]; };
            case DIV, DIV_RN -> f -> { float[] a = f.floats(x), b = f.floats(y), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = a[i] / b[i]; };
            case REM -> f -> { float[] a = f.floats(x), b = f.floats(y), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = a[i] % b[i]; };
            case MAX -> f -> { float[] a = f.floats(x), b = f.floats(y), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = fmax(a[i], b[i]); };
            case MIN -> f -> { float[] a = f.floats(x), b = f.floats(y), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = fmin(a[i], b[i]); };
            case MAX_NAN -> f -> { float[] a = f.floats(x), b = f.floats(y), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = Math.max(a[i], b[i]); };
            case MIN_NAN -> f -> { float[] a = f.floats(x), b = f.floats(y), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = Math.min(a[i], b[i]); };
            case POW -> f -> { float[] a = f.floats(x), b = f.floats(y), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = (float) Math.pow(a[i], b[i]); };
            default -> throw unsupported(fn, "floats");
        };
    }

    private static Step doubleBinary(Op.Binary.Fn fn, int x, int y, int r) {
        return switch (fn) {
            case ADD -> f -> { double[] a = f.doubles(x), b = f.doubles(y), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = a[i] + b[i]; };
            case SUB -> f -> { double[] a = f.doubles(x), b = f.doubles(y), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = a[i] - b[i]; };
            case MUL -> f -> { double[] a = f.doubles(x), b = f.doubles(y), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = a[i] * b[i]; };
            case DIV, DIV_RN -> f -> { double[] a = f.doubles(x), b = f.doubles(y), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = a[i] / b[i]; };
            case REM -> f -> { double[] a = f.doubles(x), b = f.doubles(y), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = a[i] % b[i]; };
            case MAX -> f -> { double[] a = f.doubles(x), b = f.doubles(y), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = fmax(a[i], b[i]); };
            case MIN -> f -> { double[] a = f.doubles(x), b = f.doubles(y), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = fmin(a[i], b[i]); };
            case MAX_NAN -> f -> { double[] a = f.doubles(x), b = f.doubles(y), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = Math.max(a[i], b[i]); };
            case MIN_NAN -> f -> { double[] a = f.doubles(x), b = f.doubles(y), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = Math.min(a[i], b[i]); };
            case POW -> f -> { double[] a = f.doubles(x), b = f.doubles(y), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = Math.pow(a[i], b[i]); };
            default -> throw unsupported(fn, "floats");
        };
    }

    // Integer division by zero is undefined on GPUs; here it gives -1 (all ones) and the remainder
    // the dividend, so a CPU run is deterministic. Shifts by the width or more give 0 (or the sign).

    private static Step intBinary(Op.Binary.Fn fn, int x, int y, int r) {
        return switch (fn) {
            case ADD -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = a[i] + b[i]; };
            case SUB -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = a[i] - b[i]; };
            case MUL -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = a[i] * b[i]; };
            case DIV -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = b[i] == 0 ? -1 : a[i] / b[i]; };
            case REM -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = b[i] == 0 ? a[i] : a[i] % b[i]; };
            case MAX -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = Math.max(a[i], b[i]); };
            case MIN -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = Math.min(a[i], b[i]); };
            case AND -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = a[i] & b[i]; };
            case OR -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = a[i] | b[i]; };
            case XOR -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = a[i] ^ b[i]; };
            case SHL -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = (b[i] & ~31) != 0 ? 0 : a[i] << b[i]; };
            case SHR -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = (b[i] & ~31) != 0 ? a[i] >> 31 : a[i] >> b[i]; };
            case UMULHI -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = (int) ((Integer.toUnsignedLong(a[i]) * Integer.toUnsignedLong(b[i])) >>> 32); };
            default -> throw unsupported(fn, "integers");
        };
    }

    /** u8 and u16 are held zero-extended, so signed int arithmetic is exact for them but for u32. */
    private static Step uintBinary(Op.Binary.Fn fn, DType t, int x, int y, int r) {
        return switch (fn) {
            case DIV -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = b[i] == 0 ? -1 : Integer.divideUnsigned(a[i], b[i]); };
            case REM -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = b[i] == 0 ? a[i] : Integer.remainderUnsigned(a[i], b[i]); };
            case MAX -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = Integer.compareUnsigned(a[i], b[i]) >= 0 ? a[i] : b[i]; };
            case MIN -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = Integer.compareUnsigned(a[i], b[i]) <= 0 ? a[i] : b[i]; };
            case SHR -> f -> { int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = (b[i] & ~31) != 0 ? 0 : a[i] >>> b[i]; };
            default -> intBinary(fn, x, y, r);
        };
    }

    /**
     * The high half of the unsigned 2w-bit product for w = 8 or 16. Signed i8/i16 are held
     * sign-extended, so their bits are masked to the width first (the 32-bit form would see them as
     * huge unsigned numbers).
     */
    private static Step narrowUmulhi(DType t, int x, int y, int r) {
        int w = t.bits(), mask = (1 << w) - 1;
        return f -> {
            int[] a = f.ints(x), b = f.ints(y), o = f.ints(r);
            for (int i = 0; i < o.length; i++) o[i] = ((a[i] & mask) * (b[i] & mask)) >>> w;
        };
    }

    private static Step longBinary(Op.Binary.Fn fn, int x, int y, int r) {
        return switch (fn) {
            case ADD -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = a[i] + b[i]; };
            case SUB -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = a[i] - b[i]; };
            case MUL -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = a[i] * b[i]; };
            case DIV -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = b[i] == 0 ? -1 : a[i] / b[i]; };
            case REM -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = b[i] == 0 ? a[i] : a[i] % b[i]; };
            case MAX -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = Math.max(a[i], b[i]); };
            case MIN -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = Math.min(a[i], b[i]); };
            case AND -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = a[i] & b[i]; };
            case OR -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = a[i] | b[i]; };
            case XOR -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = a[i] ^ b[i]; };
            case SHL -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = (b[i] & ~63L) != 0 ? 0 : a[i] << b[i]; };
            case SHR -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = (b[i] & ~63L) != 0 ? a[i] >> 63 : a[i] >> b[i]; };
            case UMULHI -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = Math.unsignedMultiplyHigh(a[i], b[i]); };
            default -> throw unsupported(fn, "integers");
        };
    }

    private static Step ulongBinary(Op.Binary.Fn fn, int x, int y, int r) {
        return switch (fn) {
            case DIV -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = b[i] == 0 ? -1 : Long.divideUnsigned(a[i], b[i]); };
            case REM -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = b[i] == 0 ? a[i] : Long.remainderUnsigned(a[i], b[i]); };
            case MAX -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = Long.compareUnsigned(a[i], b[i]) >= 0 ? a[i] : b[i]; };
            case MIN -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = Long.compareUnsigned(a[i], b[i]) <= 0 ? a[i] : b[i]; };
            case SHR -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = (b[i] & ~63L) != 0 ? 0 : a[i] >>> b[i]; };
            default -> longBinary(fn, x, y, r);
        };
    }

    private static Step boolBinary(Op.Binary.Fn fn, int x, int y, int r) {
        return switch (fn) {
            case AND -> f -> { boolean[] a = f.bools(x), b = f.bools(y), o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] & b[i]; };
            case OR -> f -> { boolean[] a = f.bools(x), b = f.bools(y), o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] | b[i]; };
            case XOR -> f -> { boolean[] a = f.bools(x), b = f.bools(y), o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] ^ b[i]; };
            default -> throw unsupported(fn, "i1");
        };
    }

    private static IllegalStateException unsupported(Object fn, String what) {
        return new IllegalStateException(fn + " is not defined for " + what + " (the verifier should have rejected it)");
    }

    // ------------------------------------------------------------------ comparisons and selection

    static Step compare(Op.Compare c, Lowering l) {
        int x = l.slot(c.lhs()), y = l.slot(c.rhs()), r = l.slot(c.result());
        DType t = l.dtype(c.lhs());
        Op.Compare.Fn fn = c.fn();
        return switch (Storage.of(t)) {
            case FLOAT -> switch (fn) {
                case LT -> f -> { float[] a = f.floats(x), b = f.floats(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] < b[i]; };
                case LE -> f -> { float[] a = f.floats(x), b = f.floats(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] <= b[i]; };
                case GT -> f -> { float[] a = f.floats(x), b = f.floats(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] > b[i]; };
                case GE -> f -> { float[] a = f.floats(x), b = f.floats(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] >= b[i]; };
                case EQ -> f -> { float[] a = f.floats(x), b = f.floats(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] == b[i]; };
                case NE -> f -> { float[] a = f.floats(x), b = f.floats(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] != b[i]; };
            };
            case DOUBLE -> switch (fn) {
                case LT -> f -> { double[] a = f.doubles(x), b = f.doubles(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] < b[i]; };
                case LE -> f -> { double[] a = f.doubles(x), b = f.doubles(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] <= b[i]; };
                case GT -> f -> { double[] a = f.doubles(x), b = f.doubles(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] > b[i]; };
                case GE -> f -> { double[] a = f.doubles(x), b = f.doubles(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] >= b[i]; };
                case EQ -> f -> { double[] a = f.doubles(x), b = f.doubles(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] == b[i]; };
                case NE -> f -> { double[] a = f.doubles(x), b = f.doubles(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] != b[i]; };
            };
            case INT -> t == DType.U32 ? switch (fn) {
                case LT -> f -> { int[] a = f.ints(x), b = f.ints(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = Integer.compareUnsigned(a[i], b[i]) < 0; };
                case LE -> f -> { int[] a = f.ints(x), b = f.ints(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = Integer.compareUnsigned(a[i], b[i]) <= 0; };
                case GT -> f -> { int[] a = f.ints(x), b = f.ints(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = Integer.compareUnsigned(a[i], b[i]) > 0; };
                case GE -> f -> { int[] a = f.ints(x), b = f.ints(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = Integer.compareUnsigned(a[i], b[i]) >= 0; };
                case EQ -> f -> { int[] a = f.ints(x), b = f.ints(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] == b[i]; };
                case NE -> f -> { int[] a = f.ints(x), b = f.ints(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] != b[i]; };
            } : switch (fn) {
                case LT -> f -> { int[] a = f.ints(x), b = f.ints(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] < b[i]; };
                case LE -> f -> { int[] a = f.ints(x), b = f.ints(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] <= b[i]; };
                case GT -> f -> { int[] a = f.ints(x), b = f.ints(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] > b[i]; };
                case GE -> f -> { int[] a = f.ints(x), b = f.ints(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] >= b[i]; };
                case EQ -> f -> { int[] a = f.ints(x), b = f.ints(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] == b[i]; };
                case NE -> f -> { int[] a = f.ints(x), b = f.ints(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] != b[i]; };
            };
            case LONG -> t == DType.U64 ? switch (fn) {
                case LT -> f -> { long[] a = f.longs(x), b = f.longs(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = Long.compareUnsigned(a[i], b[i]) < 0; };
                case LE -> f -> { long[] a = f.longs(x), b = f.longs(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = Long.compareUnsigned(a[i], b[i]) <= 0; };
                case GT -> f -> { long[] a = f.longs(x), b = f.longs(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = Long.compareUnsigned(a[i], b[i]) > 0; };
                case GE -> f -> { long[] a = f.longs(x), b = f.longs(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = Long.compareUnsigned(a[i], b[i]) >= 0; };
                case EQ -> f -> { long[] a = f.longs(x), b = f.longs(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] == b[i]; };
                case NE -> f -> { long[] a = f.longs(x), b = f.longs(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] != b[i]; };
            } : switch (fn) {
                case LT -> f -> { long[] a = f.longs(x), b = f.longs(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] < b[i]; };
                case LE -> f -> { long[] a = f.longs(x), b = f.longs(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] <= b[i]; };
                case GT -> f -> { long[] a = f.longs(x), b = f.longs(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] > b[i]; };
                case GE -> f -> { long[] a = f.longs(x), b = f.longs(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] >= b[i]; };
                case EQ -> f -> { long[] a = f.longs(x), b = f.longs(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] == b[i]; };
                case NE -> f -> { long[] a = f.longs(x), b = f.longs(y); boolean[] o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] != b[i]; };
            };
            case BOOL -> switch (fn) {
                case EQ -> f -> { boolean[] a = f.bools(x), b = f.bools(y), o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] == b[i]; };
                case NE -> f -> { boolean[] a = f.bools(x), b = f.bools(y), o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] != b[i]; };
                case LT -> f -> { boolean[] a = f.bools(x), b = f.bools(y), o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = !a[i] & b[i]; };
                case LE -> f -> { boolean[] a = f.bools(x), b = f.bools(y), o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = !a[i] | b[i]; };
                case GT -> f -> { boolean[] a = f.bools(x), b = f.bools(y), o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] & !b[i]; };
                case GE -> f -> { boolean[] a = f.bools(x), b = f.bools(y), o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[i] | !b[i]; };
            };
        };
    }

    static Step select(Op.Select s, Lowering l) {
        int c = l.slot(s.condition()), x = l.slot(s.ifTrue()), y = l.slot(s.ifFalse()), r = l.slot(s.result());
        return switch (l.storage(s.result())) {
            case FLOAT -> f -> { boolean[] k = f.bools(c); float[] a = f.floats(x), b = f.floats(y), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = k[i] ? a[i] : b[i]; };
            case DOUBLE -> f -> { boolean[] k = f.bools(c); double[] a = f.doubles(x), b = f.doubles(y), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = k[i] ? a[i] : b[i]; };
            case INT -> f -> { boolean[] k = f.bools(c); int[] a = f.ints(x), b = f.ints(y), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = k[i] ? a[i] : b[i]; };
            case LONG -> f -> { boolean[] k = f.bools(c); long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = k[i] ? a[i] : b[i]; };
            case BOOL -> f -> { boolean[] k = f.bools(c), a = f.bools(x), b = f.bools(y), o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = k[i] ? a[i] : b[i]; };
        };
    }

    static Step fma(Op.Fma op, Lowering l) {
        int x = l.slot(op.a()), y = l.slot(op.b()), z = l.slot(op.c()), r = l.slot(op.result());
        DType t = l.dtype(op.result());
        Step core = l.storage(op.result()) == Storage.DOUBLE
                ? f -> { double[] a = f.doubles(x), b = f.doubles(y), c = f.doubles(z), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = Math.fma(a[i], b[i], c[i]); }
                : f -> { float[] a = f.floats(x), b = f.floats(y), c = f.floats(z), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = Math.fma(a[i], b[i], c[i]); };
        return NarrowTypes.normalized(core, t, r);
    }
}
