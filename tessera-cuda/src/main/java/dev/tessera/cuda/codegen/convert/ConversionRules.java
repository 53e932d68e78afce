package dev.tessera.cuda.codegen.convert;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.Op.Bitcast;
import dev.tessera.ir.Op.Convert;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics.Rounding;
import java.util.HashMap;
import java.util.Map;

/**
 * Lowering of dtype conversions, following {@link dev.tessera.types.Numerics} as the CPU backend
 * does: floats to integers truncate and saturate (NaN gives 0), integers wrap, narrowing floats
 * round to nearest even (or toward zero where the IR says so) with one rounding from the exact
 * source value (through f32 rounded to odd where the source is wider), and bit reinterpretation.
 */
public final class ConversionRules {
    private ConversionRules() {}

    public static TileValue convert(Convert c, DistributedLayout out, Lowerer cx) {
        DType from = c.source().type().dtype(), to = c.result().type().dtype();
        Rounding rounding = c.rounding() == null ? Rounding.NEAREST_EVEN : c.rounding();
        TileValue x = cx.get(c.source(), out);
        if (from == DType.F32 && rounding == Rounding.NEAREST_EVEN && TileValue.packable(to, out) && !cx.nanPatternObserved(c.result())
                && (to == DType.F16 || cx.target.nativeBf16())) {
            return pairsRounded(cx, x, out, to);
        }
        String[] regs = new String[x.size()];
        Map<String, String> done = new HashMap<>();
        for (int i = 0; i < regs.length; i++) regs[i] = done.computeIfAbsent(x.reg(i), r -> scalar(cx, r, from, to, rounding));
        return new TileValue(out, to, regs);
    }

    /**
     * f32 rounded to f16 or bf16 two elements at a time, packed ({@code cvt.rn.f16x2.f32}, one
     * instruction a pair): for a result whose NaN pattern nothing observes (see {@link NanPayloads};
     * the instruction's NaN is not the format's canonical one), such as softmax's P before P·V,
     * which the tensor cores then read as it is.
     */
    private static TileValue pairsRounded(Lowerer cx, TileValue x, DistributedLayout out, DType to) {
        String[] words = new String[x.size() / 2];
        Map<String, String> done = new HashMap<>();
        for (int i = 0; i < words.length; i++) {
            String lo = x.reg(2 * i), hi = x.reg(2 * i + 1);
            words[i] = done.computeIfAbsent(lo + "," + hi, k -> Packing.roundPair(cx, to, lo, hi));
        }
        return TileValue.packed(out, to, words);
    }

    /** One element converted from {@code from} to {@code to}. */
    static String scalar(Lowerer cx, String x, DType from, DType to, Rounding rounding) {
        PtxWriter w = cx.w;
        if (from == to) return x;
        if (to == DType.I1) {
            String p = w.reg(RegClass.PRED);
            if (from.isFloat()) w.op("setp.neu.%s %s, %s, %s", Emit.floatType(from), p, x, from == DType.F64 ? "0d0000000000000000" : "0f00000000");
            else w.op("setp.ne.%s %s, %s, 0", Emit.intType(from), p, x);
            return p;
        }
        if (from == DType.I1) {
            RegClass k = RegClass.of(to);
            String d = w.reg(k);
            switch (k) {
                case F32 -> w.op("selp.f32 %s, 0f3F800000, 0f00000000, %s", d, x);
                case F64 -> w.op("selp.f64 %s, 0d3FF0000000000000, 0d0000000000000000, %s", d, x);
                case B64 -> w.op("selp.b64 %s, 1, 0, %s", d, x);
                default -> w.op("selp.b32 %s, 1, 0, %s", d, x);
            }
            return d;
        }
        if (to.isFloat()) return toFloat(cx, x, from, to, rounding);
        if (from.isFloat()) return floatToInt(cx, x, from, to);
        return intToInt(cx, x, from, to);
    }

