package dev.tessera.cuda.codegen.dot;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.dot.MmaRules.Operand;
import dev.tessera.cuda.codegen.dot.MmaRules.Role;
import dev.tessera.cuda.codegen.gpu.GpuOp;
import dev.tessera.cuda.codegen.gpu.GpuProgram;
import dev.tessera.cuda.codegen.gpu.TensorCores.WarpGroups;
import dev.tessera.cuda.codegen.gpu.TensorCores.Wgmma;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.cuda.codegen.layout.SwizzledTile;
import dev.tessera.ir.Op.Dot;
import dev.tessera.types.DType;

/**
 * The matrix product on Hopper's warpgroup tensor cores ({@code wgmma.mma_async}, sm_90a). Both
 * operands are read by the tensor cores from shared memory, in {@link SwizzledTile#canonical}
 * tiles, through 64-bit matrix descriptors: a pipelined loop's buffer slot, or scratch that the
 * operand is staged into from registers. Each warpgroup runs {@code repM × repN} instructions
 * per k step on accumulators held in the {@link WarpGroups#accumulator() wgmma layout}, one
 * commit group, then waits as its {@link GpuOp.Wgmma.Completion completion} says: for it (the
 * result complete when the rule ends, as every other op's is), for nothing (a later
 * {@link GpuOp.WgmmaWait} does), or for the previous iteration's group (in flight in place).
 *
 * <p>A descriptor holds the start address and, for the swizzle mode the tile's atoms give (128,
 * 64 or 32 bytes), the stride between groups of 8 rows (SBO, 8 atoms' rows) and between atoms
 * along the row (LBO, a whole tile's rows of one atom; what an MN-major operand of more than one
 * atom steps by, ignored for K-major ones, whose k step of 32 bytes stays within an atom row).
 * Moving to another instruction's part of a tile adds a constant to the start address: the
 * parts start on multiples of 8 rows and 16 bytes, where the swizzle's phase is 0.
 * Generic-proxy writes (cp.async, st.shared) reach the tensor cores' async proxy only after a
 * {@code fence.proxy.async}, which every writing thread issues before the barrier.
 */
public final class WgmmaRules {
    private WgmmaRules() {}

    public static TileValue wgmma(GpuOp.Wgmma op, GpuProgram program, String slot, Lowerer cx) {
        PtxWriter w = cx.w;
        Dot dot = op.dot();
        WarpGroups groups = op.groups();
        Wgmma instr = op.instr();
        DistributedLayout out = cx.layoutOf(dot.result());
        if (!groups.accumulator().equals(out)) throw new IllegalStateException("dot result in " + out + ", not the wgmma layout of " + groups);
        int m = dot.a().type().shape().dim(0), k = dot.a().type().shape().dim(1), n = dot.b().type().shape().dim(1);
        DType in = dot.a().type().dtype();
        boolean tf32 = dot.precision() == Dot.Precision.TF32;
        // a product from zeros written over its registers (scale-d false): no zeros are moved into them first
        boolean fromZero = cx.target.overwriteZeros() && cx.layouts.isZeroConstant(dot.acc());
        TileValue acc = fromZero ? null : cx.operand(dot, dot.acc());
        TileValue b = op.b() == null ? cx.operandAny(dot, dot.b()) : null;   // staged as it is held
        // A straight from registers (packed or not) when it is held as the previous dot of a chain left it, else staged
        MmaRules.AFragments inRegisters = op.a() == null && groups.gn() == 1 ? MmaRules.fragmentsInRegisters(cx, dot, cx.operandAny(dot, dot.a())) : null;
        TileValue a = op.a() == null && inRegisters == null ? cx.operandAny(dot, dot.a()) : null;
        Operand oa = op.a() != null ? Operand.in(op.a())
                : inRegisters != null ? new Operand(Role.A, true, null, m, k, in, false) // read as fragments: no tile
                : staged(Role.A, m, k, in, instr, a.layout());
        Operand ob = op.b() != null ? Operand.in(op.b()) : staged(Role.B, n, k, in, instr, b.layout());
        w.comment(instr.instruction(groups.instrN()) + ": A " + (op.a() != null ? "from " + op.a() : inRegisters != null ? "from registers" : "staged") + ", B "
                + (op.b() != null ? "from " + op.b() : "staged") + "; " + groups.gm() + "x" + groups.gn() + " warpgroups, " + groups.repM() + "x"
                + groups.repN() + " instructions each");
        int aBytes = a != null ? align(oa.tile().bytes(), ob.tile().alignment()) : 0, bBytes = b != null ? ob.tile().bytes() : 0;
        String scratch = aBytes + bBytes > 0 ? cx.smem.begin(aBytes + bBytes, Math.max(a != null ? oa.tile().alignment() : 0, ob.tile().alignment())) : null;
        String aBase = a != null ? scratch : op.a() != null ? PipelineRules.slotBase(op.a(), program, slot, cx) : null;
        String bBase = b != null ? offset(cx, scratch, aBytes) : PipelineRules.slotBase(op.b(), program, slot, cx);
        if (a != null) MmaRules.stage(cx, a, oa, aBase, 0, tf32);
        if (b != null) MmaRules.stage(cx, b, ob, bBase, 0, tf32);
        if (scratch != null) {
            w.op("fence.proxy.async.shared::cta");
            cx.smem.sync();
        }
        TileValue result;
        if (op.completion() == GpuOp.Wgmma.Completion.NEXT_ITERATION) {
            // in place: the loop's carried registers, left for the next iteration's dot and the loop's end to wait for
            if (acc == null || !acc.layout().equals(out)) throw new IllegalStateException("an in-flight wgmma's accumulator is not held in " + out);
            result = acc;
        } else {
            result = cx.fresh(out, dot.result().type().element());
        }
        if (!fromZero && !java.util.Arrays.equals(result.regs(), acc.regs())) {
            for (int r = 0; r < out.numRegs(); r++) Emit.move(cx, result.regClass(), result.reg(r), acc.reg(r));
        }
        multiply(cx, instr, groups, oa, aBase, inRegisters, ob, bBase, result.regs(), fromZero);
        // a dot deferred to its first reader waits here after all when it staged an operand: the scratch is released now
        switch (op.completion()) {
            case AT_RULE_END -> w.op("wgmma.wait_group.sync.aligned 0");
            case AT_FIRST_READ -> { if (scratch != null) w.op("wgmma.wait_group.sync.aligned 0"); }
            case NEXT_ITERATION -> w.op("wgmma.wait_group.sync.aligned 1");
        }
        if (scratch != null) cx.smem.end();
        return result;
    }

