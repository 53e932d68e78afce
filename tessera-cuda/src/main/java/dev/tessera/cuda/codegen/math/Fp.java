package dev.tessera.cuda.codegen.math;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;

/**
 * A small assembler for scalar float code (f32 or f64), so the math routines read like the
 * formulas they implement. Every operation rounds to nearest (no contraction by ptxas).
 */
final class Fp {
    final Lowerer cx;
    final PtxWriter w;
    final boolean wide;
    final String t;
    final RegClass k;

    Fp(Lowerer cx, boolean wide) {
        this.cx = cx;
        this.w = cx.w;
        this.wide = wide;
        this.t = wide ? "f64" : "f32";
        this.k = wide ? RegClass.F64 : RegClass.F32;
    }

    /** A register holding the constant. */
    String c(double v) {
        String r = w.reg(k);
        w.op("mov.%s %s, %s", t, r, wide ? Emit.f64(v) : Emit.f32(v));
        return r;
    }

    String imm(double v) { return wide ? Emit.f64(v) : Emit.f32((float) v); }

    String add(String a, String b) { return op2("add.rn", a, b); }

    String sub(String a, String b) { return op2("sub.rn", a, b); }

    String mul(String a, String b) { return op2("mul.rn", a, b); }

    String div(String a, String b) { return op2("div.rn", a, b); }

    String op2(String op, String a, String b) {
        String d = w.reg(k);
        w.op("%s.%s %s, %s, %s", op, t, d, a, b);
        return d;
    }

    String op1(String op, String a) {
        String d = w.reg(k);
        w.op("%s.%s %s, %s", op, t, d, a);
        return d;
    }

    String fma(String a, String b, String c) {
        String d = w.reg(k);
        w.op("fma.rn.%s %s, %s, %s, %s", t, d, a, b, c);
        return d;
    }

    String neg(String a) { return op1("neg", a); }

    String abs(String a) { return op1("abs", a); }

    /** Horner's rule: c[0] + x*(c[1] + x*(...)). */
    String poly(String x, double... c) {
        String r = c(c[c.length - 1]);
        for (int i = c.length - 2; i >= 0; i--) r = fma(r, x, imm(c[i]));
        return r;
    }

    /** A predicate: {@code a cmp b} (ordered comparisons are false for NaN). */
    String is(String cmp, String a, String b) {
        String p = w.reg(RegClass.PRED);
        w.op("setp.%s.%s %s, %s, %s", cmp, t, p, a, b);
        return p;
    }

    String isNan(String a) {
        String p = w.reg(RegClass.PRED);
        w.op("testp.notanumber.%s %s, %s", t, p, a);
        return p;
    }

    String sel(String p, String a, String b) {
        String d = w.reg(k);
        w.op("selp.%s %s, %s, %s, %s", t, d, a, b, p);
        return d;
    }

    /** {@code magnitude} with the sign of {@code sign}. */
    String copySign(String magnitude, String sign) {
        String d = w.reg(k);
        w.op("copysign.%s %s, %s, %s", t, d, sign, magnitude);
        return d;
    }

    /** Round to the nearest integer (ties to even), as a float. */
    String rint(String a) {
        String d = w.reg(k);
        w.op("cvt.rni.%s.%s %s, %s", t, t, d, a);
        return d;
    }

    /** The raw bits. */
    String bits(String a) {
        String r = w.reg(wide ? RegClass.B64 : RegClass.B32);
        w.op("mov.b%d %s, %s", wide ? 64 : 32, r, a);
        return r;
    }

    String fromBits(String b) {
        String r = w.reg(k);
        w.op("mov.b%d %s, %s", wide ? 64 : 32, r, b);
        return r;
    }

    /** x * 2^n for an integer register n in [-2 * maxExponent, 2 * maxExponent], as two exact scalings (the second may round to a subnormal). */
    String scale(String x, String n) {
        String half = w.reg(RegClass.B32), rest = w.reg(RegClass.B32);
        w.op("shr.s32 %s, %s, 1", half, n);
        w.op("sub.s32 %s, %s, %s", rest, n, half);
        return mul(mul(x, powerOfTwo(half)), powerOfTwo(rest));
    }

    private String powerOfTwo(String e) {
        if (wide) {
            String b = w.reg(RegClass.B32), b64 = w.reg(RegClass.B64);
            w.op("add.s32 %s, %s, 1023", b, e);
            w.op("cvt.u64.u32 %s, %s", b64, b);
            w.op("shl.b64 %s, %s, 52", b64, b64);
            return fromBits(b64);
        }
        String b = w.reg(RegClass.B32);
        w.op("add.s32 %s, %s, 127", b, e);
        w.op("shl.b32 %s, %s, 23", b, b);
        return fromBits(b);
    }

    /** An integer register clamped to [lo, hi]. */
    String clampInt(String n, int lo, int hi) {
        String r = w.reg(RegClass.B32);
        w.op("max.s32 %s, %s, %d", r, n, lo);
        w.op("min.s32 %s, %s, %d", r, r, hi);
        return r;
    }

    /** Float to s32, rounding toward zero (saturating). */
    String toInt(String a) {
        String r = w.reg(RegClass.B32);
        w.op("cvt.rzi.s32.%s %s, %s", t, r, a);
        return r;
    }

    /** a clamped into [lo, hi], NaN kept. */
    String clamp(String a, double lo, double hi) {
        String x = sel(is("lt", a, imm(lo)), c(lo), a);
        return sel(is("gt", x, imm(hi)), c(hi), x);
    }
}
