package dev.tessera.cuda.codegen.gpu;

import dev.tessera.ir.Op;
import java.util.List;

/**
 * The ops of the GPU IR, the CUDA backend's stage between the optimized core IR and PTX (as
 * Triton's TritonGPU dialect sits between {@code tt} and LLVM). Core ops pass through unchanged,
 * each lowered by its own rule in the layout its values were assigned; the GPU-only ops say what
 * core IR cannot: which loads become asynchronous copies into shared memory, which dots read
 * their operands from there, and how a loop is split into pipeline stages. These ops never reach
 * the core IR or the CPU backend.
 */
public sealed interface GpuOp {

    /** A core op, lowered by its rule. */
    record Core(Op op) implements GpuOp {}

    /**
     * A software-pipelined {@code for} loop. Its body is split in two stages: {@code ahead} (the
     * asynchronous copies of the loads that feed dots, and every op their addresses and masks
     * need, including the updates of the carried values they read) runs {@code stages - 1}
     * iterations ahead of {@code current} (everything else: the dots and what consumes them).
     * Lowered as: a prologue running {@code ahead} for iterations 0 … stages − 2, then a loop whose
     * iteration i waits for the copies of iteration i, runs {@code current} for i and {@code ahead}
     * for i + stages − 1 into the slot that iteration i − 1 has finished reading; then a drain.
     *
     * @param loop          the core loop (its body's ops are the ones in the stages)
     * @param stages        buffers per copied operand (Triton's num_stages)
     * @param ahead         stage 0, in the body's order: {@link Core} ops and {@link AsyncCopy}s
     * @param current       stage 1, in the body's order: {@link Core} ops and {@link SharedDot}s
     * @param aheadCarried  indices (into the loop's carried values) that stage 0 reads and updates:
     *                      in the pipelined loop they hold the values of iteration i + stages − 1
     */
    record PipelinedFor(Op.For loop, int stages, List<GpuOp> ahead, List<GpuOp> current, List<Integer> aheadCarried)
            implements GpuOp {
        public PipelinedFor {
            ahead = List.copyOf(ahead);
            current = List.copyOf(current);
            aheadCarried = List.copyOf(aheadCarried);
        }
    }

    /**
     * A load whose tile is copied from global memory into one slot of {@code buffer} with
     * {@code cp.async} (masked-off elements and iterations past the loop's end are zero-filled);
     * its value is read only by a {@link SharedDot}.
     */
    record AsyncCopy(Op.Load load, SharedBuffer buffer) implements GpuOp {}

    /** A dot whose operands (those with a buffer; null: in registers) are read from the current slot of their buffers. */
    record SharedDot(Op.Dot dot, SharedBuffer a, SharedBuffer b) implements GpuOp {}
}