    /**
     * An operand to stage from registers: MN-major when it is 16-bit and held along MN (as
     * {@code mma.sync}'s staging decides), so that its stores stay wide; else K-major.
     */
    private static Operand staged(Role role, int mn, int k, DType type, Wgmma instr, DistributedLayout held) {
        boolean kContiguous = !instr.transposable() || mn * type.byteSize() < 32 || MmaRules.kContiguous(held, role == Role.A ? 1 : 0, type);
        SwizzledTile tile = kContiguous ? SwizzledTile.canonical(mn, k, type.byteSize()) : SwizzledTile.canonical(k, mn, type.byteSize());
        return new Operand(role, kContiguous, tile, mn, k, type, false);
    }

    /** Every warpgroup's instructions over the whole K, on accumulators {@code acc}, committed as one group. */
    private static void multiply(Lowerer cx, Wgmma instr, WarpGroups g, Operand oa, String aBase, MmaRules.AFragments aRegisters, Operand ob,
                                 String bBase, String[] acc, boolean fromZero) {
        PtxWriter w = cx.w;
        String descA = aRegisters != null ? null : descriptor(cx, oa, aBase, groupOffset(cx, g, oa));
        String descB = descriptor(cx, ob, bBase, groupOffset(cx, g, ob));
        String accumulate = scaleD(cx, true), overwrite = fromZero ? scaleD(cx, false) : accumulate;
        // A in registers has no transpose flag of its own
        String transA = aRegisters != null ? "" : (oa.kContiguous() ? 0 : 1) + ", ";
        String tail = !instr.scaled() ? "" : instr.transposable() ? ", 1, 1, " + transA + (ob.kContiguous() ? 0 : 1) : ", 1, 1";
        int per = g.regsPerInstruction(), steps = oa.k() / instr.k();
        // every operand (descriptors, A's fragments packed from registers) before the fence, which
        // orders the registers' writes before the tensor cores read them
        String[][] da = new String[steps][g.repM()], db = new String[steps][g.repN()];
        for (int s = 0; s < steps; s++) {
            for (int mi = 0; mi < g.repM(); mi++) {
                da[s][mi] = aRegisters != null ? "{" + String.join(", ", aRegisters.at(s, mi)) + "}" : advance(cx, descA, oa, Wgmma.M * mi, s * instr.k());
            }
            for (int ni = 0; ni < g.repN(); ni++) db[s][ni] = advance(cx, descB, ob, g.instrN() * ni, s * instr.k());
        }
        w.op("wgmma.fence.sync.aligned");
        for (int s = 0; s < steps; s++) {
            for (int mi = 0; mi < g.repM(); mi++) {
                for (int ni = 0; ni < g.repN(); ni++) {
                    int first = per * (ni + g.repN() * mi);
                    String d = "{" + String.join(", ", java.util.Arrays.copyOfRange(acc, first, first + per)) + "}";
                    // from zeros, the first K step's instruction writes the registers, the later ones add to them
                    w.op("%s %s, %s, %s, %s%s", instr.instruction(g.instrN()), d, da[s][mi], db[s][ni], s == 0 ? overwrite : accumulate, tail);
                }
            }
        }
        w.op("wgmma.commit_group.sync.aligned");
    }

