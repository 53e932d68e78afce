package dev.tessera.cuda.codegen.math;

import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.ir.Op.Unary;

/**
 * f64 math without libdevice: fdlibm's algorithms for exp, log, log2 and the sin/cos kernels (its
 * published coefficients), polynomials fitted here for exp2, tanh near zero and erf, native
 * {@code sqrt.rn} and {@code div.rn}. Arguments of sin and cos are reduced by a three-part pi/2
 * with fused multiply-adds. The measured worst errors are in tessera-cuda/MATH.md.
 */
final class MathF64 {
    private MathF64() {}

    static String unary(Lowerer cx, Unary.Fn fn, String a) {
        Fp f = new Fp(cx, true);
        return switch (fn) {
            case EXP -> exp(f, a);
            case EXP2 -> exp2(f, a);
            case EXP2_FTZ -> flushBelowNormalF32(f, exp2(f, a));
            case LOG -> log(f, a, false);
            case LOG2 -> log(f, a, true);
            case SQRT, SQRT_RN -> f.op1("sqrt.rn", a);
            case RSQRT -> f.div(f.c(1), f.op1("sqrt.rn", a));
            case SIN -> sinCosReduced(f, a, true, false);
            case COS -> sinCosReduced(f, a, false, false);
            case TANH -> tanh(f, a);
            case SIGMOID -> sigmoid(f, a);
            case ERF -> erf(f, a);
            default -> throw new IllegalStateException(fn + " is not a float math function");
        };
    }

    // fdlibm e_exp.c: x = k ln2 + r, exp(r) = 1 + r + r c / (2 - c), c = r - r^2 P(r^2)
    private static final double LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10, INV_LN2 = 1.44269504088896338700e+00;
    private static final double[] EXP_P = {1.66666666666666019037e-01, -2.77777777770155933842e-03, 6.61375632143793436117e-05,
            -1.65339022054652515390e-06, 4.13813679705723846039e-08};

    static String exp(Fp f, String x0) {
        String x = f.clamp(x0, -746, 710);
        String k = f.rint(f.mul(x, f.imm(INV_LN2)));
        String hi = f.fma(k, f.imm(-LN2_HI), x);
        String lo = f.mul(k, f.imm(LN2_LO));
        String r = f.sub(hi, lo);
        String t = f.mul(r, r);
        String c = f.sub(r, f.mul(t, f.poly(t, EXP_P)));
        String y = f.sub(f.c(1), f.sub(f.sub(lo, f.div(f.mul(r, c), f.sub(f.c(2), c))), hi));
        return f.scale(y, f.toInt(k));
    }

    // 2^r on [-1/2, 1/2] = 1 + r E(r), E fitted (degree 12)
    private static final double[] EXP2_E = {0.6931471805599453, 0.24022650695910072, 0.05550410866482158, 0.009618129107628482,
            0.0013333558146428357, 0.00015403530393363232, 1.5252733804205343e-05, 1.3215486815564808e-06, 1.0178085901905964e-07,
            7.054894560614828e-09, 4.4455728091979283e-10, 2.5733314599023034e-11, 1.3660197749563124e-12};

    static String exp2(Fp f, String x0) {
        String x = f.clamp(x0, -1080, 1030);
        String k = f.rint(x);
        String r = f.sub(x, k);
        String y = f.fma(r, f.poly(r, EXP2_E), f.imm(1));
        return f.scale(y, f.toInt(k));
    }

    /** 0 where |y| is below 2^-126, the smallest normal f32: EXP2_FTZ's flush, the same in f64 as in f32. */
    private static String flushBelowNormalF32(Fp f, String y) {
        return f.sel(f.is("lt", f.abs(y), f.imm(0x1p-126)), f.c(0), y);
    }

    // fdlibm e_log.c / e_log2.c: x = m 2^k, m in [sqrt(1/2), sqrt(2)), f = m - 1, s = f / (2 + f)
    private static final double[] LG = {6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01, 2.222219843214978396e-01,
            1.818357216161805012e-01, 1.531383769920937332e-01, 1.479819860511658591e-01};
    private static final double IVLN2_HI = 1.44269504072144627571e+00, IVLN2_LO = 1.67517131648865118353e-10;

