package dev.tessera.cuda.codegen.dot;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.convert.NarrowFloats;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.Op.Dot;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The matrix product with FMAs (tensor cores are a later step). Both operands are staged in shared
 * memory, A transposed ([k][m]) and B as is ([k][n]), each row padded by 16 bytes; tf32 inputs
 * are rounded as they are stored ({@code cvt.rna.tf32.f32}, exactly Numerics.roundTf32), narrow
 * floats enter as their f32 values, i8/u8 as 32-bit integers. Each thread then owns a rectangle
 * of the result (see {@link dev.tessera.cuda.codegen.layout.Layouts#dot}): per k it reads its rows
 * of A and columns of B with vector loads and does rows × columns FMAs, in a loop unrolled by 8.
 */
public final class DotRules {
    private DotRules() {}

    private static final int UNROLL = 8, PAD_BYTES = 16;

    public static TileValue dot(Dot op, DistributedLayout out, Lowerer cx) {
        PtxWriter w = cx.w;
        TileValue a = cx.operand(op, op.a()), b = cx.operand(op, op.b()), acc = cx.operand(op, op.acc());
        DType in = op.a().type().dtype(), accType = op.acc().type().dtype();
        int m = op.a().type().shape().dim(0), kk = op.a().type().shape().dim(1), n = op.b().type().shape().dim(1);
        boolean f64 = in == DType.F64, ints = in.isInteger();
        boolean tf32 = op.precision() == Dot.Precision.TF32 && in == DType.F32;
        int eb = f64 ? 8 : 4;
        RegClass k = f64 ? RegClass.F64 : ints ? RegClass.B32 : RegClass.F32;
        String st = f64 ? ".f64" : ints ? ".b32" : ".f32";
        int rowA = m * eb + PAD_BYTES, rowB = n * eb + PAD_BYTES;
        int bytesA = kk * rowA, bytesB = kk * rowB;
        String base = cx.smem.begin(bytesA + bytesB);
        w.comment("dot: stage A^T [" + kk + "][" + m + "] and B [" + kk + "][" + n + "] in shared memory");
        stage(cx, a, base, 0, rowA, eb, st, true, tf32);
        stage(cx, b, base, bytesA, rowB, eb, st, false, tf32);
        cx.smem.sync();

        // the thread's rows and columns of the result
        String offset = out.threadMask() == 0 ? null : cx.threadOffset(out);
        int logN = DistributedLayout.log2(n);
        Map<Integer, Integer> rowIndex = new LinkedHashMap<>(), colIndex = new LinkedHashMap<>();
        for (int r = 0; r < out.numRegs(); r++) {
            int e = out.regPart(r);
            rowIndex.putIfAbsent(e >>> logN, rowIndex.size());
            colIndex.putIfAbsent(e & (n - 1), colIndex.size());
        }
        List<Integer> rows = new ArrayList<>(rowIndex.keySet()), cols = new ArrayList<>(colIndex.keySet());
        String aAddr = w.reg(RegClass.B32), bAddr = w.reg(RegClass.B32);
        if (offset == null) {
            w.op("mov.u32 %s, %s", aAddr, base);
            w.op("add.u32 %s, %s, %d", bAddr, base, bytesA);
        } else {
            String tr = w.reg(RegClass.B32), tc = w.reg(RegClass.B32);
            w.op("shr.u32 %s, %s, %d", tr, offset, logN);
            w.op("and.b32 %s, %s, %d", tc, offset, n - 1);
            w.op("mad.lo.u32 %s, %s, %d, %s", aAddr, tr, eb, base);
            w.op("mad.lo.u32 %s, %s, %d, %s", bAddr, tc, eb, base);
            w.op("add.u32 %s, %s, %d", bAddr, bAddr, bytesA);
        }
        // accumulators: fresh registers starting from acc
        TileValue result = cx.fresh(out, accType);
        for (int r = 0; r < out.numRegs(); r++) Emit.move(cx, k, result.reg(r), acc.reg(r));
        int unroll = Math.min(UNROLL, kk);
        String loop = w.label("dot_k"), count = w.reg(RegClass.B32), more = w.reg(RegClass.PRED);
        w.op("mov.u32 %s, 0", count);
        w.place(loop);
        for (int u = 0; u < unroll; u++) {
            String[] av = readRun(cx, aAddr, u * rowA, rows, eb, st, k);
            String[] bv = readRun(cx, bAddr, u * rowB, cols, eb, st, k);
            for (int r = 0; r < out.numRegs(); r++) {
                int e = out.regPart(r);
                String x = av[rowIndex.get(e >>> logN)], y = bv[colIndex.get(e & (n - 1))];
                if (ints) w.op("mad.lo.s32 %s, %s, %s, %s", result.reg(r), x, y, result.reg(r));
                else w.op("fma.rn.%s %s, %s, %s, %s", f64 ? "f64" : "f32", result.reg(r), x, y, result.reg(r));
            }
        }
        w.op("add.u32 %s, %s, %d", aAddr, aAddr, unroll * rowA);
        w.op("add.u32 %s, %s, %d", bAddr, bAddr, unroll * rowB);
        w.op("add.u32 %s, %s, %d", count, count, unroll);
        w.op("setp.lt.u32 %s, %s, %d", more, count, kk);
        w.op("@%s bra %s", more, loop);
        cx.smem.end();
        if (accType.isNarrowFloat()) {
            String[] rounded = new String[out.numRegs()];
            for (int r = 0; r < rounded.length; r++) rounded[r] = NarrowFloats.round(cx, result.reg(r), accType);
            return new TileValue(out, accType, rounded);
        }
        return result;
    }

    /** Writes an operand into its shared array: A transposed (row k holds column k), B as is. */
    private static void stage(Lowerer cx, TileValue v, String base, int start, int rowBytes, int eb, String st, boolean transpose, boolean tf32) {
        PtxWriter w = cx.w;
        DistributedLayout l = v.layout();
        int cols = l.shape().dim(1), logC = DistributedLayout.log2(cols);
        String offset = l.threadMask() == 0 ? null : cx.threadOffset(l);
        String addr = w.reg(RegClass.B32);
        // address of (i, j): transposed: j * rowBytes + i * eb; else i * rowBytes + j * eb
        if (offset == null) {
            w.op("add.u32 %s, %s, %d", addr, base, start);
        } else {
            String i = w.reg(RegClass.B32), j = w.reg(RegClass.B32);
            w.op("shr.u32 %s, %s, %d", i, offset, logC);
            w.op("and.b32 %s, %s, %d", j, offset, cols - 1);
            if (transpose) {
                w.op("mul.lo.u32 %s, %s, %d", j, j, rowBytes);
                w.op("mad.lo.u32 %s, %s, %d, %s", addr, i, eb, j);
            } else {
                w.op("mul.lo.u32 %s, %s, %d", i, i, rowBytes);
                w.op("mad.lo.u32 %s, %s, %d, %s", addr, j, eb, i);
            }
            w.op("add.u32 %s, %s, %s", addr, addr, base);
            if (start != 0) w.op("add.u32 %s, %s, %d", addr, addr, start);
        }
        for (int r = 0; r < v.size(); r++) {
            int e = l.regPart(r), i = e >>> logC, j = e & (cols - 1);
            int off = transpose ? j * rowBytes + i * eb : i * rowBytes + j * eb;
            String x = v.reg(r);
            if (tf32) {
                String t = w.reg(RegClass.B32);
                w.op("cvt.rna.tf32.f32 %s, %s", t, x);
                w.op("st.shared.b32 [%s+%d], %s", addr, off, t);
            } else {
                w.op("st.shared%s [%s+%d], %s", st, addr, off, x);
            }
        }
    }

    /** The operand values at the given offsets of one shared row, with vector loads over aligned runs of 4 (2 for f64). */
    private static String[] readRun(Lowerer cx, String addr, int rowOffset, List<Integer> idx, int eb, String st, RegClass k) {
        PtxWriter w = cx.w;
        String[] out = new String[idx.size()];
        int maxVec = 16 / eb;
        for (int i = 0; i < idx.size(); ) {
            int start = idx.get(i), vec = 1;
            while (vec < maxVec && start % (vec * 2) == 0 && i + vec * 2 <= idx.size() && consecutive(idx, i, vec * 2)) vec *= 2;
            String[] regs = new String[vec];
            for (int j = 0; j < vec; j++) regs[j] = w.reg(k);
            w.op("ld.shared%s%s %s, [%s+%d]", vec == 1 ? "" : ".v" + vec, st, vec == 1 ? regs[0] : "{" + String.join(", ", regs) + "}",
                    addr, rowOffset + start * eb);
            System.arraycopy(regs, 0, out, i, vec);
            i += vec;
        }
        return out;
    }

    private static boolean consecutive(List<Integer> idx, int from, int count) {
        for (int j = 1; j < count; j++) if (idx.get(from + j) != idx.get(from) + j) return false;
        return true;
    }
}
