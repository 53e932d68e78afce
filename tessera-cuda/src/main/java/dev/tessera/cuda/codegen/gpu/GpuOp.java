package dev.tessera.cuda.codegen.gpu;

import dev.tessera.cuda.codegen.layout.SwizzledTile;
import dev.tessera.ir.Op;
import dev.tessera.types.DType;
import java.util.List;

/**
 * The ops of the GPU IR, the CUDA backend's stage between the optimized core IR and PTX (as
 * Triton's TritonGPU dialect sits between {@code tt} and LLVM). Core ops pass through unchanged,
 * each lowered by its own rule in the layout its values were assigned; control flow is mirrored
 * so that GPU ops can sit in loop bodies and branches; the GPU-only ops say what core IR cannot:
 * which dots run on tensor cores and how, which loads become asynchronous copies into shared
 * memory, and how a loop is split into pipeline stages. These ops never reach the core IR or the
 * CPU backend.
 */
public sealed interface GpuOp {

    /** A region of GPU ops: a loop body, a branch, a loop condition; ends with a {@link Yield}. */
    record Region(List<dev.tessera.ir.Value> args, List<GpuOp> ops) {
        public Region {
            args = List.copyOf(args);
            ops = List.copyOf(ops);
        }

        public Yield terminator() { return (Yield) ops.getLast(); }
    }

    /** A core op, lowered by its rule (the combine regions of reductions and scans stay core: they are scalar). */
    record Core(Op op) implements GpuOp {}

    /** The core loop {@code source} with its body in GPU ops (its values, bounds and carried values are the source's). */
    record For(Op.For source, Region body) implements GpuOp {}

    /** The core branch {@code source} with its regions in GPU ops. */
    record If(Op.If source, Region thenRegion, Region elseRegion) implements GpuOp {}

    /** The core while loop {@code source} with its regions in GPU ops. */
    record While(Op.While source, Region condition, Region body) implements GpuOp {}

    /** Ends a region: the source yield's values. */
    record Yield(Op.Yield source) implements GpuOp {}

    /**
     * A dot on tensor cores: {@code instr} per instruction tile, warps split as {@code tiling}.
     * Each operand with a buffer is read from the current slot of it (in a pipelined loop);
     * the others come from registers (staged through scratch shared memory, or, for an A held in
     * the accumulator layout of a rows tiling, used as fragments directly).
     */
    record Mma(Op.Dot dot, TensorCores.Mma instr, TensorCores.Tiling tiling, SharedBuffer a, SharedBuffer b) implements TensorCoreDot {
        @Override
        public Mma withOperands(SharedBuffer a, SharedBuffer b) { return new Mma(dot, instr, tiling, a, b); }

        @Override
        public SwizzledTile operandTile(int rows, int cols, DType type) { return SwizzledTile.of(rows, cols, type.byteSize()); }
    }

    /**
     * A dot on Hopper's warpgroup tensor cores: {@code instr} per 64-row instruction, warpgroups
     * split as {@code groups}; both operands are read from shared memory through matrix
     * descriptors (from the current slot of a buffer, else staged there from registers), or A
     * from registers as fragments. Its instructions are one commit group, complete when
     * {@code completion} says.
     */
    record Wgmma(Op.Dot dot, TensorCores.Wgmma instr, TensorCores.WarpGroups groups, SharedBuffer a, SharedBuffer b, Completion completion)
            implements TensorCoreDot {
        @Override
        public Wgmma withOperands(SharedBuffer a, SharedBuffer b) { return new Wgmma(dot, instr, groups, a, b, completion); }

        public Wgmma completing(Completion c) { return new Wgmma(dot, instr, groups, a, b, c); }

        /** Wgmma's canonical layout; none for a 16-bit operand copied MN-major in rows under 32 bytes (no swizzle mode reads it), nor for tf32. */
        @Override
        public SwizzledTile operandTile(int rows, int cols, DType type) {
            if (!instr.readsRawCopies() || cols * type.byteSize() < 32) return null;
            return SwizzledTile.canonical(rows, cols, type.byteSize());
        }

        /** When a wgmma's group must be complete. */
        public enum Completion {
            /** When its rule ends, as every other op's result is. */
            AT_RULE_END,
            /**
             * Before the first op of its loop's iteration that reads its result, at the latest before
             * the yield: a {@link WgmmaWait} placed by {@link DeferWgmmaWaits} (its operands are
             * buffers or registers that nothing overwrites within the iteration).
             */
            AT_FIRST_READ,
            /**
             * In the next iteration: it accumulates in place into its accumulator's registers (a
             * pipelined loop's carried value, read by nothing else in the loop), the next
             * iteration's instance waits for it (one group stays in flight) and so does the loop's
             * end (see {@link PipelinedFor#distance()}).
             */
            NEXT_ITERATION
        }
    }