    static String log(Fp f, String x, boolean base2) {
        PtxWriter w = f.w;
        String tiny = f.is("lt", f.abs(x), f.imm(0x1p-1022));
        String xs = f.sel(tiny, f.mul(x, f.imm(0x1p54)), x);
        String bits = f.bits(xs);
        String hi32 = w.reg(RegClass.B32), e = w.reg(RegClass.B32);
        w.op("mov.b64 {%s, %s}, %s", w.reg(RegClass.B32), hi32, bits);
        w.op("bfe.u32 %s, %s, 20, 11", e, hi32);
        w.op("sub.s32 %s, %s, 1023", e, e);
        String adj = w.reg(RegClass.B32);
        w.op("selp.s32 %s, 54, 0, %s", adj, tiny);
        w.op("sub.s32 %s, %s, %s", e, e, adj);
        String mb = w.reg(RegClass.B64);
        w.op("and.b64 %s, %s, 4503599627370495", mb, bits);
        w.op("or.b64 %s, %s, 4607182418800017408", mb, mb); // m in [1, 2)
        String m = f.fromBits(mb);
        String big = f.is("gt", m, f.imm(Math.sqrt(2)));
        String e2 = w.reg(RegClass.B32);
        w.op("selp.s32 %s, 1, 0, %s", e2, big);
        w.op("add.s32 %s, %s, %s", e, e, e2);
        m = f.sel(big, f.mul(m, f.imm(0.5)), m);
        String fm = f.sub(m, f.imm(1));
        String s = f.div(fm, f.add(f.c(2), fm));
        String z = f.mul(s, s), ww = f.mul(z, z);
        String t1 = f.mul(ww, f.fma(ww, f.fma(ww, f.imm(LG[5]), f.imm(LG[3])), f.imm(LG[1])));
        String t2 = f.mul(z, f.fma(ww, f.fma(ww, f.fma(ww, f.imm(LG[6]), f.imm(LG[4])), f.imm(LG[2])), f.imm(LG[0])));
        String rr = f.add(t2, t1);
        String hfsq = f.mul(f.mul(fm, fm), f.imm(0.5));
        String kd = w.reg(RegClass.F64);
        w.op("cvt.rn.f64.s32 %s, %s", kd, e);
        String result;
        if (!base2) {
            // k ln2_hi - ((hfsq - (s (hfsq + R) + k ln2_lo)) - f)
            String inner = f.fma(s, f.add(hfsq, rr), f.mul(kd, f.imm(LN2_LO)));
            result = f.sub(f.mul(kd, f.imm(LN2_HI)), f.sub(f.sub(hfsq, inner), fm));
        } else {
            // hi = f - hfsq with its low 32 bits cleared; lo the rest; then times 1/ln2 in two parts
            String hb = f.bits(f.sub(fm, hfsq));
            w.op("and.b64 %s, %s, -4294967296", hb, hb);
            String h = f.fromBits(hb);
            String lo = f.fma(s, f.add(hfsq, rr), f.sub(f.sub(fm, h), hfsq));
            String valHi = f.mul(h, f.imm(IVLN2_HI));
            String valLo = f.fma(lo, f.imm(IVLN2_HI), f.mul(f.add(lo, h), f.imm(IVLN2_LO)));
            String sum = f.add(kd, valHi);
            valLo = f.add(valLo, f.add(f.sub(kd, sum), valHi));
            result = f.add(valLo, sum);
        }
        return MathF32.specialsOfLog(f, x, result);
    }

    // fdlibm k_sin.c / k_cos.c, and musl's float kernels (__sindf, __cosdf) for f32 results
    private static final double[] S = {-1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04,
            2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10};
    private static final double[] C = {4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05,
            -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11};
    private static final double[] SF = {-0.166666666416265235595, 0.0083333293858894631756, -0.000198393348360966317347,
            0.0000027183114939898219064};
    private static final double[] CF = {-0.499999997251031003120, 0.0416666233237390631894, -0.00138867637746099294692,
            0.0000243904487962774090654};
    private static final double PIO2_1 = 1.5707963267948966, PIO2_2 = 6.123233995736766e-17, PIO2_3 = -1.4973849048591698e-33;

