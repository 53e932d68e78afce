package dev.tessera.cuda.codegen.math;

import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.ir.Op.Unary;

/**
 * f32 math without libdevice. Range reduction in f32 with split constants, polynomials with
 * single-rounding fmas (cephes' expf and logf, tanhf for small arguments; erf fitted here), and
 * f64 internally where that is the simplest way to be accurate (sin and cos: f64 reduction by a
 * three-part pi/2 and fdlibm's float kernels; pow: through the f64 log2 and exp2). The measured
 * worst errors are in tessera-cuda/MATH.md.
 */
final class MathF32 {
    private MathF32() {}

    static String unary(Lowerer cx, Unary.Fn fn, String a) {
        Fp f = new Fp(cx, false);
        return switch (fn) {
            case EXP -> fastExp(f, a);
            case EXP2 -> f.op1("ex2.approx", a);
            case EXP2_FTZ -> f.op1("ex2.approx.ftz", a);
            case LOG -> log(f, a, false);
            case LOG2 -> log(f, a, true);
            case SQRT -> f.op1("sqrt.approx", a);
            case SQRT_RN -> f.op1("sqrt.rn", a);
            case RSQRT -> f.op1("rsqrt.approx", a);
            case SIN, COS -> sinCos(cx, a, fn == Unary.Fn.SIN);
            case TANH -> tanh(f, a);
            case SIGMOID -> sigmoid(f, a);
            case ERF -> erf(f, a);
            default -> throw new IllegalStateException(fn + " is not a float math function");
        };
    }

    /**
     * e^x as 2^t with t = x log2(e) rounded, corrected for that rounding: the exact error of the
     * product (an fma) plus x times log2(e)'s own error c, and e^x = 2^t (1 + c ln 2). Six
     * instructions and a NaN check, with ex2.approx's error (2 ulps) plus half an ulp; used for the exp op, where
     * softmax-like kernels spend their arithmetic. The math below uses the polynomial {@link #exp}.
     */
    static String fastExp(Fp f, String x) {
        String t = f.mul(x, f.imm(1.4426950408889634));
        String c = f.fma(x, f.imm(1.4426950408889634), f.neg(t));
        c = f.fma(x, f.imm(1.9259629889e-08), c); // log2(e) - (float) log2(e)
        String e = f.op1("ex2.approx", t);
        String r = f.fma(e, f.mul(c, f.imm(0.6931471805599453)), e);
        // Where the corrected value is NaN, 2^t is the answer: infinite x makes c NaN (2^t is then
        // inf or 0), an overflowing 2^t makes the correction inf - inf or inf * 0, and a NaN x
        // gives NaN either way.
        return f.sel(f.isNan(r), e, r);
    }

    // cephes expf: x = k ln2 + r, |r| <= ln2/2, e^r = 1 + r + r^2 P(r)
    private static final double[] EXP_P = {5.0000001201E-1, 1.6666665459E-1, 4.1665795894E-2, 8.3334519073E-3, 1.3981999507E-3, 1.9875691500E-4};

    static String exp(Fp f, String x0) {
        String x = f.clamp(x0, -104, 89);
        String kf = f.rint(f.mul(x, f.imm(1.4426950408889634)));
        String r = f.fma(kf, f.imm(-0.693359375), x);
        r = f.fma(kf, f.imm(2.12194440e-4), r);
        String p = f.poly(r, EXP_P);
        String y = f.add(f.fma(p, f.mul(r, r), r), f.imm(1));
        return f.scale(y, f.toInt(kf));
    }

    // cephes logf: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(1 + f) = f - f^2/2 + f^3 P(f)
    private static final double[] LOG_P = {3.3333331174E-1, -2.4999993993E-1, 2.0000714765E-1, -1.6668057665E-1, 1.4249322787E-1,
            -1.2420140846E-1, 1.1676998740E-1, -1.1514610310E-1, 7.0376836292E-2};

    static String log(Fp f, String x, boolean base2) {
        PtxWriter w = f.w;
        // subnormals: scale into the normal range first
        String tiny = f.is("lt", f.abs(x), f.imm(0x1p-126));
        String xs = f.sel(tiny, f.mul(x, f.imm(0x1p23)), x);
        String bits = f.bits(xs);
        String e = w.reg(RegClass.B32), mb = w.reg(RegClass.B32);
        w.op("bfe.u32 %s, %s, 23, 8", e, bits);
        w.op("sub.s32 %s, %s, 126", e, e);
        String adj = w.reg(RegClass.B32);
        w.op("selp.s32 %s, 23, 0, %s", adj, tiny);
        w.op("sub.s32 %s, %s, %s", e, e, adj);
        w.op("and.b32 %s, %s, 8388607", mb, bits);
        w.op("or.b32 %s, %s, 1056964608", mb, mb); // m in [0.5, 1)
        String m = f.fromBits(mb);
        String small = f.is("lt", m, f.imm(0.707106781186547524));
        String e2 = w.reg(RegClass.B32);
        w.op("selp.s32 %s, 1, 0, %s", e2, small);
        w.op("sub.s32 %s, %s, %s", e, e, e2);
        String fm = f.sub(f.sel(small, f.add(m, m), m), f.imm(1));
        String z = f.mul(fm, fm);
        String y = f.mul(f.mul(f.poly(fm, LOG_P), fm), z);
        String ef = w.reg(RegClass.F32);
        w.op("cvt.rn.f32.s32 %s, %s", ef, e);
        String result;
        if (base2) {
            String l = f.add(fm, f.fma(z, f.imm(-0.5), y));
            result = f.fma(l, f.imm(1.4426950408889634), ef);
        } else {
            y = f.fma(ef, f.imm(-2.12194440e-4), y);
            y = f.fma(z, f.imm(-0.5), y);
            result = f.fma(ef, f.imm(0.693359375), f.add(fm, y));
        }
        return specialsOfLog(f, x, result);
    }

