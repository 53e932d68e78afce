package dev.tessera.cuda.codegen;

import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.Op.Scan;
import dev.tessera.ir.Shape;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * Inclusive scans along one axis, on a layout whose axis runs through registers, then lanes, then
 * warps (see {@link LayoutAssignment#isScanFriendly}): a sequential scan of each thread's run;
 * a Hillis-Steele scan of the runs' totals across the lanes with {@code shfl.sync.up} (down for
 * reverse scans) and the exclusive prefix folded in; and the warps' totals through shared memory,
 * each thread folding in the totals of the warps before its own. The combine always takes the
 * earlier elements (in scan order) on its left, as the CPU backend's sequential scan does.
 */
final class ScanRules {
    private ScanRules() {}

    static TileValue scan(Scan op, DistributedLayout out, Lowerer cx) {
        TileValue in = cx.operand(op, op.input());
        DistributedLayout l = in.layout();
        PtxWriter w = cx.w;
        DType t = op.input().type().dtype();
        Combiner comb = new Combiner(cx, op.kind(), op.combine(), t);
        RegClass k = RegClass.of(t);
        boolean reverse = op.reverse();
        Shape shape = l.shape();
        int axis = op.axis(), shift = DistributedLayout.dimShift(shape, axis), bits = DistributedLayout.log2(shape.dim(axis));
        int axisMask = (shape.dim(axis) - 1) << shift;

        // which register bits, lane bits and warp bits run along the axis
        int axisRegMask = 0;
        int laneLow = -1, lanes = 0, warpLow = -1, warps = 0;
        for (int i = 0; i < l.regBits(); i++) if ((l.regBasis(i) & axisMask) != 0) axisRegMask |= 1 << i;
        for (int i = 0; i < 5; i++) if ((l.laneBasis(i) & axisMask) != 0) { if (laneLow < 0) laneLow = i; lanes++; }
        for (int i = 0; i < l.warpBits(); i++) if ((l.warpBasis(i) & axisMask) != 0) { if (warpLow < 0) warpLow = i; warps++; }

        // 1. each thread's runs (registers that differ only in axis bits), in scan order
        String[] x = in.regs().clone();
        List<int[]> runs = new ArrayList<>();
        for (int r = 0; r < l.numRegs(); r++) {
            if ((r & axisRegMask) != 0) continue;
            List<Integer> run = new ArrayList<>();
            for (int s = 0; s < l.numRegs(); s++) if ((s & ~axisRegMask) == r) run.add(s);
            if (reverse) java.util.Collections.reverse(run);
            runs.add(run.stream().mapToInt(Integer::intValue).toArray());
        }
        for (int[] run : runs) {
            for (int i = 1; i < run.length; i++) x[run[i]] = comb.combine(new String[] {x[run[i - 1]]}, new String[] {x[run[i]]})[0];
        }
        // 2. across lanes: inclusive scan of the run totals, then fold in the exclusive prefix
        if (lanes > 0) {
            String laneIdx = w.reg(RegClass.B32);
            w.op("bfe.u32 %s, %s, %d, %d", laneIdx, cx.lane(), laneLow, lanes);
            int n = 1 << lanes;
            String mode = reverse ? "down" : "up";
            for (int[] run : runs) {
                String total = x[run[run.length - 1]];
                for (int d = 1; d < n; d <<= 1) {
                    String y = Shuffles.shuffle(cx, k, total, mode, d << laneLow);
                    String valid = w.reg(RegClass.PRED);
                    if (reverse) w.op("setp.lt.u32 %s, %s, %d", valid, laneIdx, n - d);
                    else w.op("setp.ge.u32 %s, %s, %d", valid, laneIdx, d);
                    String c = comb.combine(new String[] {y}, new String[] {total})[0];
                    total = Emit.select(cx, k, valid, c, total);
                }
                String prefix = Shuffles.shuffle(cx, k, total, mode, 1 << laneLow);
                String has = w.reg(RegClass.PRED);
                if (reverse) w.op("setp.lt.u32 %s, %s, %d", has, laneIdx, n - 1);
                else w.op("setp.ne.u32 %s, %s, 0", has, laneIdx);
                for (int r : run) x[r] = Emit.select(cx, k, has, comb.combine(new String[] {prefix}, new String[] {x[r]})[0], x[r]);
            }
        }
        // 3. across warps: each warp's totals through shared memory
        if (warps > 0) acrossWarps(cx, comb, l, runs, x, axisMask, shift, bits, laneLow, lanes, warpLow, warps, reverse);
        String[] regs = new String[x.length];
        for (int r = 0; r < x.length; r++) regs[r] = comb.finish(x[r]);
        return new TileValue(out, op.result().type().element(), regs);
    }

    private static void acrossWarps(Lowerer cx, Combiner comb, DistributedLayout l, List<int[]> runs, String[] x, int axisMask, int shift,
                                    int bits, int laneLow, int lanes, int warpLow, int warps, boolean reverse) {
        PtxWriter w = cx.w;
        RegClass k = RegClass.of(comb.type);
        int eb = LayoutConversion.elementBytes(k), slots = 1 << warps;
        int rows = l.shape().numel() >> bits;
        String base = cx.smem.begin(rows * slots * eb);
        String warpIdx = w.reg(RegClass.B32);
        w.op("bfe.u32 %s, %s, %d, %d", warpIdx, cx.warp(), warpLow, warps);
        // the lane holding a warp's total: the last in scan order along the axis
        String writer = null;
        if (lanes > 0) {
            String li = w.reg(RegClass.B32);
            writer = w.reg(RegClass.PRED);
            w.op("bfe.u32 %s, %s, %d, %d", li, cx.lane(), laneLow, lanes);
            w.op("setp.eq.u32 %s, %s, %d", writer, li, reverse ? 0 : (1 << lanes) - 1);
        }
        // a row is an element's position with the axis bits removed
        String offset = cx.threadOffset(l);
        String rowThread = w.reg(RegClass.B32), hi = w.reg(RegClass.B32);
        w.op("and.b32 %s, %s, %d", rowThread, offset, (1 << shift) - 1);
        w.op("shr.u32 %s, %s, %d", hi, offset, shift + bits);
        w.op("shl.b32 %s, %s, %d", hi, hi, shift);
        w.op("or.b32 %s, %s, %s", rowThread, rowThread, hi);
        String[] rowAddr = new String[runs.size()];
        for (int i = 0; i < runs.size(); i++) {
            int[] run = runs.get(i);
            int part = l.regPart(run[0]) & ~axisMask;
            int rowConst = (part & ((1 << shift) - 1)) | ((part >>> (shift + bits)) << shift);
            String a = w.reg(RegClass.B32);
            w.op("add.u32 %s, %s, %d", a, rowThread, rowConst);
            w.op("mad.lo.u32 %s, %s, %d, %s", a, a, slots * eb, base);
            rowAddr[i] = a;
            String slotAddr = w.reg(RegClass.B32);
            w.op("mad.lo.u32 %s, %s, %d, %s", slotAddr, warpIdx, eb, a);
            String total = x[run[run.length - 1]];
            String v = k == RegClass.PRED ? Emit.fromPred(cx, total) : total;
            w.op("%sst.shared%s [%s], %s", writer == null ? "" : "@" + writer + " ", ReductionRules.sharedType(k), slotAddr, v);
        }
        cx.smem.sync();
        for (int i = 0; i < runs.size(); i++) {
            // combine the totals of the warps before this one, in scan order
            String prefix = null, has = null;
            for (int s = 0; s < slots; s++) {
                int wIdx = reverse ? slots - 1 - s : s;
                String raw = w.reg(k == RegClass.PRED ? RegClass.B32 : k);
                w.op("ld.shared%s %s, [%s+%d]", ReductionRules.sharedType(k), raw, rowAddr[i], wIdx * eb);
                String v = k == RegClass.PRED ? Emit.toPred(cx, raw) : raw;
                String before = w.reg(RegClass.PRED);
                w.op("setp.%s.u32 %s, %s, %d", reverse ? "lt" : "gt", before, warpIdx, wIdx);
                if (prefix == null) {
                    prefix = v;
                    has = before;
                } else {
                    String c = comb.combine(new String[] {prefix}, new String[] {v})[0];
                    // prefix grows only while the warp is before this one (before implies has)
                    String next = Emit.select(cx, k, before, c, prefix);
                    prefix = Emit.select(cx, k, has, next, v);
                    String h = w.reg(RegClass.PRED);
                    w.op("or.pred %s, %s, %s", h, has, before);
                    has = h;
                }
            }
            for (int r : runs.get(i)) x[r] = Emit.select(cx, k, has, comb.combine(new String[] {prefix}, new String[] {x[r]})[0], x[r]);
        }
        cx.smem.end();
    }
}