    /**
     * sin or cos of an f64 {@code x}. For |x| below 2^30: n = rint(|x| 2/pi) and r = |x| - n pi/2 by
     * three fmas with a three-part pi/2 (each step exact before its rounding). Above: Payne-Hanek,
     * |x| 2/pi mod 4 from 192 bits of 2/pi picked at |x|'s exponent, as a double-double r. Then the
     * kernels by quadrant n mod 4, and sin's sign from x's.
     */
    static String sinCosReduced(Fp f, String x, boolean sin, boolean forFloat) {
        PtxWriter w = f.w;
        String ax = f.abs(x);
        String n = f.rint(f.mul(ax, f.imm(0.6366197723675814)));
        String r = f.fma(n, f.imm(-PIO2_1), ax);
        r = f.fma(n, f.imm(-PIO2_2), r);
        r = f.fma(n, f.imm(-PIO2_3), r);
        // quadrant = n mod 4, exact for any n a double holds as an integer
        String quarter = f.op2("mul.rn", n, f.imm(0.25));
        String fl = w.reg(RegClass.F64);
        w.op("cvt.rmi.f64.f64 %s, %s", fl, quarter);
        String q0 = f.toInt(f.fma(fl, f.imm(-4), n));
        String rh = w.reg(RegClass.F64), rl = w.reg(RegClass.F64), q = w.reg(RegClass.B32);
        w.op("mov.f64 %s, %s", rh, r);
        w.op("mov.f64 %s, 0d0000000000000000", rl);
        w.op("mov.b32 %s, %s", q, q0);
        String huge = w.reg(RegClass.PRED), done = w.label("trig_reduced");
        w.op("setp.ge.f64 %s, %s, 0d41D0000000000000", huge, ax); // 2^30
        w.op("setp.lt.and.f64 %s, %s, 0d7FF0000000000000, %s", huge, ax, huge);
        w.op("@!%s bra %s", huge, done);
        payneHanek(f, ax, rh, rl, q);
        w.place(done);
        String s = forFloat ? sinFloatKernel(f, rh) : sinKernel(f, rh, rl);
        String c = forFloat ? cosFloatKernel(f, rh) : cosKernel(f, rh, rl);
        // sin: q=0 s, 1 c, 2 -s, 3 -c; cos: q=0 c, 1 -s, 2 -c, 3 s
        String odd = w.reg(RegClass.B32), neg = w.reg(RegClass.B32);
        w.op("and.b32 %s, %s, 1", odd, q);
        String pOdd = w.reg(RegClass.PRED), pNeg = w.reg(RegClass.PRED);
        w.op("setp.ne.u32 %s, %s, 0", pOdd, odd);
        if (sin) w.op("and.b32 %s, %s, 2", neg, q);
        else {
            w.op("add.s32 %s, %s, 1", neg, q);
            w.op("and.b32 %s, %s, 2", neg, neg);
        }
        w.op("setp.ne.u32 %s, %s, 0", pNeg, neg);
        String v = sin ? f.sel(pOdd, c, s) : f.sel(pOdd, s, c);
        v = f.sel(pNeg, f.neg(v), v);
        if (!sin) return v;
        String xb = f.bits(x), negative = w.reg(RegClass.PRED);
        w.op("setp.lt.s64 %s, %s, 0", negative, xb);
        return f.sel(negative, f.neg(v), v);
    }