    /**
     * Waits until at most {@code pending} wgmma groups, the youngest, are still running: placed
     * by {@link DeferWgmmaWaits} before the first op that reads a result of a group committed
     * before them.
     */
    record WgmmaWait(int pending) implements GpuOp {}

    /** A dot on tensor cores, either kind: what pipelining needs to give its operands shared buffers. */
    sealed interface TensorCoreDot extends GpuOp {
        Op.Dot dot();

        /** The buffer A is read from, or null (from registers). */
        SharedBuffer a();

        /** The buffer B is read from, or null. */
        SharedBuffer b();

        TensorCoreDot withOperands(SharedBuffer a, SharedBuffer b);

        /**
         * The tile a pipelined copy puts an operand in (stored rows by cols),
         * or null when this dot cannot read that operand as copied.
         */
        SwizzledTile operandTile(int rows, int cols, DType type);
    }

    /**
     * A software-pipelined {@code for} loop. Its body is split in two stages: {@code ahead} (the
     * asynchronous copies of the loads that feed dots, and every op their addresses and masks
     * need, including the updates of the carried values they read) runs {@code distance}
     * iterations ahead of {@code current} (everything else: the dots and what consumes them).
     * Lowered as: a prologue running {@code ahead} for iterations 0 … distance − 1, then a loop
     * whose iteration i waits for the copies of iteration i, runs {@code ahead} for i + distance
     * into the slot iteration i + distance − stages read (finished by then) and {@code current}
     * for i; then a drain.
     *
     * @param loop          the core loop (its body's ops are the ones in the stages)
     * @param stages        buffers per copied operand (Triton's num_stages)
     * @param distance      how many iterations stage 0 runs ahead: stages − 1, or stages − 2 when a
     *                      dot of stage 1 is still reading its slot as the next iteration begins
     *                      (a wgmma completing in the {@link Wgmma.Completion#NEXT_ITERATION next iteration})
     * @param invariants    dot operands defined before the loop, written into their buffers before the prologue
     * @param ahead         stage 0, in the body's order: {@link Core} ops and {@link AsyncCopy}s
     * @param current       stage 1, in the body's order: {@link Core} ops, {@link TensorCoreDot}s and {@link WgmmaWait}s
     * @param aheadCarried  indices (into the loop's carried values) that stage 0 reads and updates:
     *                      in the pipelined loop they hold the values of iteration i + distance
     * @param barriers      one mbarrier per slot, which the stage's {@link TmaCopy}s complete on;
     *                      null when stage 0 has none
     * @param released      one mbarrier per slot, which every warp arrives on once it has finished
     *                      reading the slot and the copy into it waits on, so that no barrier of the
     *                      whole block orders a slot's reuse: when stage 0 copies only by TMA (its one
     *                      issuing thread waits, the other warps run on); null when stage 0 holds
     *                      {@code cp.async} copies, which each thread issues (the loop's barrier orders them)
     */
    record PipelinedFor(Op.For loop, int stages, int distance, List<StageOperand> invariants, List<GpuOp> ahead, List<GpuOp> current,
                        List<Integer> aheadCarried, MBarriers barriers, MBarriers released) implements GpuOp {
        public PipelinedFor {
            if (distance < 1 || distance >= stages) throw new IllegalArgumentException("distance " + distance + " with " + stages + " stages");
            invariants = List.copyOf(invariants);
            ahead = List.copyOf(ahead);
            current = List.copyOf(current);
            aheadCarried = List.copyOf(aheadCarried);
        }

        /** This loop with {@code current} as stage 1. */
        public PipelinedFor withCurrent(List<GpuOp> current) {
            return new PipelinedFor(loop, stages, distance, invariants, ahead, current, aheadCarried, barriers, released);
        }

        /** Whether stage 0 copies with {@code cp.async} (and so commits and waits for groups of copies). */
        public boolean copiesAsync() { return ahead.stream().anyMatch(op -> op instanceof AsyncCopy); }
    }

