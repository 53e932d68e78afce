package dev.tessera.cuda.codegen;

import dev.tessera.cuda.codegen.convert.NarrowFloats;
import dev.tessera.types.DType;
import dev.tessera.types.ElementType;
import dev.tessera.types.Numerics;

/** Small instruction patterns every rule needs: immediates, constants, keeping narrow values normalized. */
public final class Emit {
    private Emit() {}

    public static String f32(double v) { return String.format("0f%08X", Float.floatToRawIntBits((float) v)); }

    public static String f64(double v) { return String.format("0d%016X", Double.doubleToRawLongBits(v)); }

    /** The PTX type for integer arithmetic on {@code t}'s registers. */
    public static String intType(DType t) {
        if (t.bits() == 64) return t.isUnsigned() ? "u64" : "s64";
        return t.isUnsigned() ? "u32" : "s32";
    }

    /** The PTX type for float arithmetic on {@code t}'s registers (narrow floats compute in f32). */
    public static String floatType(DType t) { return t == DType.F64 ? "f64" : "f32"; }

    /** A register holding {@code value} as {@code t} holds it (narrow floats rounded, narrow integers wrapped). */
    public static String constant(Lowerer cx, ElementType t, Number value) {
        PtxWriter w = cx.w;
        RegClass k = RegClass.of(t);
        String r = w.reg(k);
        switch (k) {
            case PRED -> w.op("setp.ne.u32 %s, %d, 0", r, value.longValue() != 0 ? 1 : 0);
            case B32 -> w.op("mov.b32 %s, %d", r, (int) Numerics.wrap(value.longValue(), (DType) t));
            case B64 -> w.op("mov.b64 %s, %d", r, value.longValue());
            case F32 -> {
                DType d = (DType) t;
                float f = d == DType.F32 ? value.floatValue() : Numerics.round(value.doubleValue(), d);
                w.op("mov.f32 %s, %s", r, f32(f));
                if (d.isNarrowFloat()) {
                    String bits = w.reg(RegClass.B32);
                    w.op("mov.b32 %s, %d", bits, Numerics.encode(value.doubleValue(), d));
                    cx.recordNarrowBits(r, d, bits, null);
                }
            }
            case F64 -> w.op("mov.f64 %s, %s", r, f64(value.doubleValue()));
            default -> throw new IllegalStateException(k.toString());
        }
        return r;
    }

    /** A 32-bit integer register holding {@code v}. */
    public static String u32(Lowerer cx, long v) {
        String r = cx.w.reg(RegClass.B32);
        cx.w.op("mov.b32 %s, %d", r, (int) v);
        return r;
    }

    /** Brings an integer freshly computed in 32 bits back to {@code t}'s range (sign- or zero-extended). */
    public static String wrap(Lowerer cx, String r, DType t) {
        String out;
        switch (t) {
            case I8 -> { out = cx.w.reg(RegClass.B32); cx.w.op("cvt.s32.s8 %s, %s", out, r); }
            case I16 -> { out = cx.w.reg(RegClass.B32); cx.w.op("cvt.s32.s16 %s, %s", out, r); }
            case U8 -> { out = cx.w.reg(RegClass.B32); cx.w.op("and.b32 %s, %s, 255", out, r); }
            case U16 -> { out = cx.w.reg(RegClass.B32); cx.w.op("and.b32 %s, %s, 65535", out, r); }
            default -> out = r;
        }
        return out;
    }

    /** Brings a float computed in f32 back to {@code t} (round to nearest even), or returns it for f32/f64. */
    static String round(Lowerer cx, String f, DType t) {
        return t.isNarrowFloat() ? NarrowFloats.round(cx, f, t) : f;
    }

    /** Normalizes a freshly computed value of {@code t}. */
    public static String normalize(Lowerer cx, String r, DType t) {
        if (t.isNarrowFloat()) return NarrowFloats.round(cx, r, t);
        if (t.isInteger() && t.bits() < 32) return wrap(cx, r, t);
        return r;
    }

    /** A predicate register from a 32-bit word (non-zero is true). */
    public static String toPred(Lowerer cx, String word) {
        String p = cx.w.reg(RegClass.PRED);
        cx.w.op("setp.ne.b32 %s, %s, 0", p, word);
        return p;
    }

    /** A 32-bit word 1 or 0 from a predicate. */
    public static String fromPred(Lowerer cx, String p) {
        String r = cx.w.reg(RegClass.B32);
        cx.w.op("selp.u32 %s, 1, 0, %s", r, p);
        return r;
    }

    /** Moves a value of register class {@code k} (select for predicates). */
    public static void move(Lowerer cx, RegClass k, String dst, String src) {
        if (dst.equals(src)) return;
        if (k == RegClass.PRED) {
            cx.w.op("and.pred %s, %s, %s", dst, src, src);
        } else {
            cx.w.op("mov%s %s, %s", k == RegClass.F32 ? ".f32" : k == RegClass.F64 ? ".f64" : k.bits(), dst, src);
        }
    }

    /** dst = p ? a : b for any register class. */
    public static String select(Lowerer cx, RegClass k, String p, String a, String b) {
        String d = cx.w.reg(k);
        if (k == RegClass.PRED) {
            String t = cx.w.reg(RegClass.PRED), e = cx.w.reg(RegClass.PRED);
            cx.w.op("and.pred %s, %s, %s", t, p, a);
            cx.w.op("and.pred %s, !%s, %s", e, p, b); // ptxas accepts a negated predicate source
            cx.w.op("or.pred %s, %s, %s", d, t, e);
        } else {
            cx.w.op("selp%s %s, %s, %s, %s", k == RegClass.F32 ? ".f32" : k == RegClass.F64 ? ".f64" : k.bits(), d, a, b, p);
        }
        return d;
    }
}