    /** 2/pi as fraction bits, 64 a word, after a zero word (bits before the point). */
    private static final long[] TWO_OVER_PI = {0x0000000000000000L, 0xA2F9836E4E441529L, 0xFC2757D1F534DDC0L, 0xDB6295993C439041L,
            0xFE5163ABDEBBC561L, 0xB7246E3A424DD2E0L, 0x06492EEA09D1921CL, 0xFE1DEB1CB129A73EL, 0xE88235F52EBB4484L, 0xE99C7026B45F7E41L,
            0x3991D639835339F4L, 0x9C845F8BBDF9283BL, 0x1FF897FFDE05980FL, 0xEF2F118B5A0A6D1FL, 0x6D367ECF27CB09B7L, 0x4F463F669E5FEA2DL,
            0x7527BAC7EBE5F17BL, 0x3D0739F78A5292EAL, 0x6BFB5FB11F8D5D08L, 0x56033046FC7B6BABL};
    static final String TWO_OVER_PI_SYMBOL = "tessera_two_over_pi";

    /**
     * Payne-Hanek: |x| = M 2^E (M the 53-bit integer mantissa). Bits of 2/pi before position E - 1
     * add multiples of 4 to |x| 2/pi, so only the 192 from there matter: P = M W (W those bits) holds
     * |x| 2/pi mod 4 as P 2^-190: its two integer bits are the quadrant, the next 128 the fraction,
     * rounded to the nearest quadrant, then times pi/2 as a double-double.
     */
    private static void payneHanek(Fp f, String ax, String rh, String rl, String q) {
        PtxWriter w = f.w;
        f.cx.twoOverPiTable(TWO_OVER_PI_SYMBOL, TWO_OVER_PI);
        String bits = f.bits(ax), hi32 = w.reg(RegClass.B32), e = w.reg(RegClass.B32), m = w.reg(RegClass.B64);
        w.op("mov.b64 {%s, %s}, %s", w.reg(RegClass.B32), hi32, bits);
        w.op("bfe.u32 %s, %s, 20, 11", e, hi32);
        w.op("sub.s32 %s, %s, 1076", e, e); // s = E - 1, E = exponent - 1075
        w.op("and.b64 %s, %s, 4503599627370495", m, bits);
        w.op("or.b64 %s, %s, 4503599627370496", m, m);
        String j = w.reg(RegClass.B32), p = w.reg(RegClass.B32), pc = w.reg(RegClass.B32);
        w.op("add.s32 %s, %s, 63", j, e);
        w.op("and.b32 %s, %s, 63", p, j);
        w.op("shr.s32 %s, %s, 6", j, j);
        w.op("sub.s32 %s, 64, %s", pc, p);
        String base = w.reg(RegClass.B64), off = w.reg(RegClass.B64);
        w.op("mov.u64 %s, %s", base, TWO_OVER_PI_SYMBOL);
        w.op("mul.wide.u32 %s, %s, 8", off, j);
        w.op("add.s64 %s, %s, %s", base, base, off);
        String[] t = new String[4];
        for (int i = 0; i < 4; i++) {
            t[i] = w.reg(RegClass.B64);
            w.op("ld.const.b64 %s, [%s+%d]", t[i], base, 8 * i);
        }
        String[] win = new String[3];
        for (int i = 0; i < 3; i++) {
            String a = w.reg(RegClass.B64), b = w.reg(RegClass.B64);
            w.op("shl.b64 %s, %s, %s", a, t[i], p);
            w.op("shr.b64 %s, %s, %s", b, t[i + 1], pc);
            win[i] = w.reg(RegClass.B64);
            w.op("or.b64 %s, %s, %s", win[i], a, b);
        }
        // P = M * (win[0]:win[1]:win[2]) in 64-bit limbs P3:P2:P1:P0
        String l2 = w.reg(RegClass.B64), h2 = w.reg(RegClass.B64), l1 = w.reg(RegClass.B64), h1 = w.reg(RegClass.B64);
        String l0 = w.reg(RegClass.B64), h0 = w.reg(RegClass.B64);
        w.op("mul.lo.u64 %s, %s, %s", l2, m, win[2]);
        w.op("mul.hi.u64 %s, %s, %s", h2, m, win[2]);
        w.op("mul.lo.u64 %s, %s, %s", l1, m, win[1]);
        w.op("mul.hi.u64 %s, %s, %s", h1, m, win[1]);
        w.op("mul.lo.u64 %s, %s, %s", l0, m, win[0]);
        w.op("mul.hi.u64 %s, %s, %s", h0, m, win[0]);
        String p0 = l2, p1 = w.reg(RegClass.B64), p2 = w.reg(RegClass.B64);
        w.op("add.cc.u64 %s, %s, %s", p1, h2, l1);
        w.op("addc.u64 %s, %s, %s", p2, h1, l0);
        // the quadrant and 128 fraction bits
        String q64 = w.reg(RegClass.B64), fh = w.reg(RegClass.B64), flo = w.reg(RegClass.B64), tmp = w.reg(RegClass.B64);
        w.op("shr.u64 %s, %s, 62", q64, p2);
        w.op("shl.b64 %s, %s, 2", fh, p2);
        w.op("shr.u64 %s, %s, 62", tmp, p1);
        w.op("or.b64 %s, %s, %s", fh, fh, tmp);
        w.op("shl.b64 %s, %s, 2", flo, p1);
        w.op("shr.u64 %s, %s, 62", tmp, p0);
        w.op("or.b64 %s, %s, %s", flo, flo, tmp);
        w.op("cvt.u32.u64 %s, %s", q, q64);
        // a fraction of a half or more belongs to the next quadrant: f - 1, computed as -(2^128 - F)
        String up = w.reg(RegClass.PRED);
        w.op("setp.lt.s64 %s, %s, 0", up, fh);
        String nh = w.reg(RegClass.B64), nl = w.reg(RegClass.B64);
        w.op("sub.cc.u64 %s, 0, %s", nl, flo);
        w.op("subc.u64 %s, 0, %s", nh, fh);
        w.op("selp.b64 %s, %s, %s, %s", fh, nh, fh, up);
        w.op("selp.b64 %s, %s, %s, %s", flo, nl, flo, up);
        String q1 = w.reg(RegClass.B32);
        w.op("add.s32 %s, %s, 1", q1, q);
        w.op("selp.b32 %s, %s, %s, %s", q, q1, q, up);
        w.op("and.b32 %s, %s, 3", q, q);
        // the fraction as a double-double: the high word rounded, what rounding lost, then the low word
        String dh = w.reg(RegClass.F64), back = w.reg(RegClass.B64), lost = w.reg(RegClass.B64), dl = w.reg(RegClass.F64), dlo = w.reg(RegClass.F64);
        w.op("cvt.rn.f64.u64 %s, %s", dh, fh);
        w.op("cvt.rzi.u64.f64 %s, %s", back, dh);
        w.op("sub.s64 %s, %s, %s", lost, fh, back);
        w.op("cvt.rn.f64.s64 %s, %s", dl, lost);
        w.op("cvt.rn.f64.u64 %s, %s", dlo, flo);
        String fHi = f.mul(dh, f.imm(0x1p-64));
        String fLo = f.fma(dlo, f.imm(0x1p-128), f.mul(dl, f.imm(0x1p-64)));
        // r = (fHi + fLo) pi/2, as a double-double; negated for the next quadrant
        String hi = f.mul(fHi, f.imm(PIO2_1));
        String lo = f.fma(fHi, f.imm(PIO2_1), f.neg(hi));
        lo = f.fma(fHi, f.imm(PIO2_2), lo);
        lo = f.fma(fLo, f.imm(PIO2_1), lo);
        String sum = f.add(hi, lo);
        String tail = f.sub(lo, f.sub(sum, hi));
        w.op("selp.f64 %s, %s, %s, %s", rh, f.neg(sum), sum, up);
        w.op("selp.f64 %s, %s, %s, %s", rl, f.neg(tail), tail, up);
    }