    private static String toFloat(Lowerer cx, String x, DType from, DType to, Rounding rounding) {
        PtxWriter w = cx.w;
        boolean nearest = rounding == Rounding.NEAREST_EVEN;
        if (to == DType.F64) {
            String d = w.reg(RegClass.F64);
            if (from.isFloat()) w.op("cvt.f64.f32 %s, %s", d, x);
            else w.op("cvt.rn.f64.%s %s, %s", Emit.intType(from), d, x);
            return d;
        }
        if (from.isFloat() && from != DType.F64) {
            // the source value is exact in f32: one rounding to the target, if it is narrower
            if (to == DType.F32 || (from.isFp8() && (to == DType.F16 || to == DType.BF16))) return x;
            if (nearest) return NarrowFloats.round(cx, x, to);
            return NarrowFloats.fromBits(cx, NarrowFloats.toBits(cx, x, to, rounding), to);
        }
        if (from == DType.F64) return fromDouble(cx, x, to, nearest);
        if (from.bits() == 64) {
            String f = w.reg(RegClass.F32);
            if (to == DType.F32) {
                w.op("cvt.rn.f32.%s %s, %s", Emit.intType(from), f, x);
                return f;
            }
            // one rounding to a narrow float: the integer to f64 rounded to odd (truncate, then set the
            // last bit if anything was lost), then through f32 rounded to odd, then to nearest even
            String it = Emit.intType(from), d = w.reg(RegClass.F64), back = w.reg(RegClass.B64), inexact = w.reg(RegClass.PRED);
            w.op("cvt.rz.f64.%s %s, %s", it, d, x);
            w.op("cvt.rzi.%s.f64 %s, %s", it, back, d);
            w.op("setp.ne.b64 %s, %s, %s", inexact, back, x);
            String bits = w.reg(RegClass.B64), odd = w.reg(RegClass.B64);
            w.op("mov.b64 %s, %s", bits, d);
            w.op("or.b64 %s, %s, 1", odd, bits);
            w.op("selp.b64 %s, %s, %s, %s", bits, odd, bits, inexact);
            String sticky = w.reg(RegClass.F64);
            w.op("mov.b64 %s, %s", sticky, bits);
            return fromDouble(cx, sticky, to, true);
        }
        if (to == DType.F32) {
            String f = w.reg(RegClass.F32);
            w.op("cvt.rn.f32.%s %s, %s", Emit.intType(from), f, x);
            return f;
        }
        // a 32-bit integer is exact in f64: one rounding from there
        String d = w.reg(RegClass.F64);
        w.op("cvt.rn.f64.%s %s, %s", Emit.intType(from), d, x);
        return fromDouble(cx, d, to, true);
    }

    /**
     * f64 to f32 or narrower with a single rounding: to f32 directly, or to f32 rounded to odd
     * (truncate, then set the last bit if anything was lost), which a second rounding to a format
     * at least two bits narrower leaves correctly rounded.
     */
    private static String fromDouble(Lowerer cx, String x, DType to, boolean nearest) {
        PtxWriter w = cx.w;
        String f = w.reg(RegClass.F32);
        if (to == DType.F32) {
            w.op("cvt.%s.f32.f64 %s, %s", nearest ? "rn" : "rz", f, x);
            return f;
        }
        w.op("cvt.rz.f32.f64 %s, %s", f, x);
        if (!nearest) return NarrowFloats.fromBits(cx, NarrowFloats.toBits(cx, f, to, Rounding.TOWARD_ZERO), to);
        String back = w.reg(RegClass.F64), inexact = w.reg(RegClass.PRED), bits = w.reg(RegClass.B32), odd = w.reg(RegClass.B32);
        w.op("cvt.f64.f32 %s, %s", back, f);
        w.op("setp.neu.f64 %s, %s, %s", inexact, back, x);
        w.op("mov.b32 %s, %s", bits, f);
        w.op("or.b32 %s, %s, 1", odd, bits);
        w.op("selp.b32 %s, %s, %s, %s", bits, odd, bits, inexact);
        String sticky = w.reg(RegClass.F32);
        w.op("mov.b32 %s, %s", sticky, bits);
        return NarrowFloats.round(cx, sticky, to);
    }

