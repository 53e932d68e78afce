package dev.tessera.cuda.codegen.memory;

import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.PtxModule;
import dev.tessera.cuda.codegen.gpu.GpuOp;
import dev.tessera.cuda.codegen.gpu.GpuProgram;
import dev.tessera.cuda.codegen.gpu.MBarriers;
import dev.tessera.cuda.codegen.gpu.SharedBuffer;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.cuda.codegen.layout.SwizzledTile;
import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op.DescriptorAtomicAdd;
import dev.tessera.ir.Op.DescriptorLoad;
import dev.tessera.ir.Op.DescriptorStore;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import dev.tessera.types.DescriptorType;
import java.util.List;

/**
 * Tensor descriptors' blocks through Hopper's tensor-memory accelerator (targets with
 * {@code Target.tma()}; elsewhere the descriptors were expanded into masked loads and stores before
 * code generation, see {@link dev.tessera.passes.ExpandDescriptors}).
 *
 * <p>A load on its own ({@link GpuOp.TmaLoad}): the block's box (row-major, unswizzled: its map
 * says SWIZZLE_NONE) lands in shared-memory scratch on 128 bytes. One thread (thread 0) arms the
 * load's mbarrier with the box's byte count ({@code mbarrier.arrive.expect_tx}) and issues
 * {@code cp.async.bulk.tensor}, whose coordinates go innermost first; the unit fills elements
 * outside the tensor with zeros and still counts the whole box. Every thread spins on
 * {@code mbarrier.try_wait.parity} for the barrier's current phase, then reads its elements in the
 * value's distributed layout (in their memory format, as global loads do: 16-bit floats stay packed).
 * A store: every thread writes its elements into the box, {@code fence.proxy.async} makes the
 * generic-proxy writes visible to the copy unit, a barrier, then thread 0 issues the bulk copy,
 * commits it and waits until it has <em>read</em> the box ({@code wait_group.read 0}) before the
 * scratch can be reused; the unit drops elements past the tensor's end (a box starting before
 * it faults: such stores are masked, see {@link #maskedDescriptors}).
 *
 * <p>A load pipelined into a wgmma operand ({@link GpuOp.TmaCopy}, lowered by the pipelined loop):
 * the operand's tile is Hopper's canonical swizzled layout, which is exactly what the copy unit
 * writes with the map's swizzle set to the tile's atom width (32, 64 or 128 bytes; the unit XORs
 * the 16-byte chunk index with address bits 7 and up, so every atom must start on its swizzle's
 * repeat, as the tile's alignment and rows in multiples of 8 guarantee). A tile wider than one atom
 * is one box per atom, each at its atom's place. All of a stage's copies complete on their slot's
 * mbarrier, armed once with the sum of their bytes.
 *
 * <p>Invariants. The mbarriers are words of the dynamic array (see gpu.MBarriers), with an arrival
 * count of 1: a single load site's initialized once in the prologue and kept for the whole kernel,
 * a pipelined loop's initialized before its prologue and invalidated after its drain. A single load
 * site keeps a phase register (0 at start) flipped after every completed wait, so a site in a loop
 * waits for phase 0, 1, 0, ... as the barrier completes them; a pipelined loop keeps one phase bit
 * per slot in one register, since slots are not used equally often when the trip count is not a
 * multiple of the stages (PTX registers are mutable, so phases are carried across loop trips and
 * branches without being IR values; kernels' control flow is uniform across a program). Every issued copy is waited for exactly once, so arms and waits pair up. A
 * site is armed again only after every thread's wait of the previous phase: the scratch was marked
 * read after the wait, and {@code SharedMemory.begin} passes a {@code bar.sync} before handing it
 * out again; a slot is written again only after the pipelined loop's barrier. The async proxy's
 * writes that other ops read through the generic proxy are ordered by the mbarrier wait; a
 * {@code fence.proxy.async} orders earlier generic accesses of the same bytes before the unit's.
 *
 * <p>Released slots. Where stage 0 copies only by TMA, no barrier of the whole block orders a
 * slot's reuse: each warp's lane 0 arrives on the slot's release mbarrier (arrival count: the
 * warps) once the wgmma groups reading it are complete (the end of the iteration that read it, or
 * of the next one while its in-place dot stays in flight), and the issuing thread waits on it
 * before copying into the slot again. The other warps wait only for their data. The loop's drain
 * passes a barrier before the mbarriers are invalidated, since warps no longer finish their
 * iterations together.
 *
 * <p>With warp specialization (gpu.SpecializeWarps) a producer warpgroup's first thread issues the
 * copies and waits for the releases, and the consumers only wait for their slots and release them.
 */