    /** fdlibm __kernel_sin(x, y, 1): x + y the reduced argument. */
    private static String sinKernel(Fp f, String x, String y) {
        String z = f.mul(x, x), ww = f.mul(z, z);
        String r = f.fma(f.mul(z, ww), f.fma(z, f.imm(S[5]), f.imm(S[4])), f.fma(z, f.fma(z, f.imm(S[3]), f.imm(S[2])), f.imm(S[1])));
        String v = f.mul(z, x);
        // x - ((z (y/2 - v r) - y) - v S1)
        String inner = f.sub(f.mul(z, f.fma(v, f.neg(r), f.mul(y, f.imm(0.5)))), y);
        return f.sub(x, f.fma(v, f.imm(-S[0]), inner));
    }

    /** fdlibm __kernel_cos(x, y). */
    private static String cosKernel(Fp f, String x, String y) {
        String z = f.mul(x, x), ww = f.mul(z, z);
        String r = f.fma(f.mul(ww, ww), f.fma(z, f.fma(z, f.imm(C[5]), f.imm(C[4])), f.imm(C[3])),
                f.mul(z, f.fma(z, f.fma(z, f.imm(C[2]), f.imm(C[1])), f.imm(C[0]))));
        String hz = f.mul(z, f.imm(0.5));
        String one = f.c(1);
        String wv = f.sub(one, hz);
        // w + (((1 - w) - hz) + (z r - x y))
        String zr = f.fma(z, r, f.neg(f.mul(x, y)));
        return f.add(wv, f.add(f.sub(f.sub(one, wv), hz), zr));
    }

