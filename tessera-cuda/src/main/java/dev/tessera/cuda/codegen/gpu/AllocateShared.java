package dev.tessera.cuda.codegen.gpu;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gives every shared buffer its place: one after another from offset 0, each on its tile's
 * alignment (128 bytes; 1024 for a wgmma operand with the 128-byte swizzle). The
 * buffers of one pipelined loop live during that loop only (it drains them before it ends), and
 * such loops never nest, so the buffers of different loops share the space: each loop's start
 * again at 0.
 */
public final class AllocateShared {
    private AllocateShared() {}

    public static GpuProgram run(GpuProgram p) {
        Map<SharedBuffer, Integer> offsets = new IdentityHashMap<>();
        for (GpuOp op : p.allOps()) {
            if (!(op instanceof GpuOp.PipelinedFor pf)) continue;
            List<SharedBuffer> buffers = new java.util.ArrayList<>();
            for (GpuOp a : pf.ahead()) if (a instanceof GpuOp.AsyncCopy c) buffers.add(c.buffer());
            for (GpuOp.StageOperand s : pf.invariants()) buffers.add(s.buffer());
            int next = 0;
            for (SharedBuffer b : buffers) {
                int align = b.tile().alignment();
                next = (next + align - 1) & -align;
                offsets.put(b, next);
                next += b.bytes();
            }
        }
        return new GpuProgram(p.kernel(), p.body(), p.buffers(), offsets);
    }
}
