package dev.tessera.cuda.codegen.dot;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.GpuLowering;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.memory.MemoryRules;
import dev.tessera.cuda.codegen.memory.TmaRules;
import dev.tessera.cuda.codegen.PtxLowering;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.dot.MmaRules.Operand;
import dev.tessera.cuda.codegen.control.ControlRules;
import dev.tessera.cuda.codegen.gpu.GpuOp;
import dev.tessera.cuda.codegen.gpu.GpuProgram;
import dev.tessera.cuda.codegen.gpu.SharedBuffer;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.Op.For;
import dev.tessera.ir.Op.Load;
import dev.tessera.ir.Op.Yield;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * Lowering of {@link GpuOp.PipelinedFor} with distance d (stages − 1, or stages − 2 with a wgmma
 * in flight): the prologue issues the copies of iterations 0 … d − 1 (one commit group each);
 * iteration i of the loop waits until only d − 1 groups are in flight (its own has landed) and
 * passes a barrier (so every warp has finished reading the slot iteration i + d − stages used:
 * i − 1's, or i − 2's, whose wgmma each warp waited for in iteration i − 1), issues stage 0 of
 * iteration i + d into that slot as one commit group (its copies fly while this iteration
 * computes), then runs the current stage on slot {@code i % stages}; after the loop, every dot
 * and copy is waited for. Copies of iterations at or past the loop's end are issued with a
 * source size of 0, which zero-fills and reads nothing.
 *
 * <p>Copies by the tensor-memory accelerator ({@link GpuOp.TmaCopy}) ride along: stage 0 arms its
 * slot's mbarrier and thread 0 issues the boxes (none at or past the loop's end: nothing waits for
 * them), and iteration i waits on slot i % stages's mbarrier before the barrier (see
 * {@link TmaRules}). Before the prologue, a proxy fence and a barrier order earlier generic
 * accesses of the buffers' bytes (scratch of earlier ops) before the unit's writes. A loop that
 * copies only by TMA passes no barrier in its iterations: its slots are released through
 * mbarriers ({@link GpuOp.PipelinedFor#released}) at the end of the iteration after which no
 * wgmma reads them, and the issuing thread waits for that before copying into one again.
 */
public final class PipelineRules {
    private PipelineRules() {}

    /** The loop whole: each iteration's copies issued {@code distance} iterations ahead, then its own stage 1. */
    public static void lower(GpuOp.PipelinedFor pf, GpuProgram program, Lowerer cx) { lower(pf, program, cx, false); }

    /**
     * The consumers' side of a loop whose copies a producer warp issues ({@link GpuOp.Consume}):
     * the mbarriers initialized, a barrier of all threads (so the producer sees them), then every
     * iteration waits for its slot's copies, runs stage 1 and releases the slot.
     */
    public static void consume(GpuOp.PipelinedFor pf, GpuProgram program, Lowerer cx) { lower(pf, program, cx, true); }

    private static void lower(GpuOp.PipelinedFor pf, GpuProgram program, Lowerer cx, boolean consumer) {
        PtxWriter w = cx.w;
        For f = pf.loop();
        int stages = pf.stages();
        Induction in = Induction.of(f, cx);
        DType ivType = in.type();
        String it = in.intType(), lower = in.lower(), upper = in.upper(), step = in.step();
        RegClass ivk = RegClass.of(ivType);
        List<Value> args = f.body().args().subList(1, f.body().args().size());
        Yield yield = (Yield) f.body().terminator();
        List<TileValue> carried = carriedFromInits(f, java.util.stream.IntStream.range(0, args.size()).boxed().toList(), cx);
        ControlRules.checkStep(f, step, cx);
        cx.smem.reserve(program.reservedBytes(pf));
        // invariant operands once; the first iteration's barrier (and fence) makes them visible
        for (GpuOp.StageOperand s : pf.invariants()) {
            SharedBuffer b = s.buffer();
            w.comment("stage " + s.value() + " -> " + b);
            MmaRules.stage(cx, cx.getAny(s.value(), cx.layoutOf(s.value())), Operand.in(b), slotBase(b, program, "0", cx), 0, false);
        }
        TmaRules.SlotPhases phases = null;
        if (pf.barriers() != null) {
            phases = TmaRules.initSlots(pf, program, cx);
            w.op("fence.proxy.async.shared::cta");
            if (consumer) meetProducer(cx);
            else cx.smem.sync();
        }
        boolean released = pf.released() != null;
        int distance = pf.distance();
        boolean asyncCopies = pf.copiesAsync();
        w.comment("pipelined: " + stages + " stages, " + (consumer ? "copies by the producer warp" : "copies " + distance + " iterations ahead; prologue"));
        for (int s = 0; s < (consumer ? 0 : distance); s++) {
            String iv = w.reg(ivk);
            w.op("mad.lo.%s %s, %s, %d, %s", it, iv, step, s, lower);
            ahead(pf, program, cx, iv, upper, carried, Integer.toString(s), phases, TmaRules.issuing(cx));
        }
        // the slot this iteration reads, and (copying inline) the one its stage 0 writes
        String slotRead = w.reg(RegClass.B32), slotWrite = consumer ? null : w.reg(RegClass.B32), iv = w.reg(ivk);
        w.op("mov.u32 %s, 0", slotRead);
        if (!consumer) w.op("mov.u32 %s, %d", slotWrite, distance);
        Emit.move(cx, ivk, iv, lower);
        String head = w.label("pipelined_head"), end = w.label("pipelined_end"), done = w.reg(RegClass.PRED);
        w.place(head);
        w.op("setp.ge.%s %s, %s, %s", it, done, iv, upper);
        w.op("@%s bra %s", done, end);
        if (asyncCopies) w.op("cp.async.wait_group %d", distance - 1);
        if (phases != null) TmaRules.awaitSlot(pf, program, slotRead, phases, cx);
        if (!released) {
            // cp.async's copies and the invariants' stores are generic-proxy writes; wgmma reads through the async proxy
            if ((asyncCopies || !pf.invariants().isEmpty()) && pf.current().stream().anyMatch(op -> op instanceof GpuOp.Wgmma)) {
                w.op("fence.proxy.async.shared::cta");
            }
            cx.smem.sync();
        }
        cx.pushScope();
        cx.smem.assumeDirty();
        if (!consumer) {
            // stage 0 of iteration i + distance first, so its copies are in flight while this one computes
            String ivAhead = w.reg(ivk);
            w.op("mad.lo.%s %s, %s, %d, %s", it, ivAhead, step, distance, iv);
            ahead(pf, program, cx, ivAhead, upper, carried, slotWrite, phases, TmaRules.issuing(cx));
        }
        cx.define(f.body().args().getFirst(), new TileValue(cx.layouts.scalar(), ivType, new String[] {iv}));
        for (int i = 0; i < args.size(); i++) if (!pf.aheadCarried().contains(i)) cx.define(args.get(i), carried.get(i));
        for (GpuOp op : pf.current()) {
            switch (op) {
                case GpuOp.Core(var core) -> PtxLowering.lower(core, cx);
                case GpuOp.Mma m -> cx.define(m.dot().result(), MmaRules.mma(m, program, slotRead, cx));
                case GpuOp.Wgmma m -> cx.define(m.dot().result(), WgmmaRules.wgmma(m, program, slotRead, cx));
                case GpuOp.TmaLoad t -> GpuLowering.lower(t, program, cx);
                case GpuOp.TmaReduce r -> GpuLowering.lower(r, program, cx);
                case GpuOp.SlotLoad l -> cx.define(l.load().result(), TmaRules.readSlot(l, slotBase(l.buffer(), program, slotRead, cx), cx));
                case GpuOp.WgmmaWait t -> GpuLowering.lower(t, program, cx);
                default -> throw new IllegalStateException("not a current-stage op: " + op);
            }
        }
        boolean inFlight = pf.current().stream().anyMatch(op -> op instanceof GpuOp.Wgmma m && m.completion() == GpuOp.Wgmma.Completion.NEXT_ITERATION);
        if (released) requireSlotsReadAtTheEnd(pf, inFlight);
        if (released && !inFlight) {
            // a warp's loads from the slot ordered before its lane 0's release (wgmma's readers are complete by their wait)
            if (pf.current().stream().anyMatch(op -> op instanceof GpuOp.SlotLoad)) w.op("bar.warp.sync -1");
            TmaRules.release(pf, program, slotRead, null, cx);   // every group reading it has completed
        }
        if (released && inFlight) {
            // the in-place dot of the iteration before was waited for when this one's was issued: its slot is free
            String previous = w.reg(RegClass.B32), wrap = w.reg(RegClass.PRED), notFirst = w.reg(RegClass.PRED);
            w.op("add.u32 %s, %s, %d", previous, slotRead, stages - 1);
            w.op("setp.ge.u32 %s, %s, %d", wrap, previous, stages);
            w.op("@%s sub.u32 %s, %s, %d", wrap, previous, previous, stages);
            w.op("setp.ne.%s %s, %s, %s", it, notFirst, iv, lower);
            TmaRules.release(pf, program, previous, notFirst, cx);
        }
        List<TileValue> next = new ArrayList<>(), into = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            if (pf.aheadCarried().contains(i)) continue;
            next.add(cx.operandAny(yield, yield.values().get(i)));
            into.add(carried.get(i));
        }
        ControlRules.copy(cx, next, into);
        cx.popScope();
        for (String slot : consumer ? List.of(slotRead) : List.of(slotRead, slotWrite)) advanceSlot(slot, stages, cx);
        w.op("add.%s %s, %s, %s", it, iv, iv, step);
        w.op("bra %s", head);
        w.place(end);
        if (inFlight) w.op("wgmma.wait_group.sync.aligned 0");
        if (asyncCopies) w.op("cp.async.wait_group 0");
        cx.smem.sync();
        if (phases != null) TmaRules.invalidateSlots(pf, program, cx);
        cx.smem.release();
        cx.smem.assumeDirty();
        for (int i = 0; i < args.size(); i++) cx.define(f.results().get(i), carried.get(i));
    }

    /**
     * The producer's side of a loop ({@link GpuOp.Produce}): after the barrier of all threads at
     * which the consumers' thread 0 has initialized the mbarriers, stage 0 of every iteration, each
     * slot's copies issued by the producer's first thread once the consumers have released the
     * slot (a new slot's wait passes at once), as far ahead of the consumers as the slots allow.
     * Only the carried values stage 0 updates are carried here.
     */
    public static void produce(GpuOp.PipelinedFor pf, GpuProgram program, Lowerer cx) {
        PtxWriter w = cx.w;
        For f = pf.loop();
        Induction in = Induction.of(f, cx);
        List<TileValue> carried = carriedFromInits(f, pf.aheadCarried(), cx);
        ControlRules.checkStep(f, in.step(), cx);   // as the consumers do before they meet: a failed check ends both sides there
        meetProducer(cx);
        TmaRules.SlotPhases phases = TmaRules.producerPhases(cx);
        RegClass ivk = RegClass.of(in.type());
        String slot = w.reg(RegClass.B32), iv = w.reg(ivk);
        w.op("mov.u32 %s, 0", slot);
        Emit.move(cx, ivk, iv, in.lower());
        String head = w.label("produce_head"), end = w.label("produce_end"), done = w.reg(RegClass.PRED);
        w.comment("produce: " + pf.stages() + " slots");
        w.place(head);
        w.op("setp.ge.%s %s, %s, %s", in.intType(), done, iv, in.upper());
        w.op("@%s bra %s", done, end);
        ahead(pf, program, cx, iv, in.upper(), carried, slot, phases, TmaRules.producerIssuing(cx));
        advanceSlot(slot, pf.stages(), cx);
        w.op("add.%s %s, %s, %s", in.intType(), iv, iv, in.step());
        w.op("bra %s", head);
        w.place(end);
    }

    /** The next slot after {@code slot} (a register), wrapping at {@code stages}. */
    private static void advanceSlot(String slot, int stages, Lowerer cx) {
        String wrap = cx.w.reg(RegClass.PRED);
        cx.w.op("add.u32 %s, %s, 1", slot, slot);
        cx.w.op("setp.eq.u32 %s, %s, %d", wrap, slot, stages);
        cx.w.op("@%s mov.u32 %s, 0", wrap, slot);
    }

    /** Registers for the carried values at {@code indices} (the others null), each made from its init. */
    private static List<TileValue> carriedFromInits(For f, List<Integer> indices, Lowerer cx) {
        List<Value> args = f.body().args().subList(1, f.body().args().size());
        List<TileValue> carried = new ArrayList<>(java.util.Collections.nCopies(args.size(), (TileValue) null));
        for (int i : indices) {
            TileValue init = cx.operandAny(f, f.inits().get(i));
            TileValue c = cx.fresh(cx.layoutOf(args.get(i)), args.get(i).type().element(), ControlRules.carriedPacked(init, args.get(i), f.body()));
            ControlRules.copy(cx, List.of(init), List.of(c));
            carried.set(i, c);
        }
        return carried;
    }

    /** A loop's induction variable: its type, PTX integer type, and the registers of its bounds and step. */
    private record Induction(DType type, String intType, String lower, String upper, String step) {
        static Induction of(For f, Lowerer cx) {
            DType t = f.lower().type().dtype();
            return new Induction(t, Emit.intType(t), cx.primary(f.lower()).reg(0), cx.primary(f.upper()).reg(0), cx.primary(f.step()).reg(0));
        }
    }

    /**
     * What releasing a slot at an iteration's end relies on: no wgmma reading it is still running
     * then but the in-place dot left in flight (alone in its loop: the next iteration's wait
     * completes it, and the slot is released one iteration later), and every deferred dot waited
     * for after the last dot was issued (by a wait, or by the last dot's own rule).
     */
    private static void requireSlotsReadAtTheEnd(GpuOp.PipelinedFor pf, boolean inFlight) {
        List<GpuOp> current = pf.current();
        long dots = current.stream().filter(op -> op instanceof GpuOp.Wgmma).count();
        int lastDot = -1, lastWait = -1;
        boolean deferred = false;
        for (int i = 0; i < current.size(); i++) {
            if (current.get(i) instanceof GpuOp.Wgmma m) {
                lastDot = i;
                deferred |= m.completion() == GpuOp.Wgmma.Completion.AT_FIRST_READ;
            }
            // a dot completed at its rule's end waits for every group (wait_group 0), the deferred ones before it too
            if (current.get(i) instanceof GpuOp.WgmmaWait || current.get(i) instanceof GpuOp.Wgmma m && m.completion() == GpuOp.Wgmma.Completion.AT_RULE_END) {
                lastWait = i;
            }
        }
        if ((inFlight && dots != 1) || (deferred && lastWait < lastDot)) {
            throw new IllegalStateException("a slot released at the end of an iteration whose wgmma groups may still read it: " + current);
        }
    }

    /**
     * The barrier of all threads, consumers and producer, before a specialized loop (barrier 1:
     * the consumers' own barriers are barrier 0, counted without the producer).
     */
    private static void meetProducer(Lowerer cx) { cx.w.op("bar.sync 1, %d", cx.threads()); }

    /**
     * Stage 0 for the iteration whose induction variable is {@code iv}, copying into {@code slot}
     * (TMA copies issued by the thread {@code issuer} names); then one commit group of its cp.async copies.
     */
    private static void ahead(GpuOp.PipelinedFor pf, GpuProgram program, Lowerer cx, String iv, String upper, List<TileValue> carried, String slot,
                              TmaRules.SlotPhases phases, String issuer) {
        PtxWriter w = cx.w;
        For f = pf.loop();
        DType ivType = f.lower().type().dtype();
        List<Value> args = f.body().args().subList(1, f.body().args().size());
        Yield yield = (Yield) f.body().terminator();
        String inRange = w.reg(RegClass.PRED);
        w.op("setp.lt.%s %s, %s, %s", Emit.intType(ivType), inRange, iv, upper);
        String issue = pf.barriers() == null ? null : MemoryRules.and(cx, issuer, inRange);
        String barrier = issue == null ? null : TmaRules.slotBarrier(pf.barriers(), program, slot, cx);
        if (pf.released() != null) TmaRules.awaitReleased(pf, program, slot, phases, issue, cx);
        if (issue != null) TmaRules.arm(pf, barrier, issue, cx);
        cx.pushScope();
        cx.define(f.body().args().getFirst(), new TileValue(cx.layouts.scalar(), ivType, new String[] {iv}));
        for (int c : pf.aheadCarried()) cx.define(args.get(c), carried.get(c));
        for (GpuOp op : pf.ahead()) {
            switch (op) {
                case GpuOp.Core(var core) -> PtxLowering.lower(core, cx);
                case GpuOp.AsyncCopy copy -> asyncCopy(copy, program, slot, inRange, cx);
                case GpuOp.TmaCopy copy -> TmaRules.copy(copy, slotBase(copy.buffer(), program, slot, cx), barrier, issue, cx);
                default -> throw new IllegalStateException("not a stage-0 op: " + op);
            }
        }
        List<TileValue> next = new ArrayList<>(), into = new ArrayList<>();
        for (int c : pf.aheadCarried()) {
            next.add(cx.operandAny(yield, yield.values().get(c)));
            into.add(carried.get(c));
        }
        ControlRules.copy(cx, next, into);
        cx.popScope();
        if (pf.copiesAsync()) w.op("cp.async.commit_group");
    }

    /** The byte address of {@code slot} of {@code buffer} (a register or a constant slot number; a buffer of one slot has only slot 0). */
    static String slotBase(SharedBuffer buffer, GpuProgram program, String slot, Lowerer cx) {
        PtxWriter w = cx.w;
        if (buffer.slots() == 1) slot = "0";
        String r = w.reg(RegClass.B32);
        if (slot.matches("\\d+")) {
            w.op("add.u32 %s, %s, %d", r, cx.smem.base(), program.offset(buffer) + Integer.parseInt(slot) * buffer.slotBytes());
        } else {
            w.op("mad.lo.u32 %s, %s, %d, %s", r, slot, buffer.slotBytes(), cx.smem.base());
            if (program.offset(buffer) != 0) w.op("add.u32 %s, %s, %d", r, r, program.offset(buffer));
        }
        return r;
    }

    /** The load's tile into its slot: one {@code cp.async} per run of its layout, zero-filled where masked off or out of range. */
    private static void asyncCopy(GpuOp.AsyncCopy c, GpuProgram program, String slot, String inRange, Lowerer cx) {
        PtxWriter w = cx.w;
        Load l = c.load();
        SharedBuffer buffer = c.buffer();
        DistributedLayout layout = cx.layoutOf(l.result());
        TileValue ptr = cx.operand(l, l.pointer());
        TileValue mask = l.mask() == null ? null : cx.operand(l, l.mask());
        DType t = l.result().type().dtype();
        int vec = MemoryRules.vector(cx, l.pointer(), l.mask(), layout), bytes = vec * t.byteSize();
        if (bytes < 4) throw new IllegalStateException("cp.async of " + bytes + " bytes for " + l);
        var shape = l.result().type().shape();
        Operand o = Operand.in(buffer);
        String base = slotBase(buffer, program, slot, cx);
        String thread = MmaRules.threadOffset(cx, layout, o);
        int cols = shape.dim(1), logC = DistributedLayout.log2(cols);
        w.comment("cp.async " + l.result() + " -> " + buffer + " slot " + slot);
        for (int g = 0; g < layout.numRegs(); g += vec) {
            int e = layout.regPart(g);
            int[] rc = o.stored(e >>> logC, e & (cols - 1));
            int offset = o.tile().offset(rc[0], rc[1]);
            String addr = w.reg(RegClass.B32);
            if (thread == null) w.op("add.u32 %s, %s, %d", addr, base, offset);
            else {
                w.op("xor.b32 %s, %s, %d", addr, thread, offset);
                w.op("add.u32 %s, %s, %s", addr, addr, base);
            }
            String pred = mask == null ? inRange : MemoryRules.and(cx, mask.reg(g), inRange);
            String size = w.reg(RegClass.B32);
            w.op("selp.u32 %s, %d, 0, %s", size, bytes, pred);
            w.op("cp.async.%s.shared.global [%s], [%s], %d, %s", bytes == 16 ? "cg" : "ca", addr, ptr.reg(g), bytes, size);
        }
    }
}