public final class TmaRules {
    private TmaRules() {}

    /** What a box's innermost coordinate must be a multiple of, in bytes. */
    public static final int INNER_OFFSET_ALIGNMENT = 16;

    /**
     * The descriptor parameters of {@code kernel} whose blocks the copy unit cannot be trusted with,
     * which run as masked loads and stores instead (see ExpandDescriptors; a launch mixes maps and
     * plain fields, one kind a parameter). Two rules, both found as illegal instructions on an H100:
     * a box must start on a 16-byte column (a load 20 bytes in faulted at its mbarrier's wait; the
     * ISA states it nowhere), so every access's innermost offset must be a multiple of 16 bytes by
     * {@code axis} (its AxisInfo); and a store's box must not start before the tensor (boxes at row
     * -5 or column -16 faulted; loads there read zeros as they should; the ISA asks non-negative
     * start coordinates of {@code .global.shared::cta} copies), so every store's offsets must be
     * non-negative by {@code axis}. A bulk reduction writes as a store does and is held to the
     * same rules.
     */
    public static java.util.Set<Value> maskedDescriptors(KernelIR kernel, dev.tessera.passes.AxisInfo axis) {
        java.util.Set<Value> masked = new java.util.HashSet<>();
        for (dev.tessera.ir.Op op : allOps(kernel)) {
            switch (op) {
                case DescriptorLoad l -> { if (!innerOffsetAligned(l.descriptor(), l.offsets(), axis)) masked.add(l.descriptor()); }
                case DescriptorStore s -> { if (!writable(s.descriptor(), s.offsets(), axis)) masked.add(s.descriptor()); }
                case DescriptorAtomicAdd a -> { if (!writable(a.descriptor(), a.offsets(), axis)) masked.add(a.descriptor()); }
                default -> {}
            }
        }
        return masked;
    }

    /** Whether the copy unit may write the block at {@code offsets}: on a 16-byte column, and not before the tensor. */
    private static boolean writable(Value descriptor, List<Value> offsets, dev.tessera.passes.AxisInfo axis) {
        return innerOffsetAligned(descriptor, offsets, axis) && offsets.stream().allMatch(axis::isNonNegative);
    }

    private static boolean innerOffsetAligned(Value descriptor, List<Value> offsets, dev.tessera.passes.AxisInfo axis) {
        DType e = type(descriptor).element();
        return (long) axis.of(offsets.getLast()).divisibility()[0] * e.byteSize() % INNER_OFFSET_ALIGNMENT == 0;
    }

    /** Where a box may start in shared memory (cp.async.bulk.tensor's rule for the destination and source). */
    public static final int BOX_ALIGNMENT = dev.tessera.cuda.codegen.gpu.AllocateShared.BOX_ALIGNMENT;
    /** The largest access a thread makes to the box: 16 bytes. */
    private static final int VECTOR_BYTES = 16;

    public static TileValue load(GpuOp.TmaLoad t, DistributedLayout out, GpuProgram program, Lowerer cx) {
        PtxWriter w = cx.w;
        DescriptorLoad l = t.load();
        DescriptorType d = type(l.descriptor());
        int bytes = d.blockBytes();
        String barrier = barriers(t.barrier(), program, cx);
        String elected = elected(cx);
        String phase = cx.once("mbarrier-phase:" + t.barrier().name(), () -> {
            String p = w.reg(RegClass.B32);
            w.op("mov.u32 %s, 0", p);
            return p;
        });
        String box = cx.smem.begin(bytes, BOX_ALIGNMENT);
        w.op("fence.proxy.async.shared::cta");
        w.op("@%s mbarrier.arrive.expect_tx.shared::cta.b64 _, [%s], %d", elected, barrier, bytes);
        copyBox(cx, elected, l, box, 0, barrier);
        await(cx, barrier, phase);
        w.op("xor.b32 %s, %s, 1", phase, phase);
        TileValue v = readBox(cx, box, out, d);
        cx.smem.end();
        return v;
    }

