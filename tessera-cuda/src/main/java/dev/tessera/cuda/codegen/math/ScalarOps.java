package dev.tessera.cuda.codegen.math;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.ir.Op.Binary;
import dev.tessera.ir.Op.Compare;
import dev.tessera.ir.Op.Unary;
import dev.tessera.types.DType;

/**
 * One element's arithmetic, shared by elementwise ops, reductions, scans and inlined combine
 * functions. The results follow the CPU backend exactly: integer division by zero gives -1 (the
 * remainder the dividend), shifts by the width or more give 0 or the sign, MAX and MIN ignore
 * NaN, and explicit rounding modifiers keep ptxas from fusing a multiply and an add the CPU
 * rounds twice.
 */
public final class ScalarOps {
    private ScalarOps() {}

    /**
     * {@code d = a / b} or {@code a % b} in 64 bits without {@code div.s64}/{@code rem.s64}, which
     * ptxas turns into calls of a subroutine: a call anywhere in a kernel makes it serialize every
     * wgmma of the kernel (each waited for before the next is issued; flash attention's index
     * arithmetic did that to its forward pass on the H200). Operands that fit in 32 bits, as
     * indices do, divide in 32 bits; others go through an inline shift-and-subtract loop. A zero
     * or minus-one divisor is left to the caller's fix-up (it replaces both paths' results).
     */
    private static void divide64(PtxWriter w, boolean div, boolean signed, String d, String a, String b) {
        String fits = w.reg(RegClass.PRED), slow = w.label("div64_slow"), done = w.label("div64_done");
        if (signed) {
            String fitsB = w.reg(RegClass.PRED), lo = w.reg(RegClass.B32), back = w.reg(RegClass.B64);
            w.op("cvt.u32.u64 %s, %s", lo, a);
            w.op("cvt.s64.s32 %s, %s", back, lo);
            w.op("setp.eq.s64 %s, %s, %s", fits, back, a);
            w.op("cvt.u32.u64 %s, %s", lo, b);
            w.op("cvt.s64.s32 %s, %s", back, lo);
            w.op("setp.eq.and.s64 %s, %s, %s, %s", fitsB, back, b, fits);
            fits = fitsB;
        } else {
            String high = w.reg(RegClass.B64);
            w.op("or.b64 %s, %s, %s", high, a, b);
            w.op("shr.u64 %s, %s, 32", high, high);
            w.op("setp.eq.u64 %s, %s, 0", fits, high);
        }
        String it = signed ? "s32" : "u32", a32 = w.reg(RegClass.B32), b32 = w.reg(RegClass.B32), r32 = w.reg(RegClass.B32);
        w.op("@!%s bra %s", fits, slow);
        w.op("cvt.u32.u64 %s, %s", a32, a);
        w.op("cvt.u32.u64 %s, %s", b32, b);
        w.op("%s.%s %s, %s, %s", div ? "div" : "rem", it, r32, a32, b32);
        w.op("cvt.%s.%s %s, %s", signed ? "s64" : "u64", it, d, r32);
        w.op("bra %s", done);
        w.place(slow);
        // unsigned long division of the magnitudes, one quotient bit a step from the top
        String ua = a, ub = b;
        if (signed) {
            ua = w.reg(RegClass.B64);
            ub = w.reg(RegClass.B64);
            w.op("abs.s64 %s, %s", ua, a);   // the most negative value stays 2^63 read as unsigned
            w.op("abs.s64 %s, %s", ub, b);
        }
        String q = w.reg(RegClass.B64), r = w.reg(RegClass.B64), bit = w.reg(RegClass.B64), i = w.reg(RegClass.B32);
        String ge = w.reg(RegClass.PRED), more = w.reg(RegClass.PRED), step = w.label("div64_step");
        w.op("mov.b64 %s, 0", q);
        w.op("mov.b64 %s, 0", r);
        w.op("mov.u32 %s, 63", i);
        w.place(step);
        w.op("shr.u64 %s, %s, %s", bit, ua, i);
        w.op("and.b64 %s, %s, 1", bit, bit);
        w.op("shl.b64 %s, %s, 1", r, r);
        w.op("or.b64 %s, %s, %s", r, r, bit);
        w.op("setp.ge.u64 %s, %s, %s", ge, r, ub);
        w.op("@%s sub.s64 %s, %s, %s", ge, r, r, ub);
        w.op("selp.b64 %s, 1, 0, %s", bit, ge);
        w.op("shl.b64 %s, %s, 1", q, q);
        w.op("or.b64 %s, %s, %s", q, q, bit);
        w.op("sub.s32 %s, %s, 1", i, i);
        w.op("setp.ge.s32 %s, %s, 0", more, i);
        w.op("@%s bra %s", more, step);
        String result = div ? q : r;
        if (signed) {
            // the quotient is negative when the signs differ, the remainder takes the dividend's sign
            String sign = w.reg(RegClass.B64), negative = w.reg(RegClass.PRED);
            if (div) w.op("xor.b64 %s, %s, %s", sign, a, b);
            else w.op("mov.b64 %s, %s", sign, a);
            w.op("setp.lt.s64 %s, %s, 0", negative, sign);
            w.op("@%s neg.s64 %s, %s", negative, result, result);
        }
        w.op("mov.b64 %s, %s", d, result);
        w.place(done);
    }

