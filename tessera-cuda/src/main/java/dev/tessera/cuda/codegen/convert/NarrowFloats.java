package dev.tessera.cuda.codegen.convert;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics.Rounding;

/**
 * f16, bf16 and fp8 (e4m3fn, e5m2) to and from f32, bit-identical to {@link dev.tessera.types.Numerics}
 * for every non-NaN value: native {@code cvt} where the target has it, otherwise exact integer
 * sequences. Values are held as f32 registers; bits as 32-bit registers, zero-extended.
 */
public final class NarrowFloats {
    private NarrowFloats() {}

    /** An IEEE-like binary format narrower than f32 (see Numerics' formats). */
    record Format(int exponentBits, int mantissaBits, boolean saturates, int nanBits) {
        int bias() { return (1 << (exponentBits - 1)) - 1; }

        int maxFiniteBits() {
            int allOnes = (1 << exponentBits) - 1;
            return saturates && exponentBits == 4 ? (allOnes << mantissaBits) | ((1 << mantissaBits) - 2)
                    : ((allOnes - 1) << mantissaBits) | ((1 << mantissaBits) - 1);
        }

        int infinityBits() { return ((1 << exponentBits) - 1) << mantissaBits; }

        int width() { return 1 + exponentBits + mantissaBits; }
    }

    static Format format(DType t) {
        return switch (t) {
            case F16 -> new Format(5, 10, false, 0x7E00);
            case BF16 -> new Format(8, 7, false, 0x7FC0);
            case FP8E4M3 -> new Format(4, 3, true, 0x7F);
            case FP8E5M2 -> new Format(5, 2, true, 0x7F);
            default -> throw new IllegalArgumentException(t + " is not a narrow float");
        };
    }

    /**
     * {@code f} rounded to nearest even in {@code t}, as an f32 value; the rounded pattern is
     * recorded beside it (see {@link Lowerer.NarrowBits}) and costs nothing unless a store uses it.
     */
    public static String round(Lowerer cx, String f, DType t) {
        PtxWriter w = cx.w;
        if (t == DType.F16 || (t == DType.BF16 && cx.target.nativeBf16())) {
            String type = t == DType.F16 ? "f16" : "bf16";
            String h = w.reg(RegClass.B16), out = w.reg(RegClass.F32), bits = w.reg(RegClass.B32);
            w.op("cvt.rn.%s.f32 %s, %s", type, h, f);
            w.op("cvt.f32.%s %s, %s", type, out, h);
            w.op("cvt.u32.u16 %s, %s", bits, h);
            // the pattern heldBits gives the held value: an f16 NaN is stored as the format's NaN
            if (t == DType.F16) bits = fixNan(cx, f, bits, format(t));
            cx.recordNarrowBits(out, t, bits, f);
            return out;
        }
        String bits = toBits(cx, f, t, Rounding.NEAREST_EVEN);
        String out = fromBits(cx, bits, t);
        cx.recordNarrowBits(out, t, bits, null);
        return out;
    }

