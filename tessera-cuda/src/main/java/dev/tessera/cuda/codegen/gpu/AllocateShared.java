package dev.tessera.cuda.codegen.gpu;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gives every mbarrier and shared buffer its place. The mbarriers of single descriptor loads come
 * first, 8 bytes each in program order, and keep their words for the whole kernel (see
 * {@link MBarriers}), then the box of bulk reductions, on 128 bytes, kept as long and shared by
 * every reduction site ({@link ReduceBox}). Buffers follow, one after another, each on its tile's
 * alignment (128 bytes; 1024 for a wgmma operand with the 128-byte swizzle) counted from the
 * array's start, which lies on the shared window's own alignment; then the loop's own mbarriers,
 * one a slot. The buffers and
 * mbarriers of one pipelined loop live during that loop only (it initializes the mbarriers before
 * its prologue, drains everything and invalidates them before it ends), and such loops never nest,
 * so different loops share the space: each loop's start again just above the kernel's mbarriers.
 */
public final class AllocateShared {
    private AllocateShared() {}

    /** Where a bulk copy's box may start (cp.async.bulk.tensor's rule for its shared memory). */
    public static final int BOX_ALIGNMENT = 128;

    public static GpuProgram run(GpuProgram p) {
        Map<MBarriers, Integer> barriers = new IdentityHashMap<>();
        int words = 0;
        for (GpuOp op : p.allOps()) {
            if (!(op instanceof GpuOp.TmaLoad t)) continue;
            barriers.put(t.barrier(), words);
            words += t.barrier().bytes();
        }
        // every site's write into its box first waits until the unit has read all the issuing thread's earlier
        // reductions' boxes (wait_group.read 0 counts them all), so the sites share one box, the largest's size
        Map<ReduceBox, Integer> boxes = new IdentityHashMap<>();
        int boxStart = (words + BOX_ALIGNMENT - 1) & -BOX_ALIGNMENT, boxEnd = words;
        for (GpuOp op : p.allOps()) {
            if (!(op instanceof GpuOp.TmaReduce r)) continue;
            boxes.put(r.box(), boxStart);
            boxEnd = Math.max(boxEnd, boxStart + r.box().bytes());
        }
        words = boxEnd;
        int floor = (words + 15) & ~15;
        Map<SharedBuffer, Integer> offsets = new IdentityHashMap<>();
        for (GpuOp op : p.allOps()) {
            if (!(op instanceof GpuOp.PipelinedFor pf)) continue;
            List<SharedBuffer> buffers = new java.util.ArrayList<>();
            for (GpuOp a : pf.ahead()) {
                switch (a) {
                    case GpuOp.AsyncCopy c -> buffers.add(c.buffer());
                    case GpuOp.TmaCopy c -> buffers.add(c.buffer());
                    default -> { }
                }
            }
            for (GpuOp.StageOperand s : pf.invariants()) buffers.add(s.buffer());
            int next = floor;
            for (SharedBuffer b : buffers) {
                int align = b.tile().alignment();
                next = (next + align - 1) & -align;
                offsets.put(b, next);
                next += b.bytes();
            }
            next = (next + MBarriers.BYTES - 1) & -MBarriers.BYTES;
            for (MBarriers b : java.util.Arrays.asList(pf.barriers(), pf.released())) {
                if (b == null) continue;
                barriers.put(b, next);
                next += b.bytes();
            }
        }
        return new GpuProgram(p.kernel(), p.body(), p.buffers(), offsets, barriers, boxes);
    }
}