    /** {@code a fn b} in {@code t}, normalized to {@code t}. */
    static String binary(Lowerer cx, Binary.Fn fn, DType t, String a, String b) {
        return Emit.normalize(cx, binaryRaw(cx, fn, t, a, b), t);
    }

    /** {@code a fn b} computed in the register's width, not yet rounded or wrapped to a narrow {@code t}. */
    public static String binaryRaw(Lowerer cx, Binary.Fn fn, DType t, String a, String b) {
        PtxWriter w = cx.w;
        RegClass k = RegClass.of(t);
        String d = w.reg(k);
        if (k == RegClass.PRED) {
            String op = switch (fn) {
                case AND, MIN, MUL -> "and";
                case OR, MAX, ADD -> "or";
                case XOR -> "xor";
                default -> throw new IllegalStateException(fn + " on i1");
            };
            w.op("%s.pred %s, %s, %s", op, d, a, b);
            return d;
        }
        if (t.isFloat()) return floatBinary(cx, fn, t, a, b, d);
        String it = Emit.intType(t), bits = k.bits();
        boolean wide = k == RegClass.B64;
        switch (fn) {
            case ADD -> w.op("add.%s %s, %s, %s", it, d, a, b);
            case SUB -> w.op("sub.%s %s, %s, %s", it, d, a, b);
            case MUL -> w.op("mul.lo.%s %s, %s, %s", it, d, a, b);
            case DIV, REM -> {
                boolean div = fn == Binary.Fn.DIV;
                if (wide) divide64(w, div, !t.isUnsigned(), d, a, b);
                else w.op("%s.%s %s, %s, %s", div ? "div" : "rem", it, d, a, b);
                String zero = w.reg(RegClass.PRED);
                w.op("setp.eq.%s %s, %s, 0", it, zero, b);
                if (!t.isUnsigned()) {
                    // x / -1 is -x (wrapping), also for the most negative x, whose quotient overflows
                    String minusOne = w.reg(RegClass.PRED);
                    w.op("setp.eq.%s %s, %s, -1", it, minusOne, b);
                    if (div) {
                        String neg = w.reg(k);
                        w.op("neg.%s %s, %s", it, neg, a);
                        w.op("selp%s %s, %s, %s, %s", bits, d, neg, d, minusOne);
                    } else {
                        w.op("selp%s %s, 0, %s, %s", bits, d, d, minusOne);
                    }
                }
                if (div) w.op("selp%s %s, -1, %s, %s", bits, d, d, zero);
                else w.op("selp%s %s, %s, %s, %s", bits, d, a, d, zero);
            }
            case MAX -> w.op("max.%s %s, %s, %s", it, d, a, b);
            case MIN -> w.op("min.%s %s, %s, %s", it, d, a, b);
            case AND -> w.op("and%s %s, %s, %s", bits, d, a, b);
            case OR -> w.op("or%s %s, %s, %s", bits, d, a, b);
            case XOR -> w.op("xor%s %s, %s, %s", bits, d, a, b);
            case SHL, SHR -> {
                String amount = b;
                if (wide) {
                    // PTX takes a 32-bit amount and clamps it to the width: clamp the 64-bit one first
                    String c = w.reg(RegClass.B64);
                    amount = w.reg(RegClass.B32);
                    w.op("min.u64 %s, %s, 64", c, b);
                    w.op("cvt.u32.u64 %s, %s", amount, c);
                }
                if (fn == Binary.Fn.SHL) w.op("shl%s %s, %s, %s", bits, d, a, amount);
                else w.op("shr.%s %s, %s, %s", it, d, a, amount);
            }
            case UMULHI -> {
                if (wide) {
                    w.op("mul.hi.u64 %s, %s, %s", d, a, b);
                } else if (t.bits() < 32) {
                    // the high half of the 2w-bit unsigned product (i8/i16 are held sign-extended: mask first)
                    int mask = (1 << t.bits()) - 1;
                    String ma = w.reg(RegClass.B32), mb = w.reg(RegClass.B32);
                    w.op("and.b32 %s, %s, %d", ma, a, mask);
                    w.op("and.b32 %s, %s, %d", mb, b, mask);
                    w.op("mul.lo.u32 %s, %s, %s", d, ma, mb);
                    w.op("shr.u32 %s, %s, %d", d, d, t.bits());
                } else {
                    w.op("mul.hi.u32 %s, %s, %s", d, a, b);
                }
            }
            default -> throw new IllegalStateException(fn + " on integers");
        }
        return d;
    }