    /** The bits of {@code f} (an f32 register) rounded to {@code t}, in the low bits of a 32-bit register. */
    static String toBits(Lowerer cx, String f, DType t, Rounding rounding) {
        PtxWriter w = cx.w;
        boolean nearest = rounding == Rounding.NEAREST_EVEN;
        if (nearest && t == DType.F16) {
            String h = w.reg(RegClass.B16), r = w.reg(RegClass.B32);
            w.op("cvt.rn.f16.f32 %s, %s", h, f);
            w.op("cvt.u32.u16 %s, %s", r, h);
            return fixNan(cx, f, r, format(t));
        }
        if (nearest && t == DType.BF16 && cx.target.nativeBf16()) {
            String h = w.reg(RegClass.B16), r = w.reg(RegClass.B32);
            w.op("cvt.rn.bf16.f32 %s, %s", h, f);
            w.op("cvt.u32.u16 %s, %s", r, h);
            return fixNan(cx, f, r, format(t));
        }
        if (t == DType.BF16 && !nearest) {
            // truncating the f32 bits is rounding toward zero (bf16 has f32's exponent range)
            String b = w.reg(RegClass.B32), r = w.reg(RegClass.B32);
            w.op("mov.b32 %s, %s", b, f);
            w.op("shr.u32 %s, %s, 16", r, b);
            return fixNan(cx, f, r, format(t));
        }
        if (nearest && t.isFp8() && cx.target.nativeFp8()) {
            String h = w.reg(RegClass.B16), zero = w.reg(RegClass.F32), r = w.reg(RegClass.B32);
            w.op("mov.f32 %s, 0f00000000", zero);
            w.op("cvt.rn.satfinite.%s.f32 %s, %s, %s", t == DType.FP8E4M3 ? "e4m3x2" : "e5m2x2", h, zero, f);
            w.op("cvt.u32.u16 %s, %s", r, h);
            w.op("and.b32 %s, %s, 255", r, r);
            return r;
        }
        return softwareEncode(cx, f, format(t), nearest);
    }

    /** NaN inputs give the format's NaN (as Numerics does), whatever the conversion made of them. */
    private static String fixNan(Lowerer cx, String f, String bits, Format fm) {
        String p = cx.w.reg(RegClass.PRED), r = cx.w.reg(RegClass.B32);
        cx.w.op("testp.notanumber.f32 %s, %s", p, f);
        cx.w.op("selp.b32 %s, %d, %s, %s", r, fm.nanBits(), bits, p);
        return r;
    }

    /**
     * Exact f32 to narrow-format rounding with integer arithmetic: normal results round the f32
     * bits directly (adding half an ulp less one, plus the lowest kept bit, then shifting), results
     * below the format's smallest normal round through one f32 addition of a constant whose ulp
     * is the format's smallest subnormal; then overflow, infinities and NaN as Numerics has them.
     */
    static String softwareEncode(Lowerer cx, String f, Format fm, boolean nearest) {
        PtxWriter w = cx.w;
        int m = fm.mantissaBits(), drop = 23 - m, bias = fm.bias();
        String bits = w.reg(RegClass.B32), a = w.reg(RegClass.B32), sign = w.reg(RegClass.B32);
        w.op("mov.b32 %s, %s", bits, f);
        w.op("and.b32 %s, %s, 2147483647", a, bits);
        w.op("shr.u32 %s, %s, %d", sign, bits, 31 - (fm.width() - 1));
        w.op("and.b32 %s, %s, %d", sign, sign, 1 << (fm.width() - 1));
        // normal range of the format
        String n = w.reg(RegClass.B32);
        if (nearest) {
            String lsb = w.reg(RegClass.B32);
            w.op("bfe.u32 %s, %s, %d, 1", lsb, a, drop);
            w.op("add.u32 %s, %s, %d", n, a, (1 << (drop - 1)) - 1);
            w.op("add.u32 %s, %s, %s", n, n, lsb);
            w.op("shr.u32 %s, %s, %d", n, n, drop);
        } else {
            w.op("shr.u32 %s, %s, %d", n, a, drop);
        }
        w.op("sub.u32 %s, %s, %d", n, n, (127 - bias) << m);
        // subnormal range: |x| + 2^(emin - m + 23) rounds |x| to a multiple of the smallest subnormal
        int cExp = (1 - bias) - m + 23;
        float c = Math.scalb(1f, cExp);
        String abs = w.reg(RegClass.F32), sum = w.reg(RegClass.F32), sb = w.reg(RegClass.B32);
        w.op("mov.b32 %s, %s", abs, a);
        w.op("add.%s.f32 %s, %s, %s", nearest ? "rn" : "rz", sum, abs, Emit.f32(c));
        w.op("mov.b32 %s, %s", sb, sum);
        w.op("sub.u32 %s, %s, %d", sb, sb, Float.floatToRawIntBits(c));
        String sub = w.reg(RegClass.PRED), r = w.reg(RegClass.B32);
        w.op("setp.lt.u32 %s, %s, %d", sub, a, (128 - bias) << 23);
        w.op("selp.b32 %s, %s, %s, %s", r, sb, n, sub);
        // overflow: saturating formats (and truncation) stop at the largest finite value
        String over = w.reg(RegClass.PRED);
        w.op("setp.gt.u32 %s, %s, %d", over, r, fm.maxFiniteBits());
        int overflowTo = fm.saturates() || !nearest ? fm.maxFiniteBits() : fm.infinityBits();
        w.op("selp.b32 %s, %d, %s, %s", r, overflowTo, r, over);
        // infinities: the largest finite value where the format saturates, else infinity
        String inf = w.reg(RegClass.PRED);
        w.op("setp.eq.u32 %s, %s, 2139095040", inf, a);
        w.op("selp.b32 %s, %d, %s, %s", r, fm.saturates() ? fm.maxFiniteBits() : fm.infinityBits(), r, inf);
        w.op("or.b32 %s, %s, %s", r, r, sign);
        String nan = w.reg(RegClass.PRED);
        w.op("setp.gt.u32 %s, %s, 2139095040", nan, a);
        w.op("selp.b32 %s, %d, %s, %s", r, fm.nanBits(), r, nan);
        return r;
    }