    /** The predicate register wgmma's scale-d reads: D = A·B + D when {@code accumulate}, else D = A·B. */
    private static String scaleD(Lowerer cx, boolean accumulate) {
        return cx.once("wgmma:scale-d:" + accumulate, () -> {
            String p = cx.w.reg(RegClass.PRED);
            cx.w.op("setp.ne.u32 %s, %d, 0", p, accumulate ? 1 : 0);
            return p;
        });
    }

    /**
     * The byte offset of the thread's warpgroup's part of the operand (a prologue register; null
     * for one warpgroup along the operand's dimension): its first row (A) or column (B) of the
     * result, whose offset is linear in the group's index (the group's bits map to distinct bits).
     */
    private static String groupOffset(Lowerer cx, WarpGroups g, Operand o) {
        boolean isA = o.role() == Role.A;
        int count = isA ? g.gm() : g.gn(), span = isA ? g.groupRows() : g.groupCols();
        if (count == 1) return null;
        int[] rc = isA ? o.stored(span, 0) : o.stored(0, span);
        int unit = o.tile().offset(rc[0], rc[1]);
        return cx.once("wgmma-group:" + g + o, () -> {
            PtxWriter w = cx.w;
            String index = w.reg(RegClass.B32);
            int shift = 2 + (isA ? DistributedLayout.log2(g.gn()) : 0);
            w.op("bfe.u32 %s, %s, %d, %d", index, cx.warp(), shift, DistributedLayout.log2(count));
            w.op("mul.lo.u32 %s, %s, %d", index, index, unit);
            return index;
        });
    }

    /** The descriptor of the operand's tile at {@code base} (plus the warpgroup's offset): a 64-bit register. */
    private static String descriptor(Lowerer cx, Operand o, String base, String groupOffset) {
        PtxWriter w = cx.w;
        SwizzledTile t = o.tile();
        int atom = t.atomBytes(), mode = atom == 128 ? 1 : atom == 64 ? 2 : 3;
        int lbo = t.rows() * atom, sbo = 8 * atom;
        String start = w.reg(RegClass.B32), lo = w.reg(RegClass.B32), desc = w.reg(RegClass.B64);
        if (groupOffset != null) w.op("add.u32 %s, %s, %s", start, base, groupOffset);
        else w.op("mov.u32 %s, %s", start, base);
        w.op("shr.u32 %s, %s, 4", lo, start);
        w.op("or.b32 %s, %s, %d", lo, lo, (lbo >> 4) << 16);
        String hi = cx.once("wgmma-desc-hi:" + sbo + "/" + mode, () -> Emit.u32(cx, (sbo >> 4) | (long) mode << 30));
        w.op("mov.b64 %s, {%s, %s}", desc, lo, hi);
        return desc;
    }

    /** The descriptor of the instruction whose part of the operand starts at logical (mn, k): the start address moved by the part's offset. */
    private static String advance(Lowerer cx, String desc, Operand o, int mn, int k) {
        int[] rc = o.role() == Role.A ? o.stored(mn, k) : o.stored(k, mn);
        int bytes = o.tile().offset(rc[0], rc[1]);
        if (bytes == 0) return desc;
        String r = cx.w.reg(RegClass.B64);
        cx.w.op("add.s64 %s, %s, %d", r, desc, bytes >> 4);
        return r;
    }

    private static String offset(Lowerer cx, String base, int bytes) {
        if (bytes == 0) return base;
        String r = cx.w.reg(RegClass.B32);
        cx.w.op("add.u32 %s, %s, %d", r, base, bytes);
        return r;
    }

    private static int align(int bytes, int alignment) { return (bytes + alignment - 1) & -alignment; }
}
