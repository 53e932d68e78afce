package dev.tessera.cuda.codegen.reduce;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.layout.LayoutConversion;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.Shuffles;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.Op.Reduce;
import dev.tessera.ir.Op.ReduceTuple;
import dev.tessera.ir.Shape;
import dev.tessera.types.DType;
import java.util.Arrays;

/**
 * Reductions along one axis, in three steps: within each thread over the registers along the axis;
 * within a warp with {@code shfl.sync.bfly} over the lane bits along it; across warps through
 * shared memory (each warp's partial at [result element][warp], then every thread combines the
 * partials in warp order). Every thread ends with the results its slice layout says it holds.
 */
public final class ReductionRules {
    private ReductionRules() {}

    public static TileValue reduce(Reduce op, DistributedLayout out, Lowerer cx) {
        TileValue in = cx.operand(op, op.input());
        Combiner comb = new Combiner(cx, op.kind(), op.combine(), op.input().type().dtype());
        String[][] acc = reduceParts(new TileValue[] {in}, op.axis(), comb, out, cx);
        String[] regs = new String[out.numRegs()];
        for (int o = 0; o < regs.length; o++) regs[o] = comb.isArg() ? acc[o][1] : comb.finish(acc[o][0]);
        return new TileValue(out, op.result().type().element(), regs);
    }

    /** A multi-operand reduce: the inputs share a layout, each accumulator holds one register per input. */
    public static void reduceTuple(ReduceTuple op, Lowerer cx) {
        int n = op.inputs().size();
        TileValue[] ins = new TileValue[n];
        for (int i = 0; i < n; i++) ins[i] = cx.operand(op, op.inputs().get(i));
        Combiner comb = new Combiner(cx, op.combine(), op.inputs().stream().map(v -> v.type().dtype()).toList());
        DistributedLayout out = cx.layoutOf(op.results().getFirst());
        String[][] acc = reduceParts(ins, op.axis(), comb, out, cx);
        for (int i = 0; i < n; i++) {
            String[] regs = new String[out.numRegs()];
            for (int o = 0; o < regs.length; o++) regs[o] = comb.finish(acc[o][i], i);
            cx.define(op.results().get(i), new TileValue(out, op.results().get(i).type().element(), regs));
        }
    }

    /** Each result register's accumulator (its parts), reduced within threads, across lanes, then across warps. */
    private static String[][] reduceParts(TileValue[] ins, int axis, Combiner comb, DistributedLayout out, Lowerer cx) {
        DistributedLayout l = ins[0].layout();
        Shape shape = l.shape();
        int shift = DistributedLayout.dimShift(shape, axis), axisMask = (shape.dim(axis) - 1) << shift;
        String axisThread = comb.isArg() ? axisCoordinateOfThread(cx, l, shift, axisMask) : null;

        // 1. within the thread, in register (= axis) order
        String[][] acc = new String[out.numRegs()][];
        for (int r = 0; r < l.numRegs(); r++) {
            int o = l.slicedRegister(axis, r);
            String[] v;
            if (comb.isArg()) v = new String[] {ins[0].reg(r), axisIndex(cx, axisThread, (l.regPart(r) & axisMask) >>> shift)};
            else {
                v = new String[ins.length];
                for (int i = 0; i < ins.length; i++) v[i] = ins[i].reg(r);
            }
            acc[o] = acc[o] == null ? v : comb.combine(acc[o], v);
        }
        // 2. across the lanes that hold other positions along the axis
        for (int bit = 0; bit < 5; bit++) {
            if ((l.laneBasis(bit) & axisMask) == 0) continue;
            String upper = null;
            if (comb.needsOrder()) {
                String u = cx.w.reg(RegClass.B32);
                upper = cx.w.reg(RegClass.PRED);
                cx.w.op("and.b32 %s, %s, %d", u, cx.lane(), 1 << bit);
                cx.w.op("setp.ne.u32 %s, %s, 0", upper, u);
            }
            for (int o = 0; o < acc.length; o++) {
                RegClass[] parts = comb.parts();
                String[] other = new String[parts.length];
                for (int p = 0; p < parts.length; p++) other[p] = Shuffles.shuffle(cx, parts[p], acc[o][p], "bfly", 1 << bit);
                acc[o] = ordered(cx, comb, upper, acc[o], other);
            }
        }
        // 3. across the warps that hold other positions along the axis
        int warpsAlong = 0, firstWarpBit = -1;
        for (int bit = 0; bit < l.warpBits(); bit++) {
            if ((l.warpBasis(bit) & axisMask) != 0) {
                if (firstWarpBit < 0) firstWarpBit = bit;
                warpsAlong++;
            }
        }
        if (warpsAlong > 0) acc = acrossWarps(cx, comb, l, out, acc, axisMask);
        return acc;
    }

    /** a ⊕ b where this lane's a comes first unless it is the upper lane of the pair. */
    static String[] ordered(Lowerer cx, Combiner comb, String upper, String[] mine, String[] other) {
        if (upper == null) return comb.combine(mine, other);
        RegClass[] parts = comb.parts();
        String[] lo = new String[parts.length], hi = new String[parts.length];
        for (int p = 0; p < parts.length; p++) {
            lo[p] = Emit.select(cx, parts[p], upper, other[p], mine[p]);
            hi[p] = Emit.select(cx, parts[p], upper, mine[p], other[p]);
        }
        return comb.combine(lo, hi);
    }