    /** The f32 value of narrow bits (zero-extended in a 32-bit register). Exact. */
    public static String fromBits(Lowerer cx, String bits, DType t) {
        PtxWriter w = cx.w;
        String out = w.reg(RegClass.F32);
        switch (t) {
            case F16 -> {
                String h = w.reg(RegClass.B16);
                w.op("cvt.u16.u32 %s, %s", h, bits);
                w.op("cvt.f32.f16 %s, %s", out, h);
            }
            case BF16 -> {
                String s = w.reg(RegClass.B32);
                w.op("shl.b32 %s, %s, 16", s, bits);
                w.op("mov.b32 %s, %s", out, s);
            }
            default -> {
                // the magnitude's bits placed in an f32's exponent and mantissa fields, times 2^(127 - bias)
                Format fm = format(t);
                int m = fm.mantissaBits();
                String mag = w.reg(RegClass.B32), shifted = w.reg(RegClass.B32), v = w.reg(RegClass.F32);
                w.op("and.b32 %s, %s, %d", mag, bits, (1 << (fm.width() - 1)) - 1);
                w.op("shl.b32 %s, %s, %d", shifted, mag, 23 - m);
                w.op("mov.b32 %s, %s", v, shifted);
                w.op("mul.rn.f32 %s, %s, %s", v, v, Emit.f32(Math.scalb(1.0, 127 - fm.bias())));
                String vb = w.reg(RegClass.B32), special = w.reg(RegClass.PRED);
                w.op("mov.b32 %s, %s", vb, v);
                if (t == DType.FP8E4M3) {
                    w.op("setp.eq.u32 %s, %s, 127", special, mag);
                    w.op("selp.b32 %s, 2143289344, %s, %s", vb, vb, special);
                } else {
                    String nan = w.reg(RegClass.PRED);
                    w.op("setp.eq.u32 %s, %s, 124", special, mag);
                    w.op("selp.b32 %s, 2139095040, %s, %s", vb, vb, special);
                    w.op("setp.gt.u32 %s, %s, 124", nan, mag);
                    w.op("selp.b32 %s, 2143289344, %s, %s", vb, vb, nan);
                }
                String sign = w.reg(RegClass.B32);
                w.op("and.b32 %s, %s, %d", sign, bits, 1 << (fm.width() - 1));
                w.op("shl.b32 %s, %s, %d", sign, sign, 32 - fm.width());
                w.op("or.b32 %s, %s, %s", vb, vb, sign);
                w.op("mov.b32 %s, %s", out, vb);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ held values (loads, stores, bitcasts)

    private static final int QUIET_NAN = 0x7FC0_0000;

    /** The high bits of a held f16 NaN: a quiet f32 NaN with f16's tag (the pattern goes in the low 16 bits, its sign in bit 31). */
    static int f16Tag() { return QUIET_NAN | tag(DType.F16) << 16; }

    private static int tag(DType t) {
        return switch (t) {
            case F16 -> 1;
            case FP8E4M3 -> 2;
            case FP8E5M2 -> 3;
            default -> 0;
        };
    }

    /**
     * The f32 a loaded pattern is held as, as the CPU backend holds it: numbers exactly, and a NaN
     * pattern as a quiet f32 NaN carrying the pattern and its format's tag in the payload, so a
     * store puts back the same bits (bf16 patterns are f32 top halves and need no tag).
     */
    public static String held(Lowerer cx, String bits, DType t) {
        return held(cx, new String[] {bits}, new String[] {fromBits(cx, bits, t)}, t)[0];
    }

    /**
     * {@link #held} for several patterns at once, given their f32 values ({@link #fromBits} or an
     * equivalent conversion, in fresh registers: NaNs are tagged in them, in place). NaN patterns
     * are rare: one test covers all the values, and only threads that meet one run the tagging.
     */
    public static String[] held(Lowerer cx, String[] bits, String[] values, DType t) {
        String[] out = held(cx, i -> bits[i], values, t);
        for (int i = 0; i < bits.length; i++) cx.recordNarrowBits(out[i], t, bits[i], null);
        return out;
    }

    /**
     * {@link #held} of values whose patterns {@code bitsOf} gives (zero-extended; it is asked only
     * in threads that meet a NaN, inside the branch, so the patterns need not be live before it).
     * Records nothing.
     */
    static String[] held(Lowerer cx, java.util.function.IntFunction<String> bitsOf, String[] values, DType t) {
        PtxWriter w = cx.w;
        int n = values.length;
        String[] out = values.clone();
        if (t != DType.BF16) {
            String anyNan = null;
            for (int i = 0; i < n; i += 2) {
                String p = w.reg(RegClass.PRED), b = values[Math.min(i + 1, n - 1)];
                if (anyNan == null) w.op("setp.nan.f32 %s, %s, %s", p, values[i], b);
                else w.op("setp.nan.or.f32 %s, %s, %s, %s", p, values[i], b, anyNan);
                anyNan = p;
            }
            // tagged in place: the values are fresh registers (a copy would keep both alive through the branch)
            String skip = w.label("held");
            w.op("@!%s bra %s", anyNan, skip);
            int width = t.bits(), signBit = 1 << (width - 1);
            for (int i = 0; i < n; i++) {
                String nan = w.reg(RegClass.PRED), sign = w.reg(RegClass.B32), tagged = w.reg(RegClass.B32);
                w.op("testp.notanumber.f32 %s, %s", nan, out[i]);
                String bits = bitsOf.apply(i);
                w.op("and.b32 %s, %s, %d", sign, bits, signBit);
                w.op("shl.b32 %s, %s, %d", sign, sign, 32 - width);
                w.op("and.b32 %s, %s, %d", tagged, bits, (1 << width) - 1);
                w.op("or.b32 %s, %s, %d", tagged, tagged, QUIET_NAN | tag(t) << 16);
                w.op("or.b32 %s, %s, %s", tagged, tagged, sign);
                w.op("@%s mov.b32 %s, %s", nan, out[i], tagged);
            }
            w.place(skip);
        }
        return out;
    }

    private static String isNanPattern(Lowerer cx, String bits, DType t) {
        PtxWriter w = cx.w;
        String m = w.reg(RegClass.B32), p = w.reg(RegClass.PRED);
        switch (t) {
            case F16 -> {
                String e = w.reg(RegClass.B32), q = w.reg(RegClass.PRED);
                w.op("and.b32 %s, %s, 31744", e, bits);
                w.op("and.b32 %s, %s, 1023", m, bits);
                w.op("setp.eq.u32 %s, %s, 31744", p, e);
                w.op("setp.ne.u32 %s, %s, 0", q, m);
                w.op("and.pred %s, %s, %s", p, p, q);
            }
            case FP8E4M3 -> {
                w.op("and.b32 %s, %s, 127", m, bits);
                w.op("setp.eq.u32 %s, %s, 127", p, m);
            }
            case FP8E5M2 -> {
                w.op("and.b32 %s, %s, 127", m, bits);
                w.op("setp.gt.u32 %s, %s, 124", p, m);
            }
            default -> throw new IllegalArgumentException(t.toString());
        }
        return p;
    }

    /**
     * The pattern a held value is stored as (the inverse of {@link #held}): a number's own pattern
     * (e5m2 infinities stay infinities: storing is not converting), a tagged NaN's pattern, and for
     * any other NaN the format's canonical NaN.
     */
    public static String heldBits(Lowerer cx, String f, DType t) {
        Lowerer.NarrowBits known = cx.narrowBits(f, t);
        if (known != null && known.bits() != null) return known.bits();
        if (known != null) return Packing.half(cx, known.word(), known.half());
        PtxWriter w = cx.w;
        String raw = w.reg(RegClass.B32), nan = w.reg(RegClass.PRED), out = w.reg(RegClass.B32), skip = w.label("held_bits");
        w.op("mov.b32 %s, %s", raw, f);
        w.op("testp.notanumber.f32 %s, %s", nan, f);
        if (t == DType.BF16) {
            w.op("shr.u32 %s, %s, 16", out, raw);
            // a NaN whose payload was all in the low half must stay a NaN
            w.op("@!%s bra %s", nan, skip);
            String low = w.reg(RegClass.B32), empty = w.reg(RegClass.PRED);
            w.op("and.b32 %s, %s, 127", low, out);
            w.op("setp.eq.u32 %s, %s, 0", empty, low);
            w.op("@%s or.b32 %s, %s, 64", empty, out, out);
            w.place(skip);
            return out;
        }
        if (t == DType.F16) {
            String h = w.reg(RegClass.B16);
            w.op("cvt.rn.f16.f32 %s, %s", h, f);
            w.op("cvt.u32.u16 %s, %s", out, h);
        } else {
            w.op("mov.b32 %s, %s", out, toBits(cx, f, t, Rounding.NEAREST_EVEN));
            if (t == DType.FP8E5M2) {
                String inf = w.reg(RegClass.PRED), infBits = w.reg(RegClass.B32);
                w.op("testp.infinite.f32 %s, %s", inf, f);
                w.op("shr.u32 %s, %s, 24", infBits, raw);
                w.op("and.b32 %s, %s, 128", infBits, infBits);
                w.op("or.b32 %s, %s, 124", infBits, infBits);
                w.op("selp.b32 %s, %s, %s, %s", out, infBits, out, inf);
            }
        }
        // a NaN that carries this format's tag and a NaN pattern keeps it; others become the canonical NaN
        w.op("@!%s bra %s", nan, skip);
        int width = t.bits();
        String pattern = w.reg(RegClass.B32), tagBits = w.reg(RegClass.B32), tagged = w.reg(RegClass.PRED);
        w.op("and.b32 %s, %s, %d", pattern, raw, (1 << width) - 1);
        w.op("and.b32 %s, %s, %d", tagBits, raw, 0x3F << 16);
        w.op("setp.eq.u32 %s, %s, %d", tagged, tagBits, tag(t) << 16);
        String isPattern = isNanPattern(cx, pattern, t);
        w.op("and.pred %s, %s, %s", tagged, tagged, isPattern);
        w.op("selp.b32 %s, %s, %d, %s", out, pattern, format(t).nanBits(), tagged);
        w.place(skip);
        return out;
    }
}
