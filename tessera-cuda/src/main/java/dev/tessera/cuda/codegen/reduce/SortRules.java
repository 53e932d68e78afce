package dev.tessera.cuda.codegen.reduce;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.Op.Sort;
import dev.tessera.types.DType;

/**
 * Sorting along the last dimension: a bitonic network in shared memory. Elements become unsigned
 * keys that order as Java's sort orders them (floats by their total order with -0 before +0, NaN
 * last; signed integers with the sign bit flipped), every thread runs its share of each stage's
 * compare-exchanges, with a barrier between stages. Descending is the reverse of ascending, as on
 * the CPU.
 */
public final class SortRules {
    private SortRules() {}

    public static TileValue sort(Sort op, DistributedLayout out, Lowerer cx) {
        TileValue in = cx.primary(op.source());
        PtxWriter w = cx.w;
        DType t = op.source().type().dtype();
        boolean wide = t.bits() == 64;
        RegClass kk = wide ? RegClass.B64 : RegClass.B32;
        String kt = wide ? "u64" : "u32";
        int kb = wide ? 8 : 4;
        var shape = op.source().type().shape();
        int n = shape.dim(shape.rank() - 1), numel = shape.numel(), logN = DistributedLayout.log2(n);
        String base = cx.smem.begin(numel * kb);
        // keys in
        DistributedLayout l = in.layout();
        String offset = l.threadMask() == 0 ? null : cx.threadOffset(l);
        for (int r = 0; r < in.size(); r++) {
            String key = toKey(cx, t, in.reg(r));
            String a = w.reg(RegClass.B32);
            if (offset == null) w.op("add.u32 %s, %s, %d", a, base, l.regPart(r) * kb);
            else w.op("mad.lo.u32 %s, %s, %d, %s", a, offset, kb, base);
            w.op("st.shared.%s [%s+%d], %s", kt, a, offset == null ? 0 : l.regPart(r) * kb, key);
        }
        cx.smem.sync();
        // the network: stage (k, j) compares i with i | j, ascending where (i & k) == 0
        int threads = 32 * cx.numWarps, pairs = numel / 2;
        for (int k = 2; k <= n; k <<= 1) {
            for (int j = k >> 1; j >= 1; j >>= 1) {
                int lj = DistributedLayout.log2(j);
                for (int first = 0; first < pairs; first += threads) {
                    String p = w.reg(RegClass.B32);
                    w.op("add.u32 %s, %s, %d", p, cx.tid(), first);
                    String skip = null;
                    if (first + threads > pairs) {
                        String beyond = w.reg(RegClass.PRED);
                        skip = w.label("sort_skip");
                        w.op("setp.ge.u32 %s, %s, %d", beyond, p, pairs);
                        w.op("@%s bra %s", beyond, skip);
                    }
                    // element index within the tile: the pair index with a zero inserted at bit lj
                    String hiPart = w.reg(RegClass.B32), i = w.reg(RegClass.B32);
                    w.op("shr.u32 %s, %s, %d", hiPart, p, lj);
                    w.op("shl.b32 %s, %s, %d", hiPart, hiPart, lj + 1);
                    w.op("and.b32 %s, %s, %d", i, p, j - 1);
                    w.op("or.b32 %s, %s, %s", i, i, hiPart);
                    String within = w.reg(RegClass.B32), asc = w.reg(RegClass.PRED);
                    w.op("and.b32 %s, %s, %d", within, i, k & (n - 1));
                    w.op("setp.eq.u32 %s, %s, 0", asc, within);
                    if (op.descending()) w.op("not.pred %s, %s", asc, asc);
                    String ai = w.reg(RegClass.B32), bi = w.reg(RegClass.B32);
                    w.op("mad.lo.u32 %s, %s, %d, %s", ai, i, kb, base);
                    w.op("add.u32 %s, %s, %d", bi, ai, j * kb);
                    String a = w.reg(kk), b = w.reg(kk);
                    w.op("ld.shared.%s %s, [%s]", kt, a, ai);
                    w.op("ld.shared.%s %s, [%s]", kt, b, bi);
                    String gt = w.reg(RegClass.PRED), lt = w.reg(RegClass.PRED), swap = w.reg(RegClass.PRED);
                    w.op("setp.gt.%s %s, %s, %s", kt, gt, a, b);
                    w.op("setp.lt.%s %s, %s, %s", kt, lt, a, b);
                    String s1 = w.reg(RegClass.PRED), s2 = w.reg(RegClass.PRED);
                    w.op("and.pred %s, %s, %s", s1, asc, gt);
                    w.op("and.pred %s, !%s, %s", s2, asc, lt);
                    w.op("or.pred %s, %s, %s", swap, s1, s2);
                    w.op("@%s st.shared.%s [%s], %s", swap, kt, ai, b);
                    w.op("@%s st.shared.%s [%s], %s", swap, kt, bi, a);
                    if (skip != null) w.place(skip);
                }
                cx.smem.sync();
            }
        }
        // keys out, in the result's layout
        String outOffset = out.threadMask() == 0 ? null : cx.threadOffset(out);
        String[] regs = new String[out.numRegs()];
        for (int r = 0; r < regs.length; r++) {
            String a = w.reg(RegClass.B32), key = w.reg(kk);
            if (outOffset == null) w.op("add.u32 %s, %s, %d", a, base, out.regPart(r) * kb);
            else w.op("mad.lo.u32 %s, %s, %d, %s", a, outOffset, kb, base);
            w.op("ld.shared.%s %s, [%s+%d]", kt, key, a, outOffset == null ? 0 : out.regPart(r) * kb);
            regs[r] = fromKey(cx, t, key);
        }
        cx.smem.end();
        return new TileValue(out, t, regs);
    }