    /**
     * One box of {@code l}'s block, its innermost coordinate moved by {@code inner} elements, copied
     * into shared memory at {@code dst} and completing on the mbarrier at {@code barrier}, by the
     * thread {@code issue} names; its lines at the load's L2 priority (a policy where the target has
     * L2 hints; the copy unit has no L1 to hint).
     */
    private static void copyBox(Lowerer cx, String issue, DescriptorLoad l, String dst, int inner, String barrier) {
        MemoryRules.Hint hint = MemoryRules.Hint.of(cx, dev.tessera.ir.MemoryOrder.Cache.NONE, l.eviction(), true);
        cx.w.op("@%s cp.async.bulk.tensor.%dd.shared::cluster.global.mbarrier::complete_tx::bytes%s [%s], [%s, %s], [%s]%s", issue,
                l.offsets().size(), hint.policy() == null ? "" : ".L2::cache_hint", dst, map(cx, l.descriptor()), coordinates(cx, l.offsets(), inner),
                barrier, hint.operand());
    }

    /** A block a pipelined loop copied into the slot at {@code slot} (row-major, one box), read into its value's layout. */
    public static TileValue readSlot(GpuOp.SlotLoad s, String slot, Lowerer cx) {
        return readBox(cx, slot, cx.layoutOf(s.load().result()), type(s.load().descriptor()));
    }

    /** Every thread's elements of the row-major box at {@code box}, in layout {@code out} (16-bit floats stay packed). */
    private static TileValue readBox(Lowerer cx, String box, DistributedLayout out, DescriptorType d) {
        DType e = d.element();
        String mine = threadAddress(cx, box, out, e);
        return MemoryRules.loadShared(cx, e, out, g -> mine + "+" + out.regPart(g) * e.byteSize(), vector(out, d));
    }

    /**
     * Whether the kernel writes global memory through pointers (stores, atomics) and reaches it
     * through the copy unit too (a descriptor load, store or add left to TMA): the two go through different proxies,
     * so a barrier of the block (the language's ordering of one thread's writes before another's
     * reads) also fences each thread's generic writes before the async proxy's reads
     * ({@code fence.proxy.async.global}), as a write then read through a descriptor after
     * {@code debugBarrier()} expects. Without a barrier no thread's writes are promised to other
     * threads, on either proxy; the copy unit's own writes (stores, reductions) are for later launches.
     */
    public static boolean readsGenericWrites(KernelIR kernel) {
        boolean writes = false, reads = false;
        for (dev.tessera.ir.Op op : allOps(kernel)) {
            writes |= op instanceof dev.tessera.ir.Op.Store || op instanceof dev.tessera.ir.Op.AtomicRmw || op instanceof dev.tessera.ir.Op.AtomicCas;
            reads |= op instanceof DescriptorLoad || op instanceof DescriptorStore || op instanceof DescriptorAtomicAdd;
        }
        return writes && reads;
    }

    /** Every op of {@code kernel}, those of nested regions too. */
    private static List<dev.tessera.ir.Op> allOps(KernelIR kernel) {
        List<dev.tessera.ir.Op> out = new java.util.ArrayList<>();
        java.util.ArrayDeque<dev.tessera.ir.Op> ops = new java.util.ArrayDeque<>(kernel.body().ops());
        while (!ops.isEmpty()) {
            dev.tessera.ir.Op op = ops.pop();
            out.add(op);
            for (dev.tessera.ir.Region r : op.regions()) ops.addAll(r.ops());
        }
        return out;
    }

    /** The thread that issues a pipelined loop's copies inline: thread 0 (its predicate). */
    public static String issuing(Lowerer cx) { return elected(cx); }

    /** The thread that issues a specialized kernel's copies: the producer warp's first (its predicate). */
    public static String producerIssuing(Lowerer cx) {
        return cx.once("tma.producer", () -> {
            String p = cx.w.reg(RegClass.PRED);
            cx.w.op("setp.eq.u32 %s, %s, %d", p, cx.tid(), cx.numWarps * 32);
            return p;
        });
    }