    /** The axis coordinate the thread's lanes and warps contribute (for arg reductions). */
    private static String axisCoordinateOfThread(Lowerer cx, DistributedLayout l, int shift, int axisMask) {
        if ((l.threadMask() & axisMask) == 0) return null;
        String t = cx.threadOffset(l), r = cx.w.reg(RegClass.B32);
        cx.w.op("and.b32 %s, %s, %d", r, t, axisMask);
        cx.w.op("shr.u32 %s, %s, %d", r, r, shift);
        return r;
    }

    private static String axisIndex(Lowerer cx, String thread, int regCoordinate) {
        String r = cx.w.reg(RegClass.B32);
        if (thread == null) cx.w.op("mov.u32 %s, %d", r, regCoordinate);
        else cx.w.op("add.u32 %s, %s, %d", r, thread, regCoordinate);
        return r;
    }

    private static String[][] acrossWarps(Lowerer cx, Combiner comb, DistributedLayout l, DistributedLayout out, String[][] acc, int axisMask) {
        PtxWriter w = cx.w;
        int warpsAlong = 0;
        for (int bit = 0; bit < l.warpBits(); bit++) if ((l.warpBasis(bit) & axisMask) != 0) warpsAlong++;
        int slots = 1 << warpsAlong;
        // this warp's index among the warps along the axis
        String wIndex = w.reg(RegClass.B32);
        w.op("mov.u32 %s, 0", wIndex);
        for (int bit = 0, j = 0; bit < l.warpBits(); bit++) {
            if ((l.warpBasis(bit) & axisMask) == 0) continue;
            String b = w.reg(RegClass.B32);
            w.op("bfe.u32 %s, %s, %d, 1", b, cx.warp(), bit);
            if (j > 0) w.op("shl.b32 %s, %s, %d", b, b, j);
            w.op("or.b32 %s, %s, %s", wIndex, wIndex, b);
            j++;
        }
        RegClass[] parts = comb.parts();
        int[] partBytes = new int[parts.length];
        int total = 0;
        for (int p = 0; p < parts.length; p++) {
            partBytes[p] = LayoutConversion.elementBytes(parts[p]);
            total += out.shape().numel() * slots * partBytes[p];
        }
        String base = cx.smem.begin(total);
        String outOffset = out.threadMask() == 0 ? null : cx.threadOffset(out);
        String[] slot = new String[acc.length];
        for (int o = 0; o < acc.length; o++) {
            // slot index = result element * slots + warp index
            String e = w.reg(RegClass.B32);
            if (outOffset == null) w.op("mov.u32 %s, %d", e, out.regPart(o) * slots);
            else w.op("mad.lo.u32 %s, %s, %d, %d", e, outOffset, slots, out.regPart(o) * slots);
            slot[o] = e;
            int partBase = 0;
            for (int p = 0; p < parts.length; p++) {
                String a = w.reg(RegClass.B32);
                w.op("add.u32 %s, %s, %s", a, e, wIndex);
                w.op("mad.lo.u32 %s, %s, %d, %s", a, a, partBytes[p], base);
                String v = parts[p] == RegClass.PRED ? Emit.fromPred(cx, acc[o][p]) : acc[o][p];
                w.op("st.shared%s [%s+%d], %s", sharedType(parts[p]), a, partBase, v);
                partBase += out.shape().numel() * slots * partBytes[p];
            }
        }
        cx.smem.sync();
        String[][] result = new String[acc.length][];
        for (int o = 0; o < acc.length; o++) {
            String[][] loaded = new String[parts.length][];
            int partBase = 0;
            for (int p = 0; p < parts.length; p++) {
                loaded[p] = loadSlots(cx, parts[p], slot[o], base, partBase, slots, partBytes[p]);
                partBase += out.shape().numel() * slots * partBytes[p];
            }
            String[] a = null;
            for (int k = 0; k < slots; k++) {
                String[] v = new String[parts.length];
                for (int p = 0; p < parts.length; p++) v[p] = parts[p] == RegClass.PRED ? Emit.toPred(cx, loaded[p][k]) : loaded[p][k];
                a = a == null ? v : comb.combine(a, v);
            }
            result[o] = a;
        }
        cx.smem.end();
        return result;
    }

    /**
     * One result element's partials of one part, slot by slot, read with loads of up to 16 bytes
     * where they line up: a slot index is a multiple of the slot count, and the array starts
     * 16-byte aligned.
     */
    private static String[] loadSlots(Lowerer cx, RegClass k, String slot, String base, int partBase, int slots, int bytes) {
        PtxWriter w = cx.w;
        String addr = w.reg(RegClass.B32);
        w.op("mad.lo.u32 %s, %s, %d, %s", addr, slot, bytes, base);
        int vec = Math.min(slots, 16 / bytes);
        while (partBase % (vec * bytes) != 0) vec /= 2;
        RegClass raw = k == RegClass.PRED ? RegClass.B32 : k;
        String[] out = new String[slots];
        for (int s = 0; s < slots; s += vec) {
            for (int j = 0; j < vec; j++) out[s + j] = w.reg(raw);
            String list = vec == 1 ? out[s] : "{" + String.join(", ", Arrays.copyOfRange(out, s, s + vec)) + "}";
            w.op("ld.shared%s%s %s, [%s+%d]", vec == 1 ? "" : ".v" + vec, sharedType(k), list, addr, partBase + s * bytes);
        }
        return out;
    }

    static String sharedType(RegClass k) {
        return switch (k) {
            case F32 -> ".f32";
            case F64 -> ".f64";
            case B64 -> ".b64";
            default -> ".b32";
        };
    }
}