    private static String sinFloatKernel(Fp f, String x) {
        String z = f.mul(x, x), ww = f.mul(z, z);
        String r = f.fma(z, f.imm(SF[3]), f.imm(SF[2]));
        String s = f.mul(z, x);
        return f.fma(f.mul(s, ww), r, f.fma(s, f.fma(z, f.imm(SF[1]), f.imm(SF[0])), x));
    }

    private static String cosFloatKernel(Fp f, String x) {
        String z = f.mul(x, x), ww = f.mul(z, z);
        String r = f.fma(z, f.imm(CF[3]), f.imm(CF[2]));
        return f.fma(f.mul(ww, z), r, f.fma(ww, f.imm(CF[1]), f.fma(z, f.imm(CF[0]), f.c(1))));
    }

    // tanh(x) = x + x^3 R(x^2) below 0.55 (R fitted), 1 - 2 / (e^{2|x|} + 1) above
    private static final double[] TANH_R = {-0.33333333333333304, 0.13333333333327416, -0.05396825396416005, 0.021869488396038916,
            -0.008863232752856226, 0.0035920934378138596, -0.0014555512739833855, 0.000588477010575317, -0.00023345971839290133,
            8.342283437258242e-05, -1.955735949328662e-05};

    /** 1 / (1 + e^-x) as e / (1 + e) with e = e^-|x| for negative x, so that e never overflows. */
    static String sigmoid(Fp f, String x) {
        String e = exp(f, f.neg(f.abs(x)));
        String d = f.add(f.c(1), e);
        return f.sel(f.is("lt", x, f.imm(0)), f.div(e, d), f.div(f.c(1), d));
    }

    static String tanh(Fp f, String x) {
        String ax = f.abs(x), z = f.mul(x, x);
        String small = f.fma(f.mul(x, z), f.poly(z, TANH_R), x);
        String e = exp(f, f.add(ax, ax));
        String large = f.sub(f.c(1), f.div(f.c(2), f.add(e, f.imm(1))));
        return f.sel(f.is("lt", ax, f.imm(0.55)), small, f.copySign(large, x));
    }

