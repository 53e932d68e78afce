package dev.tessera.cuda.codegen.gpu;

/**
 * Shared memory that a bulk-reduction site ({@link GpuOp.TmaReduce}) writes its block into: a
 * row-major box the copy unit reads while the threads go on. It is kept for the whole kernel,
 * beside the single loads' mbarriers ({@link AllocateShared}), since no other op may write there
 * before the unit has read it, and that wait is put off until the next reduction of any site
 * (the sites of a kernel share one place).
 *
 * @param name  what it serves, for printing
 * @param bytes the block's bytes
 */
public record ReduceBox(String name, int bytes) {
    @Override
    public String toString() { return "%box_" + name + "<" + bytes + " bytes>"; }
}
