package dev.tessera.cuda.codegen.reduce;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.layout.LayoutAssignment;
import dev.tessera.cuda.codegen.layout.LayoutConversion;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.Shuffles;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.Op.Scan;
import dev.tessera.ir.Op.ScanTuple;
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
public final class ScanRules {
    private ScanRules() {}

    public static TileValue scan(Scan op, DistributedLayout out, Lowerer cx) {
        TileValue in = cx.operand(op, op.input());
        Combiner comb = new Combiner(cx, op.kind(), op.combine(), op.input().type().dtype());
        String[][] x = scanParts(new TileValue[] {in}, op.axis(), op.reverse(), comb, cx);
        String[] regs = new String[x.length];
        for (int r = 0; r < x.length; r++) regs[r] = comb.finish(x[r][0]);
        return new TileValue(out, op.result().type().element(), regs);
    }

    /** A multi-operand scan: the inputs share a layout, each element carries one register per input. */
    public static void scanTuple(ScanTuple op, Lowerer cx) {
        int n = op.inputs().size();
        TileValue[] ins = new TileValue[n];
        for (int i = 0; i < n; i++) ins[i] = cx.operand(op, op.inputs().get(i));
        Combiner comb = new Combiner(cx, op.combine(), op.inputs().stream().map(v -> v.type().dtype()).toList());
        String[][] x = scanParts(ins, op.axis(), op.reverse(), comb, cx);
        DistributedLayout out = cx.layoutOf(op.results().getFirst());
        for (int i = 0; i < n; i++) {
            String[] regs = new String[x.length];
            for (int r = 0; r < x.length; r++) regs[r] = comb.finish(x[r][i], i);
            cx.define(op.results().get(i), new TileValue(out, op.results().get(i).type().element(), regs));
        }
    }

    /** Each register's scanned value, as the combine's parts (one per input). */
    private static String[][] scanParts(TileValue[] ins, int axis, boolean reverse, Combiner comb, Lowerer cx) {
        DistributedLayout l = ins[0].layout();
        PtxWriter w = cx.w;
        RegClass[] k = comb.parts();
        Shape shape = l.shape();
        int shift = DistributedLayout.dimShift(shape, axis), bits = DistributedLayout.log2(shape.dim(axis));
        int axisMask = (shape.dim(axis) - 1) << shift;

        // which register bits, lane bits and warp bits run along the axis
        int axisRegMask = 0;
        int laneLow = -1, lanes = 0, warpLow = -1, warps = 0;
        for (int i = 0; i < l.regBits(); i++) if ((l.regBasis(i) & axisMask) != 0) axisRegMask |= 1 << i;
        for (int i = 0; i < 5; i++) if ((l.laneBasis(i) & axisMask) != 0) { if (laneLow < 0) laneLow = i; lanes++; }
        for (int i = 0; i < l.warpBits(); i++) if ((l.warpBasis(i) & axisMask) != 0) { if (warpLow < 0) warpLow = i; warps++; }

        // 1. each thread's runs (registers that differ only in axis bits), in scan order
        String[][] x = new String[l.numRegs()][ins.length];
        for (int r = 0; r < x.length; r++) for (int i = 0; i < ins.length; i++) x[r][i] = ins[i].reg(r);
        List<int[]> runs = new ArrayList<>();
        for (int r = 0; r < l.numRegs(); r++) {
            if ((r & axisRegMask) != 0) continue;
            List<Integer> run = new ArrayList<>();
            for (int s = 0; s < l.numRegs(); s++) if ((s & ~axisRegMask) == r) run.add(s);
            if (reverse) java.util.Collections.reverse(run);
            runs.add(run.stream().mapToInt(Integer::intValue).toArray());
        }
        for (int[] run : runs) {
            for (int i = 1; i < run.length; i++) x[run[i]] = comb.combine(x[run[i - 1]], x[run[i]]);
        }
        // 2. across lanes: inclusive scan of the run totals, then fold in the exclusive prefix
        if (lanes > 0) {
            String laneIdx = w.reg(RegClass.B32);
            w.op("bfe.u32 %s, %s, %d, %d", laneIdx, cx.lane(), laneLow, lanes);
            int n = 1 << lanes;
            String mode = reverse ? "down" : "up";
            for (int[] run : runs) {
                String[] total = x[run[run.length - 1]];
                for (int d = 1; d < n; d <<= 1) {
                    String[] y = shuffle(cx, k, total, mode, d << laneLow);
                    String valid = w.reg(RegClass.PRED);
                    if (reverse) w.op("setp.lt.u32 %s, %s, %d", valid, laneIdx, n - d);
                    else w.op("setp.ge.u32 %s, %s, %d", valid, laneIdx, d);
                    total = select(cx, k, valid, comb.combine(y, total), total);
                }
                String[] prefix = shuffle(cx, k, total, mode, 1 << laneLow);
                String has = w.reg(RegClass.PRED);
                if (reverse) w.op("setp.lt.u32 %s, %s, %d", has, laneIdx, n - 1);
                else w.op("setp.ne.u32 %s, %s, 0", has, laneIdx);
                for (int r : run) x[r] = select(cx, k, has, comb.combine(prefix, x[r]), x[r]);
            }
        }
        // 3. across warps: each warp's totals through shared memory
        if (warps > 0) acrossWarps(cx, comb, l, runs, x, axisMask, shift, bits, laneLow, lanes, warpLow, warps, reverse);
        return x;
    }