    /**
     * A kernel whose warps are specialized (Hopper's producer/consumer split, as CUTLASS's and
     * FlashAttention-3's kernels): the kernel's own warps, the consumers, run {@code consumers}
     * (the kernel's ops, each pipelined loop as a {@link Consume}); {@code producerWarps} more warps
     * run {@code producer}: the scalar ops the loops' bounds and copies' coordinates need, and each
     * loop's copies ({@link Produce}), in the same order. Consumers and producer meet at a
     * barrier of all threads before each loop (its mbarriers initialized); nothing else joins them.
     */
    record Specialized(List<GpuOp> producer, List<GpuOp> consumers, int producerWarps) implements GpuOp {
        public Specialized {
            producer = List.copyOf(producer);
            consumers = List.copyOf(consumers);
        }
    }

    /**
     * The producer's side of a pipelined loop whose copies are all TMA: for each iteration, stage 0
     * (its coordinates), the copies into the iteration's slot once every consumer warp has released
     * it, completing on the slot's mbarrier. Runs as far ahead as the slots allow.
     */
    record Produce(PipelinedFor loop) implements GpuOp {}

    /**
     * The producer's walk of a loop around produced loops (a persistent kernel's loop over its
     * output tiles): the core loop's bounds and induction variable, and {@code body}, the scalar
     * ops its produced loops need and their {@link Produce}s; it carries nothing.
     */
    record ProducerFor(Op.For loop, List<GpuOp> body) implements GpuOp {
        public ProducerFor {
            body = List.copyOf(body);
        }
    }

    /**
     * The consumers' side of a pipelined loop whose copies a {@link Produce} issues: each
     * iteration waits for its slot's copies, runs stage 1 and releases the slot (no prologue, no
     * copies, no barrier of the consumers in the loop).
     */
    record Consume(PipelinedFor loop) implements GpuOp {}

    /**
     * A loop-invariant dot operand held in registers, written once into {@code buffer} (one slot)
     * before its pipelined loop begins, each thread its own part; the loop's dots read it there.
     */
    record StageOperand(dev.tessera.ir.Value value, SharedBuffer buffer) implements GpuOp {}

    /**
     * A load whose tile is copied from global memory into one slot of {@code buffer} with
     * {@code cp.async} (masked-off elements and iterations past the loop's end are zero-filled);
     * its value is read only by an {@link Mma}.
     */
    record AsyncCopy(Op.Load load, SharedBuffer buffer) implements GpuOp {}

    /**
     * A descriptor's block copied by the tensor-memory accelerator into one slot of {@code buffer}
     * (stage 0 of a pipelined loop), completing on that slot's mbarrier: the box lands in the
     * buffer's swizzled tile as the tensor map's swizzle writes it, one box per 128-byte-wide atom
     * of the tile, or in a row-major tile as one box; elements outside the tensor, and iterations
     * past the loop's end, are zeros. Its value is read by a {@link Wgmma}, or (row-major) by a
     * {@link SlotLoad}.
     */
    record TmaCopy(Op.DescriptorLoad load, SharedBuffer buffer) implements GpuOp {}

    /**
     * Stage 1's read of a block a {@link TmaCopy} put into the current slot of {@code buffer} (a
     * row-major tile, for ops other than wgmma): every thread loads its elements in the value's
     * layout, once the slot's copies have landed, as a {@link TmaLoad} reads its box.
     */
    record SlotLoad(Op.DescriptorLoad load, SharedBuffer buffer) implements GpuOp {}

    /**
     * A descriptor's block loaded through the tensor-memory accelerator on its own: the box lands
     * row-major in scratch shared memory, completing on {@code barrier} (one word), and every
     * thread then reads its elements in the value's layout.
     */
    record TmaLoad(Op.DescriptorLoad load, MBarriers barrier) implements GpuOp {}

    /**
     * A block added into a descriptor's tensor by the tensor-memory accelerator
     * ({@code cp.reduce.async.bulk.tensor .add}): the threads write it row-major into {@code box}
     * and one thread issues the reduction without waiting for it. The site's next write into the
     * box first waits until the unit has read the box, and the kernel's end until every reduction
     * is done.
     */
    record TmaReduce(Op.DescriptorAtomicAdd add, ReduceBox box) implements GpuOp {}
}