    // erf(x) = x + x Q(x^2) below 1; 1 - exp(L_i(|x| - a_i)) on [1, 2), [2, 3.5), [3.5, 6), L_i fitted to log(erfc); 1 above
    private static final double[] ERF_SMALL = {0.1283791670955126, -0.3761263890318375, 0.11283791670954939, -0.026866170645086816,
            0.005223977624906831, -0.0008548326985572525, 0.00012055331274033842, -1.492559896389411e-05, 1.6461057012403088e-06,
            -1.6350886530706543e-07, 1.4663484239220844e-08, -1.1386665059572893e-09, 5.979752506135852e-11};
    private static final double[] ERF_1 = {-1.8496055099332482, -2.6389675142347913, -0.8431072563584854, -0.04156109804652412,
            0.010033825434297377, -0.0019779030211192396, 0.0002373247082969744, 2.6270365550099333e-05, -2.7141071619931522e-05,
            9.577246049079636e-06, -2.018572556500267e-06, 1.0281381753156766e-07, 1.2660079214439026e-07, -6.754871093779945e-08,
            2.0823494170183804e-08, -4.372676352775334e-09, 5.898012238420254e-10, -3.900423893235182e-11};
    private static final double[] ERF_2 = {-5.364941264616638, -4.418160805994415, -0.9237508418237771, -0.01646511813694418,
            0.0035707563456892862, -0.0007323993877761053, 0.0001353093518271073, -2.070647936626296e-05, 1.9523224019414286e-06,
            2.0333652080534357e-07, -1.7276211053248459e-07, 5.741324208545388e-08, -1.3728527901107477e-08, 2.461263297616018e-09,
            -3.01291793027325e-10, 1.8788509928092323e-11};
    private static final double[] ERF_35 = {-14.112437402148174, -7.266099588365191, -0.9667530547422294, -0.005225658221961631,
            0.0008736873239639581, -0.0001472977775502542, 2.43863870632224e-05, -3.889602684961207e-06, 5.857186850547025e-07,
            -8.085897889415221e-08, 9.716844318724413e-09, -9.205835765921697e-10, 5.613915178874104e-11, -1.2830229740440628e-12};

    static String erf(Fp f, String x) {
        String ax = f.abs(x);
        String small = f.fma(f.poly(f.mul(x, x), ERF_SMALL), x, x);
        String in2 = f.is("lt", ax, f.imm(2)), in35 = f.is("lt", ax, f.imm(3.5));
        String l1 = f.poly(f.sub(ax, f.imm(1)), ERF_1), l2 = f.poly(f.sub(ax, f.imm(2)), ERF_2), l3 = f.poly(f.sub(ax, f.imm(3.5)), ERF_35);
        String l = f.sel(in2, l1, f.sel(in35, l2, l3));
        String large = f.sub(f.c(1), exp(f, l));
        large = f.sel(f.is("ge", ax, f.imm(6)), f.c(1), large);
        return f.sel(f.is("lt", ax, f.imm(1)), small, f.copySign(large, x));
    }

    /**
     * x^y as exp2(y log2 |x|) with Java's special cases: y = 0 gives 1, a negative finite x with a
     * non-integer y gives NaN, an odd integer y keeps x's sign. Its error grows with |y log2 x| (MATH.md).
     */
    static String pow(Lowerer cx, String x, String y) {
        Fp f = new Fp(cx, true);
        PtxWriter w = cx.w;
        String r = exp2(f, f.mul(y, log(f, f.abs(x), true)));
        String ty = w.reg(RegClass.F64), th = w.reg(RegClass.F64);
        w.op("cvt.rzi.f64.f64 %s, %s", ty, y);
        String isInt = f.is("eq", ty, y);
        String half = f.mul(y, f.imm(0.5));
        w.op("cvt.rzi.f64.f64 %s, %s", th, half);
        String odd = w.reg(RegClass.PRED), notHalfInt = f.is("neu", th, half);
        w.op("and.pred %s, %s, %s", odd, isInt, notHalfInt);
        String xb = f.bits(x), signBit = w.reg(RegClass.PRED);
        w.op("setp.lt.s64 %s, %s, 0", signBit, xb);
        String flip = w.reg(RegClass.PRED);
        w.op("and.pred %s, %s, %s", flip, odd, signBit);
        r = f.sel(flip, f.neg(r), r);
        String finiteNegative = w.reg(RegClass.PRED), finite = f.is("lt", f.abs(x), f.imm(Double.POSITIVE_INFINITY));
        w.op("and.pred %s, %s, %s", finiteNegative, f.is("lt", x, f.imm(0)), finite);
        String nan = w.reg(RegClass.PRED);
        w.op("and.pred %s, %s, !%s", nan, finiteNegative, isInt);
        r = f.sel(nan, f.c(Double.NaN), r);
        return f.sel(f.is("eq", y, f.imm(0)), f.c(1), r);
    }

    static String fmod(Lowerer cx, String a, String b) { return Fmod.emit(cx, a, b, true); }
}