    private static String floatBinary(Lowerer cx, Binary.Fn fn, DType t, String a, String b, String d) {
        PtxWriter w = cx.w;
        String ft = Emit.floatType(t);
        switch (fn) {
            case ADD -> w.op("add.rn.%s %s, %s, %s", ft, d, a, b);
            case SUB -> w.op("sub.rn.%s %s, %s, %s", ft, d, a, b);
            case MUL -> w.op("mul.rn.%s %s, %s, %s", ft, d, a, b);
            // the fast division for f32 (Triton's too); narrow floats divide exactly, so their
            // rounded result matches the CPU's, and f64 has only the exact one
            case DIV -> w.op(t == DType.F32 ? "div.full.f32 %s, %s, %s" : "div.rn.%4$s %s, %s, %s", d, a, b, ft);
            case DIV_RN -> w.op("div.rn.%s %s, %s, %s", ft, d, a, b);
            case MAX -> w.op("max.%s %s, %s, %s", ft, d, a, b);
            case MIN -> w.op("min.%s %s, %s, %s", ft, d, a, b);
            case MAX_NAN, MIN_NAN -> {
                String op = fn == Binary.Fn.MAX_NAN ? "max" : "min";
                if (ft.equals("f32") && cx.target.nativeBf16()) {
                    w.op("%s.NaN.f32 %s, %s, %s", op, d, a, b);
                } else {
                    String m = w.reg(RegClass.of(t)), s = w.reg(RegClass.of(t)), nan = w.reg(RegClass.PRED);
                    w.op("%s.%s %s, %s, %s", op, ft, m, a, b);
                    w.op("add.rn.%s %s, %s, %s", ft, s, a, b);
                    w.op("setp.nan.%s %s, %s, %s", ft, nan, a, b);
                    w.op("selp.%s %s, %s, %s, %s", ft, d, s, m, nan);
                }
            }
            case REM -> { return MathRules.fmod(cx, t, a, b); }
            case POW -> { return MathRules.pow(cx, t, a, b); }
            default -> throw new IllegalStateException(fn + " on floats");
        }
        return d;
    }

    /** An i1 predicate: {@code a fn b} on {@code t}'s registers. Float comparisons are ordered except NE. */
    static String compare(Lowerer cx, Compare.Fn fn, dev.tessera.types.ElementType type, String a, String b) {
        PtxWriter w = cx.w;
        String p = w.reg(RegClass.PRED);
        if (type instanceof DType t && t == DType.I1) {
            switch (fn) {
                case EQ -> { w.op("xor.pred %s, %s, %s", p, a, b); w.op("not.pred %s, %s", p, p); }
                case NE -> w.op("xor.pred %s, %s, %s", p, a, b);
                case LT -> w.op("and.pred %s, !%s, %s", p, a, b);
                case LE -> w.op("or.pred %s, !%s, %s", p, a, b);
                case GT -> w.op("and.pred %s, %s, !%s", p, a, b);
                case GE -> w.op("or.pred %s, %s, !%s", p, a, b);
            }
            return p;
        }
        String ty;
        String cmp = fn.name().toLowerCase(java.util.Locale.ROOT);
        if (type instanceof DType t && t.isFloat()) {
            ty = Emit.floatType(t);
            if (fn == Compare.Fn.NE) cmp = "neu";
        } else if (type instanceof DType t) {
            ty = Emit.intType(t);
        } else {
            ty = "u64";
        }
        w.op("setp.%s.%s %s, %s, %s", cmp, ty, p, a, b);
        return p;
    }

    /** The non-math one-operand functions; math goes to {@link MathRules}. */
    static String unary(Lowerer cx, Unary.Fn fn, DType t, String a) {
        PtxWriter w = cx.w;
        RegClass k = RegClass.of(t);
        if (k == RegClass.PRED) {
            if (fn != Unary.Fn.NOT) throw new IllegalStateException(fn + " on i1");
            String p = w.reg(k);
            w.op("not.pred %s, %s", p, a);
            return p;
        }
        if (t.isFloat()) {
            String ft = Emit.floatType(t), d = w.reg(k);
            switch (fn) {
                case NEG -> w.op("neg.%s %s, %s", ft, d, a);
                case ABS -> w.op("abs.%s %s, %s", ft, d, a);
                case FLOOR -> w.op("cvt.rmi.%s.%s %s, %s", ft, ft, d, a);
                case CEIL -> w.op("cvt.rpi.%s.%s %s, %s", ft, ft, d, a);
                default -> { return MathRules.unary(cx, fn, t, a); }
            }
            return d;
        }
        String it = Emit.intType(t), bits = k.bits();
        String d = w.reg(k);
        switch (fn) {
            case NEG -> w.op("neg.%s %s, %s", it.replace('u', 's'), d, a);
            case ABS -> w.op("abs.%s %s, %s", it.replace('u', 's'), d, a);
            case NOT -> w.op("not%s %s, %s", bits, d, a);
            case POPCOUNT -> {
                if (k == RegClass.B64) {
                    String c = w.reg(RegClass.B32);
                    w.op("popc.b64 %s, %s", c, a);
                    w.op("cvt.u64.u32 %s, %s", d, c);
                } else {
                    String m = a;
                    if (t.bits() < 32) {
                        m = w.reg(RegClass.B32);
                        w.op("and.b32 %s, %s, %d", m, a, (1 << t.bits()) - 1);
                    }
                    w.op("popc.b32 %s, %s", d, m);
                }
            }
            default -> throw new IllegalStateException(fn + " on integers");
        }
        return Emit.wrap(cx, d, t);
    }
}