    /** The producer's phases of a loop's slot releases: 1 for every slot, which a new mbarrier counts as completed. */
    public static SlotPhases producerPhases(Lowerer cx) {
        String released = cx.w.reg(RegClass.B32);
        cx.w.op("mov.u32 %s, -1", released);
        return new SlotPhases(null, released);
    }

    /**
     * Arms a slot's mbarrier (at {@code barrier}, see {@link #slotBarrier}) with the bytes of all of
     * stage 0's copies: by thread 0, when {@code issue} (thread 0 and the iteration in range) holds.
     */
    public static void arm(GpuOp.PipelinedFor pf, String barrier, String issue, Lowerer cx) {
        int bytes = 0;
        for (GpuOp op : pf.ahead()) if (op instanceof GpuOp.TmaCopy c) bytes += c.buffer().tile().bytes();
        cx.w.op("@%s mbarrier.arrive.expect_tx.shared::cta.b64 _, [%s], %d", issue, barrier, bytes);
    }

    /** The copy's boxes into the slot at {@code slotBase}, completing on that slot's mbarrier at {@code barrier} (see {@link #arm}). */
    public static void copy(GpuOp.TmaCopy c, String slotBase, String barrier, String issue, Lowerer cx) {
        PtxWriter w = cx.w;
        DescriptorLoad l = c.load();
        SwizzledTile tile = c.buffer().tile();
        int atomCols = tile.atomBytes() / tile.elementBytes(), atoms = tile.rowBytes() / tile.atomBytes();
        w.comment("tma " + l.result() + " -> " + c.buffer() + " slot at " + slotBase + ": " + atoms + " box(es) of " + tile.rows() + "x" + atomCols);
        for (int a = 0; a < atoms; a++) {
            String dst = slotBase;
            if (a > 0) {
                dst = w.reg(RegClass.B32);
                w.op("add.u32 %s, %s, %d", dst, slotBase, a * tile.rows() * tile.atomBytes());
            }
            copyBox(cx, issue, l, dst, a * atomCols, barrier);
        }
    }

    /**
     * A pipelined loop's phase bits, one per slot in each register: of its slots' copies landing
     * (every thread waits on them), and of its slots released (only the issuing thread waits on
     * them; null unless the loop has {@link GpuOp.PipelinedFor#released} mbarriers).
     */
    public record SlotPhases(String landed, String released) {}

    /**
     * Before the loop's prologue: thread 0 initializes one mbarrier a slot for the copies (arrival
     * count 1), and one a slot for its release (an arrival from every warp); the barrier that
     * follows makes them seen by all. The landing phases start at 0; the release phases at 1,
     * which a new mbarrier counts as completed (the phase before its first), so the first copy into
     * each slot does not wait.
     */
    public static SlotPhases initSlots(GpuOp.PipelinedFor pf, GpuProgram program, Lowerer cx) {
        PtxWriter w = cx.w;
        init(pf.barriers(), 1, program, cx);
        String landed = w.reg(RegClass.B32), released = null;
        w.op("mov.u32 %s, 0", landed);
        if (pf.released() != null) {
            init(pf.released(), cx.numWarps, program, cx);
            released = w.reg(RegClass.B32);
            w.op("mov.u32 %s, -1", released);
        }
        return new SlotPhases(landed, released);
    }

    /**
     * After the loop's drain (every copy and dot waited for) and a barrier (no thread still waits on
     * them): thread 0 invalidates the slots' mbarriers, whose words become scratch again after the
     * next barrier (the caller marks shared memory dirty).
     */
    public static void invalidateSlots(GpuOp.PipelinedFor pf, GpuProgram program, Lowerer cx) {
        String elected = elected(cx);
        for (MBarriers b : java.util.Arrays.asList(pf.barriers(), pf.released())) {
            if (b == null) continue;
            String first = cx.smem.at(program.offset(b));
            for (int i = 0; i < b.count(); i++) cx.w.op("@%s mbarrier.inval.shared::cta.b64 [%s+%d]", elected, first, i * MBarriers.BYTES);
        }
    }

