package dev.tessera.cuda.codegen.math;

import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;

/**
 * The exact floating-point remainder (Java's %, C's fmod; the sign of the dividend), by musl's
 * integer algorithm: both operands as integer mantissas and exponents, then one shift-and-subtract
 * per bit of exponent difference. A loop per element, so lanes may take different trip counts.
 */
final class Fmod {
    private Fmod() {}

    static String emit(Lowerer cx, String x, String y, boolean wide) {
        PtxWriter w = cx.w;
        Fp f = new Fp(cx, wide);
        RegClass ik = wide ? RegClass.B64 : RegClass.B32;
        String it = wide ? "u64" : "u32", bt = wide ? "b64" : "b32", st = wide ? "s64" : "s32";
        int mant = wide ? 52 : 23, width = wide ? 64 : 32;
        long implicit = 1L << mant, mantMask = implicit - 1, absMask = wide ? Long.MAX_VALUE : 0x7FFFFFFFL;
        String ux = f.bits(x), uy = f.bits(y);
        String ax = w.reg(ik), ay = w.reg(ik), sign = w.reg(ik);
        w.op("and.%s %s, %s, %d", bt, ax, ux, absMask);
        w.op("and.%s %s, %s, %d", bt, ay, uy, absMask);
        w.op("xor.%s %s, %s, %s", bt, sign, ux, ax);
        String result = f.w.reg(f.k);
        String done = w.label("fmod_done");
        // NaN operands, y = 0, x infinite: NaN
        String nan = f.isNan(f.add(x, y)), yZero = w.reg(RegClass.PRED), xInf = w.reg(RegClass.PRED), bad = w.reg(RegClass.PRED);
        w.op("setp.eq.%s %s, %s, 0", it, yZero, ay);
        w.op("setp.eq.%s %s, %s, %d", it, xInf, ax, wide ? 0x7FF0000000000000L : 0x7F800000L);
        w.op("or.pred %s, %s, %s", bad, nan, yZero);
        w.op("or.pred %s, %s, %s", bad, bad, xInf);
        w.op("mov.%s %s, %s", f.t, result, f.imm(Double.NaN));
        w.op("@%s bra %s", bad, done);
        // |x| < |y|: x itself; |x| == |y|: a zero of x's sign
        String less = w.reg(RegClass.PRED), equal = w.reg(RegClass.PRED);
        w.op("mov.%s %s, %s", f.t, result, x);
        w.op("setp.lt.%s %s, %s, %s", it, less, ax, ay);
        w.op("@%s bra %s", less, done);
        String zero = f.fromBits(sign);
        w.op("mov.%s %s, %s", f.t, result, zero);
        w.op("setp.eq.%s %s, %s, %s", it, equal, ax, ay);
        w.op("@%s bra %s", equal, done);
        // integer mantissas with the implicit bit, exponents (subnormals normalized)
        String[] mx = normalize(cx, ax, wide, mant, mantMask, implicit), my = normalize(cx, ay, wide, mant, mantMask, implicit);
        String m = mx[0], ex = mx[1], n = my[0], ey = my[1];
        String loop = w.label("fmod_loop"), tail = w.label("fmod_tail"), diff = w.reg(ik), nonNeg = w.reg(RegClass.PRED);
        String more = w.reg(RegClass.PRED), isZero = w.reg(RegClass.PRED);
        w.place(loop);
        w.op("setp.le.s32 %s, %s, %s", more, ex, ey);
        w.op("@%s bra %s", more, tail);
        w.op("sub.%s %s, %s, %s", it, diff, m, n);
        w.op("setp.ge.%s %s, %s, 0", st, nonNeg, diff);
        w.op("setp.eq.%s %s, %s, 0", it, isZero, diff);
        w.op("@%s bra %s", isZero, done); // result is already the signed zero
        w.op("selp.%s %s, %s, %s, %s", bt, m, diff, m, nonNeg);
        w.op("shl.%s %s, %s, 1", bt, m, m);
        w.op("sub.s32 %s, %s, 1", ex, ex);
        w.op("bra %s", loop);
        w.place(tail);
        w.op("sub.%s %s, %s, %s", it, diff, m, n);
        w.op("setp.ge.%s %s, %s, 0", st, nonNeg, diff);
        w.op("setp.eq.%s %s, %s, 0", it, isZero, diff);
        w.op("@%s bra %s", isZero, done);
        w.op("selp.%s %s, %s, %s, %s", bt, m, diff, m, nonNeg);
        // renormalize: the leading bit back to position mant
        String lz = w.reg(RegClass.B32), shift = w.reg(RegClass.B32);
        w.op("clz.%s %s, %s", bt, lz, m);
        w.op("sub.s32 %s, %s, %d", shift, lz, width - 1 - mant);
        w.op("shl.%s %s, %s, %s", bt, m, m, shift);
        w.op("sub.s32 %s, %s, %s", ex, ex, shift);
        // back to a float: normal (exponent > 0) or subnormal (shift right)
        String normal = w.reg(RegClass.PRED), norm = w.reg(ik), sub = w.reg(ik), e64 = w.reg(ik), rs = w.reg(RegClass.B32);
        w.op("setp.gt.s32 %s, %s, 0", normal, ex);
        w.op("sub.%s %s, %s, %d", it, norm, m, implicit);
        if (wide) w.op("cvt.u64.u32 %s, %s", e64, ex);
        else w.op("mov.b32 %s, %s", e64, ex);
        w.op("shl.%s %s, %s, %d", bt, e64, e64, mant);
        w.op("or.%s %s, %s, %s", bt, norm, norm, e64);
        w.op("sub.s32 %s, 1, %s", rs, ex);
        w.op("shr.%s %s, %s, %s", it, sub, m, rs);
        String bits = w.reg(ik);
        w.op("selp.%s %s, %s, %s, %s", bt, bits, norm, sub, normal);
        w.op("or.%s %s, %s, %s", bt, bits, bits, sign);
        w.op("mov.%s %s, %s", bt, result, bits);
        w.place(done);
        return result;
    }