    private static String[] shuffle(Lowerer cx, RegClass[] k, String[] v, String mode, int delta) {
        String[] r = new String[v.length];
        for (int p = 0; p < v.length; p++) r[p] = Shuffles.shuffle(cx, k[p], v[p], mode, delta);
        return r;
    }

    private static String[] select(Lowerer cx, RegClass[] k, String pred, String[] a, String[] b) {
        String[] r = new String[a.length];
        for (int p = 0; p < a.length; p++) r[p] = Emit.select(cx, k[p], pred, a[p], b[p]);
        return r;
    }

    private static void acrossWarps(Lowerer cx, Combiner comb, DistributedLayout l, List<int[]> runs, String[][] x, int axisMask, int shift,
                                    int bits, int laneLow, int lanes, int warpLow, int warps, boolean reverse) {
        PtxWriter w = cx.w;
        RegClass[] k = comb.parts();
        int slots = 1 << warps;
        int rows = l.shape().numel() >> bits;
        // one array of [row][warp] per part, each 8-byte aligned
        int[] eb = new int[k.length], partBase = new int[k.length];
        int total = 0;
        for (int p = 0; p < k.length; p++) {
            eb[p] = LayoutConversion.elementBytes(k[p]);
            partBase[p] = total;
            total += (rows * slots * eb[p] + 7) / 8 * 8;
        }
        String base = cx.smem.begin(total);
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
        String[] rowIdx = new String[runs.size()];
        for (int i = 0; i < runs.size(); i++) {
            int[] run = runs.get(i);
            int part = l.regPart(run[0]) & ~axisMask;
            int rowConst = (part & ((1 << shift) - 1)) | ((part >>> (shift + bits)) << shift);
            String a = w.reg(RegClass.B32);
            w.op("add.u32 %s, %s, %d", a, rowThread, rowConst);
            rowIdx[i] = a;
            String[] sum = x[run[run.length - 1]];
            for (int p = 0; p < k.length; p++) {
                String slotAddr = w.reg(RegClass.B32);
                w.op("mad.lo.u32 %s, %s, %d, %s", slotAddr, a, slots, warpIdx);
                w.op("mad.lo.u32 %s, %s, %d, %s", slotAddr, slotAddr, eb[p], base);
                String v = k[p] == RegClass.PRED ? Emit.fromPred(cx, sum[p]) : sum[p];
                w.op("%sst.shared%s [%s+%d], %s", writer == null ? "" : "@" + writer + " ", ReductionRules.sharedType(k[p]), slotAddr, partBase[p], v);
            }
        }
        cx.smem.sync();
        for (int i = 0; i < runs.size(); i++) {
            // combine the totals of the warps before this one, in scan order
            String[] prefix = null;
            String has = null;
            String[] partAddr = new String[k.length];
            for (int p = 0; p < k.length; p++) {
                partAddr[p] = w.reg(RegClass.B32);
                w.op("mad.lo.u32 %s, %s, %d, %s", partAddr[p], rowIdx[i], slots * eb[p], base);
            }
            for (int s = 0; s < slots; s++) {
                int wIdx = reverse ? slots - 1 - s : s;
                String[] v = new String[k.length];
                for (int p = 0; p < k.length; p++) {
                    String raw = w.reg(k[p] == RegClass.PRED ? RegClass.B32 : k[p]);
                    w.op("ld.shared%s %s, [%s+%d]", ReductionRules.sharedType(k[p]), raw, partAddr[p], partBase[p] + wIdx * eb[p]);
                    v[p] = k[p] == RegClass.PRED ? Emit.toPred(cx, raw) : raw;
                }
                String before = w.reg(RegClass.PRED);
                w.op("setp.%s.u32 %s, %s, %d", reverse ? "lt" : "gt", before, warpIdx, wIdx);
                if (prefix == null) {
                    prefix = v;
                    has = before;
                } else {
                    // prefix grows only while the warp is before this one (before implies has)
                    String[] next = select(cx, k, before, comb.combine(prefix, v), prefix);
                    prefix = select(cx, k, has, next, v);
                    String h = w.reg(RegClass.PRED);
                    w.op("or.pred %s, %s, %s", h, has, before);
                    has = h;
                }
            }
            for (int r : runs.get(i)) x[r] = select(cx, k, has, comb.combine(prefix, x[r]), x[r]);
        }
        cx.smem.end();
    }
}