    /**
     * Before the copies into {@code slot} (a register or a constant): the issuing thread (where
     * {@code issue} holds) waits until every warp has released the slot's previous use; then every
     * thread flips the slot's bit in {@code phases.released()} (the others never read it). A
     * constant slot is the prologue's, each slot's first use, which waits for nothing.
     */
    public static void awaitReleased(GpuOp.PipelinedFor pf, GpuProgram program, String slot, SlotPhases phases, String issue, Lowerer cx) {
        PtxWriter w = cx.w;
        if (slot.matches("\\d+")) {
            flip(cx, phases.released(), slot);
            return;
        }
        String parity = w.reg(RegClass.B32), skip = w.label("released");
        w.op("shr.b32 %s, %s, %s", parity, phases.released(), slot);
        w.op("and.b32 %s, %s, 1", parity, parity);
        w.op("@!%s bra %s", issue, skip);
        await(cx, slotBarrier(pf.released(), program, slot, cx), parity);
        w.place(skip);
        // the warp whole again before what follows (wgmma's and bar.sync's .aligned forms need it converged)
        w.op("bar.warp.sync -1");
        flip(cx, phases.released(), slot);
    }

    /**
     * A warp is done reading {@code slot}: its lane 0 arrives on the slot's release mbarrier, when
     * {@code when} (a predicate, or null for always) holds. Every lane has passed the wgmma wait that
     * completed the slot's readers before (that wait is warp-synchronous).
     */
    public static void release(GpuOp.PipelinedFor pf, GpuProgram program, String slot, String when, Lowerer cx) {
        String laneZero = cx.once("lane0", () -> {
            String p = cx.w.reg(RegClass.PRED);
            cx.w.op("setp.eq.u32 %s, %s, 0", p, cx.lane());
            return p;
        });
        String pred = when == null ? laneZero : MemoryRules.and(cx, laneZero, when);
        cx.w.op("@%s mbarrier.arrive.shared::cta.b64 _, [%s]", pred, slotBarrier(pf.released(), program, slot, cx));
    }

    /** Every thread waits until the copies into {@code slot} (a register) have landed, then flips the slot's bit in {@code phases}. */
    public static void awaitSlot(GpuOp.PipelinedFor pf, GpuProgram program, String slot, SlotPhases phases, Lowerer cx) {
        PtxWriter w = cx.w;
        String parity = w.reg(RegClass.B32);
        w.op("shr.b32 %s, %s, %s", parity, phases.landed(), slot);
        w.op("and.b32 %s, %s, 1", parity, parity);
        await(cx, slotBarrier(pf.barriers(), program, slot, cx), parity);
        flip(cx, phases.landed(), slot);
    }

    /** Flips the bit of {@code slot} (a register or a constant) in the phase register {@code phases}. */
    private static void flip(Lowerer cx, String phases, String slot) {
        PtxWriter w = cx.w;
        if (slot.matches("\\d+")) {
            w.op("xor.b32 %s, %s, %d", phases, phases, 1 << Integer.parseInt(slot));
            return;
        }
        String bit = w.reg(RegClass.B32);
        w.op("shl.b32 %s, 1, %s", bit, slot);
        w.op("xor.b32 %s, %s, %s", phases, phases, bit);
    }

