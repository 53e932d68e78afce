package dev.tessera.cuda.codegen.gpu;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A kernel in the GPU IR: its top-level ops, the shared buffers they use and where each starts
 * ({@link AllocateShared}). While a pipelined loop runs, shared memory below
 * {@link #reservedBytes} belongs to its buffers and the scratch space that single ops use (layout
 * conversions, reductions, dots staged from registers) starts above it; elsewhere scratch has it all.
 */
public record GpuProgram(KernelIR kernel, List<GpuOp> body, List<SharedBuffer> buffers, Map<SharedBuffer, Integer> offsets) {

    public GpuProgram {
        body = List.copyOf(body);
        buffers = List.copyOf(buffers);
        offsets = java.util.Collections.unmodifiableMap(new IdentityHashMap<>(offsets));
    }

    /** The program that lowers every core op as it is: the GPU IR before any pass. */
    public static GpuProgram of(KernelIR kernel) {
        List<GpuOp> ops = new ArrayList<>();
        for (Op op : kernel.body().ops()) ops.add(new GpuOp.Core(op));
        return new GpuProgram(kernel, ops, List.of(), Map.of());
    }

    /** The bytes the buffers of {@code loop} take from the start of shared memory while it runs. */
    public int reservedBytes(GpuOp.PipelinedFor loop) {
        int end = 0;
        for (GpuOp op : loop.ahead()) if (op instanceof GpuOp.AsyncCopy c) end = Math.max(end, offset(c.buffer()) + c.buffer().bytes());
        return end;
    }

    public int offset(SharedBuffer b) {
        Integer o = offsets.get(b);
        if (o == null) throw new IllegalStateException(b + " has no place in shared memory yet");
        return o;
    }
}