    /** log of a negative number or NaN is NaN, of zero -inf, of +inf +inf. */
    static String specialsOfLog(Fp f, String x, String result) {
        String r = f.sel(f.is("lt", x, f.imm(0)), f.c(Double.NaN), result);
        r = f.sel(f.is("eq", x, f.imm(0)), f.c(Double.NEGATIVE_INFINITY), r);
        r = f.sel(f.is("eq", x, f.imm(Double.POSITIVE_INFINITY)), f.c(Double.POSITIVE_INFINITY), r);
        return f.sel(f.isNan(x), x, r);
    }

    // cephes tanhf below 0.625: x + x^3 P(x^2)
    private static final double[] TANH_P = {-3.33332819422E-1, 1.33314422036E-1, -5.37397155531E-2, 2.06390887954E-2, -5.70498872745E-3};

    /** 1 / (1 + e^-x) as e / (1 + e) with e = e^-|x| for negative x, so that e never overflows. */
    static String sigmoid(Fp f, String x) {
        String e = exp(f, f.neg(f.abs(x)));
        String d = f.add(f.c(1), e);
        return f.sel(f.is("lt", x, f.imm(0)), f.div(e, d), f.div(f.c(1), d));
    }

    static String tanh(Fp f, String x) {
        String ax = f.abs(x), z = f.mul(x, x);
        String small = f.fma(f.mul(f.poly(z, TANH_P), z), x, x);
        // 1 - 2 / (e^{2|x|} + 1): no cancellation above 0.625, exactly 1 once e^{2|x|} overflows
        String e = exp(f, f.add(ax, ax));
        String large = f.sub(f.c(1), f.div(f.c(2), f.add(e, f.imm(1))));
        return f.sel(f.is("lt", ax, f.imm(0.625)), small, f.copySign(large, x));
    }

    // erf(x) = x + x Q(x^2) below 1; 1 - exp(L(|x|)), L fitted to log(erfc), from 1 to 3.92; 1 above
    private static final double[] ERF_SMALL = {1.283791661e-01, -3.761262894e-01, 1.128362566e-01, -2.685539983e-02, 5.191218574e-03,
            -8.034846396e-04, 7.933493907e-05};
    private static final double[] ERF_LARGE = {2.116910618e-04, -1.129699588e+00, -6.329530478e-01, -1.087484881e-01, 2.545853145e-02,
            -4.323790316e-03, 4.761537130e-04, -2.738294097e-05, 3.995817508e-07};

    static String erf(Fp f, String x) {
        String ax = f.abs(x);
        String small = f.fma(f.poly(f.mul(x, x), ERF_SMALL), x, x);
        String large = f.sub(f.c(1), exp(f, f.poly(ax, ERF_LARGE)));
        large = f.sel(f.is("ge", ax, f.imm(3.92)), f.c(1), large);
        return f.sel(f.is("lt", ax, f.imm(1)), small, f.copySign(large, x));
    }

    /** sin and cos in f64 (see {@link MathF64#sinCosReduced}), rounded once to f32. */
    static String sinCos(Lowerer cx, String x, boolean sin) {
        PtxWriter w = cx.w;
        String d = w.reg(RegClass.F64), out = w.reg(RegClass.F32);
        w.op("cvt.f64.f32 %s, %s", d, x);
        w.op("cvt.rn.f32.f64 %s, %s", out, MathF64.sinCosReduced(new Fp(cx, true), d, sin, true));
        return out;
    }

    /** pow through f64: exp2(y log2 |x|) has error far below an f32 ulp; the signs and special cases as Java's Math.pow. */
    static String pow(Lowerer cx, String a, String b) {
        PtxWriter w = cx.w;
        String x = w.reg(RegClass.F64), y = w.reg(RegClass.F64), out = w.reg(RegClass.F32);
        w.op("cvt.f64.f32 %s, %s", x, a);
        w.op("cvt.f64.f32 %s, %s", y, b);
        w.op("cvt.rn.f32.f64 %s, %s", out, MathF64.pow(cx, x, y));
        return out;
    }

    static String fmod(Lowerer cx, String a, String b) { return Fmod.emit(cx, a, b, false); }
}