    /** {mantissa with the implicit bit at position mant, biased exponent} of a positive finite float's bits. */
    private static String[] normalize(Lowerer cx, String a, boolean wide, int mant, long mantMask, long implicit) {
        PtxWriter w = cx.w;
        RegClass ik = wide ? RegClass.B64 : RegClass.B32;
        String bt = wide ? "b64" : "b32", it = wide ? "u64" : "u32";
        String e = w.reg(RegClass.B32), m = w.reg(ik), sub = w.reg(RegClass.PRED);
        if (wide) {
            String hi = w.reg(RegClass.B32);
            w.op("mov.b64 {%s, %s}, %s", w.reg(RegClass.B32), hi, a);
            w.op("bfe.u32 %s, %s, 20, 11", e, hi);
        } else {
            w.op("bfe.u32 %s, %s, 23, 8", e, a);
        }
        w.op("and.%s %s, %s, %d", bt, m, a, mantMask);
        w.op("setp.eq.s32 %s, %s, 0", sub, e);
        // normal: add the implicit bit; subnormal: shift the leading one up to it, exponent 1 - shift
        String withBit = w.reg(ik), lz = w.reg(RegClass.B32), shift = w.reg(RegClass.B32), shifted = w.reg(ik), es = w.reg(RegClass.B32);
        w.op("or.%s %s, %s, %d", bt, withBit, m, implicit);
        w.op("clz.%s %s, %s", bt, lz, m);
        w.op("sub.s32 %s, %s, %d", shift, lz, (wide ? 63 : 31) - mant);
        w.op("shl.%s %s, %s, %s", bt, shifted, m, shift);
        w.op("sub.s32 %s, 1, %s", es, shift);
        w.op("selp.%s %s, %s, %s, %s", bt, m, shifted, withBit, sub);
        w.op("selp.s32 %s, %s, %s, %s", e, es, e, sub);
        return new String[] {m, e};
    }
}