    /** How each descriptor parameter's map is encoded: the block, unswizzled, unless pipelining copies it into a wgmma operand's tile. */
    public static java.util.Map<Integer, PtxModule.MapBox> mapBoxes(KernelIR kernel, GpuProgram program) {
        java.util.Map<Value, PtxModule.MapBox> byCopy = new java.util.IdentityHashMap<>();
        for (GpuOp op : program.allOps()) {   // the ops of pipelined loops' stages too
            // a block's copy is the block itself, as a single load's: the map below
            if (!(op instanceof GpuOp.TmaCopy c) || c.buffer().role() == SharedBuffer.Role.BLOCK) continue;
            SwizzledTile tile = c.buffer().tile();
            // the block's leading dimensions of 1, then one atom of the tile's rows
            List<Integer> dims = new java.util.ArrayList<>(java.util.Collections.nCopies(c.load().offsets().size() - 2, 1));
            dims.addAll(List.of(tile.rows(), tile.atomBytes() / tile.elementBytes()));
            byCopy.put(c.load().descriptor(), new PtxModule.MapBox(dims, tile.atomBytes()));
        }
        java.util.Map<Integer, PtxModule.MapBox> out = new java.util.HashMap<>();
        for (Value d : byCopy.keySet()) {
            if (kernel.params().stream().noneMatch(p -> p.value() == d)) {
                // its map would be encoded for the block, not the slots' atoms, and the copies' bytes would not match
                throw new IllegalStateException("a TMA copy through a descriptor that is not a kernel parameter: " + d);
            }
        }
        for (int i = 0; i < kernel.params().size(); i++) {
            Value v = kernel.params().get(i).value();
            if (!v.type().isDescriptor()) continue;
            PtxModule.MapBox box = byCopy.get(v);
            out.put(i, box != null ? box : new PtxModule.MapBox(java.util.Arrays.stream(type(v).blockShape()).boxed().toList(), 0));
        }
        return out;
    }

    /** The address of the first of {@code b}'s words, initialized (by thread 0, seen by all) once in the prologue. */
    private static String barriers(MBarriers b, GpuProgram program, Lowerer cx) {
        return cx.once("mbarriers:" + b.name(), () -> {
            String base = init(b, 1, program, cx);
            cx.smem.sync();
            return base;
        });
    }

    /**
     * Thread 0 initializes {@code b}'s words with an arrival count of {@code arrivals}, fenced so that the copy
     * unit sees them (every thread does after the next barrier); returns the first word's address.
     */
    private static String init(MBarriers b, int arrivals, GpuProgram program, Lowerer cx) {
        String base = cx.smem.at(program.offset(b)), elected = elected(cx);
        for (int i = 0; i < b.count(); i++) cx.w.op("@%s mbarrier.init.shared::cta.b64 [%s+%d], %d", elected, base, i * MBarriers.BYTES, arrivals);
        cx.w.op("fence.mbarrier_init.release.cluster");
        return base;
    }

    /** The address of the mbarrier of {@code slot} (a register or a constant) among {@code barriers}, one a slot. */
    public static String slotBarrier(MBarriers barriers, GpuProgram program, String slot, Lowerer cx) {
        String first = cx.smem.at(program.offset(barriers));
        if (slot.matches("\\d+")) return first + "+" + Integer.parseInt(slot) * MBarriers.BYTES;
        String r = cx.w.reg(RegClass.B32);
        cx.w.op("mad.lo.u32 %s, %s, %d, %s", r, slot, MBarriers.BYTES, first);
        return r;
    }

    /** Spins until the barrier at {@code barrier} has completed the phase of parity {@code parity}. */
    private static void await(Lowerer cx, String barrier, String parity) {
        PtxWriter w = cx.w;
        String again = w.label("tma_wait");
        String done = w.reg(RegClass.PRED);
        w.place(again);
        w.op("mbarrier.try_wait.parity.shared::cta.b64 %s, [%s], %s", done, barrier, parity);
        w.op("@!%s bra %s", done, again);
    }

    public static void store(DescriptorStore s, Lowerer cx) {
        PtxWriter w = cx.w;
        DescriptorType d = type(s.descriptor());
        String elected = elected(cx);
        String box = cx.smem.begin(d.blockBytes(), BOX_ALIGNMENT);
        writeBox(cx, s, s.value(), d, box);
        w.op("@%s cp.async.bulk.tensor.%dd.global.shared::cta.bulk_group [%s, %s], [%s]",
                elected, d.rank(), map(cx, s.descriptor()), coordinates(cx, s.offsets(), 0), box);
        w.op("@%s cp.async.bulk.commit_group", elected);
        w.op("@%s cp.async.bulk.wait_group.read 0", elected);
        cx.smem.end();
    }