    /** An unsigned key ordering as the value: floats by total order (NaN largest), signed integers with the sign flipped. */
    private static String toKey(Lowerer cx, DType t, String v) {
        PtxWriter w = cx.w;
        if (t == DType.I1) return Emit.fromPred(cx, v);
        if (t.isFloat()) {
            boolean wide = t == DType.F64;
            RegClass k = wide ? RegClass.B64 : RegClass.B32;
            String bt = wide ? "b64" : "b32", st = wide ? "s64" : "s32";
            String bits = w.reg(k), mask = w.reg(k), key = w.reg(k), nan = w.reg(RegClass.PRED);
            w.op("mov.%s %s, %s", bt, bits, v);
            // negative: flip all bits; positive: flip the sign bit
            w.op("shr.%s %s, %s, %d", st, mask, bits, wide ? 63 : 31);
            w.op("or.%s %s, %s, %s", bt, mask, mask, wide ? "-9223372036854775808" : "-2147483648");
            w.op("xor.%s %s, %s, %s", bt, key, bits, mask);
            w.op("testp.notanumber.%s %s, %s", Emit.floatType(t), nan, v);
            w.op("selp.%s %s, -1, %s, %s", bt, key, key, nan);
            return key;
        }
        if (t.isUnsigned()) return v;
        String key = w.reg(RegClass.of(t));
        if (t.bits() == 64) w.op("xor.b64 %s, %s, -9223372036854775808", key, v);
        else w.op("xor.b32 %s, %s, -2147483648", key, v);
        return key;
    }

    private static String fromKey(Lowerer cx, DType t, String key) {
        PtxWriter w = cx.w;
        if (t == DType.I1) return Emit.toPred(cx, key);
        if (t.isFloat()) {
            boolean wide = t == DType.F64;
            RegClass k = wide ? RegClass.B64 : RegClass.B32;
            String bt = wide ? "b64" : "b32";
            String flip = w.reg(k), neg = w.reg(k), bits = w.reg(k), top = w.reg(RegClass.PRED);
            // keys with the top bit set were non-negative: clear it; others were negative: flip back
            w.op("setp.lt.%s %s, %s, 0", wide ? "s64" : "s32", top, key);
            w.op("xor.%s %s, %s, %s", bt, flip, key, wide ? "-9223372036854775808" : "-2147483648");
            w.op("not.%s %s, %s", bt, neg, key);
            w.op("selp.%s %s, %s, %s, %s", bt, bits, flip, neg, top);
            String out = w.reg(wide ? RegClass.F64 : RegClass.F32);
            w.op("mov.%s %s, %s", bt, out, bits);
            return out;
        }
        if (t.isUnsigned()) return key;
        String v = w.reg(RegClass.of(t));
        if (t.bits() == 64) w.op("xor.b64 %s, %s, -9223372036854775808", v, key);
        else w.op("xor.b32 %s, %s, -2147483648", v, key);
        return v;
    }
}
