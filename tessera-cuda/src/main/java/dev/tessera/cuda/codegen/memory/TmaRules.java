package dev.tessera.cuda.codegen.memory;

import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
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
 * <p>A load: the block's box (row-major, unswizzled: the tensor map says SWIZZLE_NONE) lands in
 * shared-memory scratch on 128 bytes. One thread (thread 0) arms the op's mbarrier with the box's
 * byte count ({@code mbarrier.arrive.expect_tx}) and issues {@code cp.async.bulk.tensor}, whose
 * coordinates go innermost first; the unit fills elements outside the tensor with zeros and still
 * counts the whole box. Every thread spins on {@code mbarrier.try_wait.parity} for the barrier's
 * current phase, then reads its elements in the value's distributed layout (in their memory format,
 * as global loads do: 16-bit floats stay packed).
 * A store: every thread writes its elements into the box, {@code fence.proxy.async} makes the
 * generic-proxy writes visible to the copy unit, a barrier, then thread 0 issues the bulk copy,
 * commits it and waits until it has <em>read</em> the box ({@code wait_group.read 0}) before the
 * scratch can be reused; the unit drops elements outside the tensor.
 *
 * <p>Invariants. Each load site has its own mbarrier, a static {@code .shared .b64} initialized once
 * in the prologue with an arrival count of 1, and a phase register (0 at start) flipped after every
 * completed wait, so a site in a loop waits for phase 0, 1, 0, ... as the barrier completes them
 * (PTX registers are mutable, so the phase is carried across loop trips and branches without
 * being an IR value; kernels' control flow is uniform across a program). A site is armed again only
 * after every thread's wait of the previous phase: the scratch was marked read after the wait,
 * and {@code SharedMemory.begin} passes a {@code bar.sync} before handing the scratch out again.
 * The async proxy's writes into scratch that other ops read through the generic proxy are
 * ordered by the mbarrier wait (for a load) and by {@code fence.proxy.async} after the generic
 * writes (for a store); a fence before each copy also orders the earlier generic reads of the
 * same scratch before the unit overwrites it.
 *
 * <p>Next, in the pipeliner (codegen/dot/PipelineRules, gpu/PipelineLoops), not done here: a
 * loop's descriptor loads that feed wgmma become stage-0 TMA copies into the multi-buffered slots
 * instead of {@code cp.async}: one mbarrier per slot (its phase bit flipping each time the slot is
 * reused, i.e. every {@code num_stages} iterations), the producer a single thread arming its slot's
 * barrier with the box bytes of all the copies into it ({@code expect_tx} of their sum) then issuing
 * them {@code num_stages − 1} iterations ahead; consumers wait on the slot's barrier instead of
 * {@code cp.async.wait_group}. The box must then be written in the layout wgmma reads: the tensor
 * map's swizzle (128/64/32B) chosen to match SharedLayout's/SwizzledTile.canonical's swizzle for the
 * operand, with the box's inner dimension one swizzle atom wide (several boxes per tile when
 * the tile is wider), and slots aligned to the swizzle's repeat (1024 bytes for 128B).
 */
public final class TmaRules {
    private TmaRules() {}

    /** Where a box may start in shared memory (cp.async.bulk.tensor's rule for the destination and source). */
    public static final int BOX_ALIGNMENT = 128;
    /** The largest access a thread makes to the box: 16 bytes. */
    private static final int VECTOR_BYTES = 16;

    public static TileValue load(DescriptorLoad l, DistributedLayout out, Lowerer cx) {
        PtxWriter w = cx.w;
        DescriptorType d = type(l.descriptor());
        int bytes = boxBytes(d);
        String barrier = w.symbol("tma_barrier");
        String elected = elected(cx);
        String phase = w.inPrologue(() -> {
            w.global(".shared .align 8 .b64 " + barrier + ";");
            w.op("@%s mbarrier.init.shared::cta.b64 [%s], 1", elected, barrier);
            // the initialization is seen by the copy unit and every thread before the first arrive
            w.op("fence.mbarrier_init.release.cluster");
            w.op("bar.sync 0");
            String p = w.reg(RegClass.B32);
            w.op("mov.u32 %s, 0", p);
            return p;
        });
        String box = cx.smem.begin(bytes, BOX_ALIGNMENT);
        w.op("fence.proxy.async.shared::cta");
        w.op("@%s mbarrier.arrive.expect_tx.shared::cta.b64 _, [%s], %d", elected, barrier, bytes);
        w.op("@%s cp.async.bulk.tensor.%dd.shared::cluster.global.mbarrier::complete_tx::bytes [%s], [%s, %s], [%s]",
                elected, d.rank(), box, map(cx, l.descriptor()), coordinates(cx, l.offsets()), barrier);
        String again = w.label("tma_wait");
        String done = w.reg(RegClass.PRED);
        w.place(again);
        w.op("mbarrier.try_wait.parity.shared::cta.b64 %s, [%s], %s", done, barrier, phase);
        w.op("@!%s bra %s", done, again);
        w.op("xor.b32 %s, %s, 1", phase, phase);
        DType t = d.element();
        String mine = threadAddress(cx, box, out, t);
        TileValue v = MemoryRules.loadShared(cx, t, out, g -> mine + "+" + out.regPart(g) * t.byteSize(), vector(out, d));
        cx.smem.end();
        return v;
    }

    public static void store(DescriptorStore s, Lowerer cx) {
        PtxWriter w = cx.w;
        DescriptorType d = type(s.descriptor());
        TileValue value = cx.operandAny(s, s.value());
        DistributedLayout layout = value.layout();
        String elected = elected(cx);
        String box = cx.smem.begin(boxBytes(d), BOX_ALIGNMENT);
        DType t = d.element();
        String mine = threadAddress(cx, box, layout, t);
        MemoryRules.storeShared(cx, t, value, g -> mine + "+" + layout.regPart(g) * t.byteSize(), vector(layout, d));
        w.op("fence.proxy.async.shared::cta");
        cx.smem.sync();
        w.op("@%s cp.async.bulk.tensor.%dd.global.shared::cta.bulk_group [%s, %s], [%s]",
                elected, d.rank(), map(cx, s.descriptor()), coordinates(cx, s.offsets()), box);
        w.op("@%s cp.async.bulk.commit_group", elected);
        w.op("@%s cp.async.bulk.wait_group.read 0", elected);
        cx.smem.end();
    }

    private static DescriptorType type(Value descriptor) { return (DescriptorType) descriptor.type().element(); }

    private static int boxBytes(DescriptorType d) {
        int n = 1;
        for (int b : d.blockShape()) n *= b;
        return n * d.element().byteSize();
    }

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

    /** The offsets as TMA coordinates: innermost dimension first. */
    private static String coordinates(Lowerer cx, List<Value> offsets) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = offsets.size() - 1; i >= 0; i--) {
            sb.append(cx.get(offsets.get(i), cx.layouts.scalar()).reg(0)).append(i == 0 ? "}" : ", ");
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