    /**
     * A block added by a bulk reduction from the reductions' box, which no other op touches: the
     * issuing thread waits until the unit has read the box for the last reduction (long done by
     * then, in a loop) just before the threads write it again, not just after issuing, so that
     * nobody waits for the unit's read of the block. The kernel's end waits for the sums
     * ({@link #finishReductions}).
     */
    public static void reduce(GpuOp.TmaReduce r, GpuProgram program, Lowerer cx) {
        PtxWriter w = cx.w;
        DescriptorAtomicAdd add = r.add();
        DescriptorType d = type(add.descriptor());
        String elected = elected(cx);
        cx.smem.alignTo(BOX_ALIGNMENT);
        String box = cx.smem.at(program.offset(r.box()));
        w.op("@%s cp.async.bulk.wait_group.read 0", elected);
        cx.smem.sync();
        writeBox(cx, add, add.value(), d, box);
        w.op("@%s cp.reduce.async.bulk.tensor.%dd.global.shared::cta.add.tile.bulk_group [%s, %s], [%s]",
                elected, d.rank(), map(cx, add.descriptor()), coordinates(cx, add.offsets(), 0), box);
        w.op("@%s cp.async.bulk.commit_group", elected);
    }

    /** At the kernel's end: every bulk reduction the issuing thread committed has been done (and its box read). */
    public static void finishReductions(GpuProgram program, Lowerer cx) {
        if (program.reducesInBulk()) cx.w.op("@%s cp.async.bulk.wait_group 0", elected(cx));
    }

    /**
     * Every thread writes its elements of {@code value} row-major into the box at {@code box}, then
     * a proxy fence and a barrier: the copy unit may read it.
     */
    private static void writeBox(Lowerer cx, dev.tessera.ir.Op op, Value v, DescriptorType d, String box) {
        TileValue value = cx.operandAny(op, v);
        DistributedLayout layout = value.layout();
        DType t = d.element();
        String mine = threadAddress(cx, box, layout, t);
        MemoryRules.storeShared(cx, t, value, g -> mine + "+" + layout.regPart(g) * t.byteSize(), vector(layout, d));
        cx.w.op("fence.proxy.async.shared::cta");
        cx.smem.sync();
    }

    private static DescriptorType type(Value descriptor) { return (DescriptorType) descriptor.type().element(); }

    /** The thread that issues the copies (thread 0), as a predicate computed once. */
    private static String elected(Lowerer cx) {
        return cx.once("tma.elected", () -> {
            String p = cx.w.reg(RegClass.PRED);
            cx.w.op("setp.eq.u32 %s, %s, 0", p, cx.tid());
            return p;
        });
    }

    /** The tensor map's generic address (the parameter's register). */
    private static String map(Lowerer cx, Value descriptor) { return cx.get(descriptor, cx.layouts.scalar()).reg(0); }

    /** The offsets as TMA coordinates, innermost dimension first, the innermost moved by {@code inner} elements. */
    private static String coordinates(Lowerer cx, List<Value> offsets, int inner) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = offsets.size() - 1; i >= 0; i--) {
            String c = cx.get(offsets.get(i), cx.layouts.scalar()).reg(0);
            if (i == offsets.size() - 1 && inner != 0) {
                String moved = cx.w.reg(RegClass.B32);
                cx.w.op("add.s32 %s, %s, %d", moved, c, inner);
                c = moved;
            }
            sb.append(c).append(i == 0 ? "}" : ", ");
        }
        return sb.toString();
    }

    /**
     * The thread's own part of its elements' addresses in the row-major box: its lane and warp
     * bits of the flat index, in bytes, plus the box's start (a register's elements then add
     * their register bits, which the thread bits never overlap).
     */
    private static String threadAddress(Lowerer cx, String box, DistributedLayout l, DType t) {
        String a = cx.w.reg(RegClass.B32);
        cx.w.op("mad.lo.u32 %s, %s, %d, %s", a, cx.threadOffset(l), t.byteSize(), box);
        return a;
    }

    /**
     * Elements per shared-memory access: the run of a thread's low registers that are consecutive
     * elements of the box's innermost dimension, up to 16 bytes (aligned, since a run starts at a
     * multiple of its length and the box on 128 bytes).
     */
    private static int vector(DistributedLayout l, DescriptorType d) {
        int run = 0;
        while (run < l.regBits() && l.regBasis(run) == 1 << run) run++;
        int inner = d.blockShape()[d.rank() - 1];
        return Math.max(1, Math.min(Math.min(1 << run, inner), VECTOR_BYTES / d.element().byteSize()));
    }
}
