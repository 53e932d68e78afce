package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.types.DType;

/** CPU lowering of one-operand functions. Float math computes in double and rounds to the dtype. */
final class MathRules {
    private MathRules() {}

    private static final double LN2 = Math.log(2.0), INV_LN2 = 1.0 / Math.log(2.0);

    static Step unary(Op.Unary u, Lowering l) {
        int x = l.slot(u.x()), r = l.slot(u.result());
        DType t = l.dtype(u.result());
        Step core = switch (Storage.of(t)) {
            case FLOAT -> floatUnary(u.fn(), x, r);
            case DOUBLE -> doubleUnary(u.fn(), x, r);
            case INT -> intUnary(u.fn(), t, x, r);
            case LONG -> longUnary(u.fn(), x, r);
            case BOOL -> {
                if (u.fn() != Op.Unary.Fn.NOT) throw new IllegalStateException(u.fn() + " on i1");
                yield f -> { boolean[] a = f.bools(x), o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = !a[i]; };
            }
        };
        return NarrowTypes.normalized(core, t, r);
    }

    /** The double-precision function behind each float math op. */
    static double apply(Op.Unary.Fn fn, double v) {
        return switch (fn) {
            case NEG -> -v;
            case ABS -> Math.abs(v);
            case EXP -> Math.exp(v);
            case EXP2 -> Math.exp(v * LN2);
            case EXP2_FTZ -> flushBelowNormalF32(Math.pow(2.0, v));   // exact at integers, as f64 EXP2 is
            case LOG -> Math.log(v);
            case LOG2 -> Math.log(v) * INV_LN2;
            case SQRT, SQRT_RN -> Math.sqrt(v);
            case RSQRT -> 1.0 / Math.sqrt(v);
            case SIN -> Math.sin(v);
            case COS -> Math.cos(v);
            case TANH -> Math.tanh(v);
            case SIGMOID -> 1.0 / (1.0 + Math.exp(-v));
            case ERF -> Erf.erf(v);
            case FLOOR -> Math.floor(v);
            case CEIL -> Math.ceil(v);
            case NOT, POPCOUNT -> throw new IllegalStateException(fn + " on floats");
        };
    }

    private static Step floatUnary(Op.Unary.Fn fn, int x, int r) {
        return switch (fn) {
            case NEG -> f -> { float[] a = f.floats(x), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = -a[i]; };
            case ABS -> f -> { float[] a = f.floats(x), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = Math.abs(a[i]); };
            case SQRT, SQRT_RN -> f -> { float[] a = f.floats(x), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = (float) Math.sqrt(a[i]); };
            case FLOOR -> f -> { float[] a = f.floats(x), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = (float) Math.floor(a[i]); };
            case CEIL -> f -> { float[] a = f.floats(x), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = (float) Math.ceil(a[i]); };
            case EXP -> f -> { float[] a = f.floats(x), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = (float) Math.exp(a[i]); };
            default -> f -> { float[] a = f.floats(x), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = (float) apply(fn, a[i]); };
        };
    }

    private static Step doubleUnary(Op.Unary.Fn fn, int x, int r) {
        return switch (fn) {
            case NEG -> f -> { double[] a = f.doubles(x), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = -a[i]; };
            case ABS -> f -> { double[] a = f.doubles(x), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = Math.abs(a[i]); };
            case SQRT, SQRT_RN -> f -> { double[] a = f.doubles(x), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = Math.sqrt(a[i]); };
            case EXP2 -> f -> { double[] a = f.doubles(x), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = Math.pow(2.0, a[i]); };
            case LOG2 -> f -> { double[] a = f.doubles(x), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = log2(a[i]); };
            default -> f -> { double[] a = f.doubles(x), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = apply(fn, a[i]); };
        };
    }

    /** 0 for magnitudes below the smallest normal f32, 2^-126 (EXP2_FTZ's flush, in every precision). */
    static double flushBelowNormalF32(double v) { return Math.abs(v) < 0x1p-126 ? 0.0 : v; }

    /** log2 exact at powers of two (the product with 1/ln 2 is not). */
    static double log2(double v) {
        if (v > 0 && Double.isFinite(v) && (Double.doubleToRawLongBits(v) & 0x000F_FFFF_FFFF_FFFFL) == 0) {
            return Math.getExponent(v);
        }
        return Math.log(v) * INV_LN2;
    }

    private static Step intUnary(Op.Unary.Fn fn, DType t, int x, int r) {
        int mask = t.bits() == 32 ? -1 : (1 << t.bits()) - 1;
        return switch (fn) {
            case NEG -> f -> { int[] a = f.ints(x), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = -a[i]; };
            case ABS -> f -> { int[] a = f.ints(x), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = Math.abs(a[i]); };
            case NOT -> f -> { int[] a = f.ints(x), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = ~a[i]; };
            case POPCOUNT -> f -> { int[] a = f.ints(x), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = Integer.bitCount(a[i] & mask); };
            default -> throw new IllegalStateException(fn + " on integers");
        };
    }

    private static Step longUnary(Op.Unary.Fn fn, int x, int r) {
        return switch (fn) {
            case NEG -> f -> { long[] a = f.longs(x), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = -a[i]; };
            case ABS -> f -> { long[] a = f.longs(x), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = Math.abs(a[i]); };
            case NOT -> f -> { long[] a = f.longs(x), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = ~a[i]; };
            case POPCOUNT -> f -> { long[] a = f.longs(x), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = Long.bitCount(a[i]); };
            default -> throw new IllegalStateException(fn + " on integers");
        };
    }
}
