package dev.tessera.cuda.codegen.reduce;

import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.Op.Histogram;
import dev.tessera.types.DType;

/**
 * A histogram through shared-memory counters: the threads zero {@code bins} u32 counters, each
 * adds one (a shared-memory reduction, {@code red.shared.add}) for each element it owns whose
 * value is in [0, bins), and after a barrier each reads the counters it holds in the result's
 * layout. The code is a few instructions per element the thread holds, where comparing every
 * element with every bin grew with their product. An element held in several threads (a
 * replicated layout) is counted only by the thread {@link Lowerer#owner} picks.
 */
public final class HistogramRules {
    private HistogramRules() {}

    public static TileValue histogram(Histogram op, DistributedLayout out, Lowerer cx) {
        TileValue in = cx.primary(op.source());
        PtxWriter w = cx.w;
        DType t = op.source().type().dtype();
        int bins = op.bins(), threads = 32 * cx.numWarps;
        String base = cx.smem.begin(bins * 4);
        // zero the counters, a thread's share a block's width apart
        String mine = w.reg(RegClass.B32);
        w.op("mad.lo.u32 %s, %s, 4, %s", mine, cx.tid(), base);
        for (int first = 0; first < bins; first += threads) {
            String guard = "";
            if (first + threads > bins) {
                String inside = w.reg(RegClass.PRED);
                w.op("setp.lt.u32 %s, %s, %d", inside, cx.tid(), bins - first);
                guard = "@" + inside + " ";
            }
            w.op("%sst.shared.u32 [%s+%d], 0", guard, mine, first * 4);
        }
        cx.smem.sync();
        // count: an unsigned comparison also leaves out negative values, held sign-extended
        String owner = cx.owner(in.layout());
        boolean wide = t.bits() == 64;
        for (int r = 0; r < in.size(); r++) {
            String v = in.reg(r), counted = w.reg(RegClass.PRED), bin = v;
            w.op("setp.lt.%s %s, %s, %d", wide ? "u64" : "u32", counted, v, bins);
            if (owner != null) w.op("and.pred %s, %s, %s", counted, counted, owner);
            if (wide) {
                bin = w.reg(RegClass.B32);
                w.op("cvt.u32.u64 %s, %s", bin, v);
            }
            String a = w.reg(RegClass.B32);
            w.op("mad.lo.u32 %s, %s, 4, %s", a, bin, base);
            w.op("@%s red.shared.add.u32 [%s], 1", counted, a);
        }
        cx.smem.sync();
        // the counters out, in the result's layout
        String from = base;
        if (out.threadMask() != 0) {
            from = w.reg(RegClass.B32);
            w.op("mad.lo.u32 %s, %s, 4, %s", from, cx.threadOffset(out), base);
        }
        String[] regs = new String[out.numRegs()];
        for (int r = 0; r < regs.length; r++) {
            regs[r] = w.reg(RegClass.B32);
            w.op("ld.shared.u32 %s, [%s+%d]", regs[r], from, out.regPart(r) * 4);
        }
        cx.smem.end();
        return new TileValue(out, DType.I32, regs);
    }
}