    private static String floatToInt(Lowerer cx, String x, DType from, DType to) {
        PtxWriter w = cx.w;
        String ft = Emit.floatType(from);
        // the hardware gives NaN the most negative value for 64-bit results and f64 sources: 0, as Numerics
        String nan = w.reg(RegClass.PRED);
        w.op("testp.notanumber.%s %s, %s", ft, nan, x);
        if (to.bits() == 64) {
            String d = w.reg(RegClass.B64);
            w.op("cvt.rzi.sat.%s.%s %s, %s", Emit.intType(to), ft, d, x);
            w.op("selp.b64 %s, 0, %s, %s", d, d, nan);
            return d;
        }
        String d = w.reg(RegClass.B32);
        w.op("cvt.rzi.sat.%s.%s %s, %s", to.isUnsigned() ? "u32" : "s32", ft, d, x);
        w.op("selp.b32 %s, 0, %s, %s", d, d, nan);
        if (to.bits() < 32) {
            // saturate to the narrower range: clamping the 32-bit result is the same
            long max = dev.tessera.types.Numerics.maxValue(to), min = dev.tessera.types.Numerics.minValue(to);
            if (to.isUnsigned()) {
                w.op("min.u32 %s, %s, %d", d, d, max);
            } else {
                w.op("min.s32 %s, %s, %d", d, d, max);
                w.op("max.s32 %s, %s, %d", d, d, min);
            }
        }
        return d;
    }

    private static String intToInt(Lowerer cx, String x, DType from, DType to) {
        PtxWriter w = cx.w;
        boolean fromWide = from.bits() == 64, toWide = to.bits() == 64;
        if (fromWide && toWide) return x;
        if (!fromWide && toWide) {
            String d = w.reg(RegClass.B64);
            w.op("cvt.%s.%s %s, %s", from.isUnsigned() ? "u64" : "s64", from.isUnsigned() ? "u32" : "s32", d, x);
            return d;
        }
        String low = x;
        if (fromWide) {
            low = w.reg(RegClass.B32);
            w.op("cvt.u32.u64 %s, %s", low, x);
        }
        return Emit.wrap(cx, low, to);
    }

    // ------------------------------------------------------------------ bitcast

    public static TileValue bitcast(Bitcast b, DistributedLayout out, Lowerer cx) {
        TileValue x = cx.get(b.source(), out);
        var fromT = b.source().type().element();
        var toT = b.result().type().element();
        String[] regs = new String[x.size()];
        Map<String, String> done = new HashMap<>();
        for (int i = 0; i < regs.length; i++) regs[i] = done.computeIfAbsent(x.reg(i), r -> bitcastScalar(cx, r, fromT, toT));
        return new TileValue(out, toT, regs);
    }

    private static String bitcastScalar(Lowerer cx, String x, dev.tessera.types.ElementType fromT, dev.tessera.types.ElementType toT) {
        PtxWriter w = cx.w;
        RegClass kf = RegClass.of(fromT), kt = RegClass.of(toT);
        DType from = fromT instanceof DType d ? d : DType.I64, to = toT instanceof DType d ? d : DType.I64;
        if (from.isNarrowFloat() || to.isNarrowFloat()) {
            String bits = from.isNarrowFloat() ? NarrowFloats.heldBits(cx, x, from) : masked(cx, x, from.bits());
            return to.isNarrowFloat() ? NarrowFloats.held(cx, bits, to) : Emit.wrap(cx, bits, to);
        }
        if (kf == kt) return kf == RegClass.B32 ? Emit.wrap(cx, x, to) : x;
        String d = w.reg(kt);
        w.op("mov.b%d %s, %s", kt.bytes() * 8, d, x);
        return kt == RegClass.B32 ? Emit.wrap(cx, d, to) : d;
    }

    private static String masked(Lowerer cx, String x, int bits) {
        if (bits >= 32) return x;
        String r = cx.w.reg(RegClass.B32);
        cx.w.op("and.b32 %s, %s, %d", r, x, (1 << bits) - 1);
        return r;
    }
}
