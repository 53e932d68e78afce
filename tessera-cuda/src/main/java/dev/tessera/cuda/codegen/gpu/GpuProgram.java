package dev.tessera.cuda.codegen.gpu;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A kernel in the GPU IR: its top-level ops, the shared buffers they use and where each starts,
 * and where its mbarriers and reduction boxes lie ({@link AllocateShared}). Single descriptor loads'
 * mbarriers and bulk reductions' boxes take the first {@link #keptBytes} of shared memory for the
 * whole kernel. While a pipelined loop runs,
 * shared memory from there up to {@link #reservedBytes} belongs to its buffers and mbarriers, and
 * the scratch space that single ops use (layout conversions, reductions, dots staged from
 * registers) starts above it; elsewhere scratch has everything above the kernel's mbarriers.
 */
public record GpuProgram(KernelIR kernel, List<GpuOp> body, List<SharedBuffer> buffers, Map<SharedBuffer, Integer> offsets,
                         Map<MBarriers, Integer> barriers, Map<ReduceBox, Integer> boxes) {

    public GpuProgram {
        body = List.copyOf(body);
        buffers = List.copyOf(buffers);
        offsets = java.util.Collections.unmodifiableMap(new IdentityHashMap<>(offsets));
        barriers = java.util.Collections.unmodifiableMap(new IdentityHashMap<>(barriers));
        boxes = java.util.Collections.unmodifiableMap(new IdentityHashMap<>(boxes));
    }

    /** The kernel in the GPU IR before any pass: every core op as it is, control flow mirrored. */
    public static GpuProgram of(KernelIR kernel) {
        return new GpuProgram(kernel, convert(kernel.body().ops()), List.of(), Map.of(), Map.of(), Map.of());
    }

    /** This program with other ops and buffers, the places of its buffers and mbarriers kept. */
    public GpuProgram with(List<GpuOp> body, List<SharedBuffer> buffers) { return new GpuProgram(kernel, body, buffers, offsets, barriers, boxes); }

    private static List<GpuOp> convert(List<Op> ops) {
        List<GpuOp> out = new ArrayList<>();
        for (Op op : ops) {
            out.add(switch (op) {
                case Op.For f -> new GpuOp.For(f, convert(f.body()));
                case Op.If i -> new GpuOp.If(i, convert(i.thenRegion()), convert(i.elseRegion()));
                case Op.While w -> new GpuOp.While(w, convert(w.condition()), convert(w.body()));
                case Op.Yield y -> new GpuOp.Yield(y);
                default -> new GpuOp.Core(op);
            });
        }
        return out;
    }

    private static GpuOp.Region convert(Region r) { return new GpuOp.Region(r.args(), convert(r.ops())); }

    /** This program with every op, at every depth, replaced by {@code f} (applied after its regions). */
    public GpuProgram map(UnaryOperator<GpuOp> f) { return with(map(body, f), buffers); }

    private static List<GpuOp> map(List<GpuOp> ops, UnaryOperator<GpuOp> f) {
        List<GpuOp> out = new ArrayList<>();
        for (GpuOp op : ops) {
            GpuOp inner = switch (op) {
                case GpuOp.For l -> new GpuOp.For(l.source(), map(l.body(), f));
                case GpuOp.If i -> new GpuOp.If(i.source(), map(i.thenRegion(), f), map(i.elseRegion(), f));
                case GpuOp.While w -> new GpuOp.While(w.source(), map(w.condition(), f), map(w.body(), f));
                case GpuOp.PipelinedFor p -> new GpuOp.PipelinedFor(p.loop(), p.stages(), p.distance(), p.invariants(), map(p.ahead(), f), map(p.current(), f),
                        p.aheadCarried(), p.barriers(), p.released());
                case GpuOp.Specialized s -> new GpuOp.Specialized(map(s.producer(), f), map(s.consumers(), f), s.producerWarps());
                case GpuOp.ProducerFor l -> new GpuOp.ProducerFor(l.loop(), map(l.body(), f));
                default -> op;
            };
            out.add(f.apply(inner));
        }
        return out;
    }

    private static GpuOp.Region map(GpuOp.Region r, UnaryOperator<GpuOp> f) { return new GpuOp.Region(r.args(), map(r.ops(), f)); }

    /** Every op at every depth, outer ones before the ops of their regions. */
    public List<GpuOp> allOps() {
        List<GpuOp> out = new ArrayList<>();
        collect(body, out);
        return out;
    }

    private static void collect(List<GpuOp> ops, List<GpuOp> out) {
        for (GpuOp op : ops) {
            out.add(op);
            switch (op) {
                case GpuOp.For l -> collect(l.body().ops(), out);
                case GpuOp.If i -> {
                    collect(i.thenRegion().ops(), out);
                    collect(i.elseRegion().ops(), out);
                }
                case GpuOp.While w -> {
                    collect(w.condition().ops(), out);
                    collect(w.body().ops(), out);
                }
                case GpuOp.PipelinedFor p -> {
                    collect(p.ahead(), out);
                    collect(p.current(), out);
                }
                // each loop once: under its consumers (the producer's side is the same loop)
                case GpuOp.Specialized s -> collect(s.consumers(), out);
                case GpuOp.Consume c -> collect(List.of(c.loop()), out);
                default -> { }
            }
        }
    }

    /** Whether a dot runs on Hopper's warpgroup tensor cores (their tiles need shared memory on 1024 bytes). */
    public boolean usesWgmma() { return allOps().stream().anyMatch(op -> op instanceof GpuOp.Wgmma); }

    /** The bytes from the start of shared memory up to the end of {@code loop}'s buffers and mbarriers, which it holds while it runs. */
    public int reservedBytes(GpuOp.PipelinedFor loop) {
        int end = 0;
        for (GpuOp op : loop.ahead()) {
            switch (op) {
                case GpuOp.AsyncCopy c -> end = Math.max(end, offset(c.buffer()) + c.buffer().bytes());
                case GpuOp.TmaCopy c -> end = Math.max(end, offset(c.buffer()) + c.buffer().bytes());
                default -> { }
            }
        }
        for (GpuOp.StageOperand s : loop.invariants()) end = Math.max(end, offset(s.buffer()) + s.buffer().bytes());
        for (MBarriers b : java.util.Arrays.asList(loop.barriers(), loop.released())) if (b != null) end = Math.max(end, offset(b) + b.bytes());
        return end;
    }

    public int offset(SharedBuffer b) {
        Integer o = offsets.get(b.placed());
        if (o == null) throw new IllegalStateException(b + " has no place in shared memory yet");
        return o;
    }

    /** Where the first word of {@code b} lies. */
    public int offset(MBarriers b) {
        Integer o = barriers.get(b);
        if (o == null) throw new IllegalStateException(b + " has no place in shared memory yet");
        return o;
    }

    /** Where {@code b} starts. */
    public int offset(ReduceBox b) {
        Integer o = boxes.get(b);
        if (o == null) throw new IllegalStateException(b + " has no place in shared memory yet");
        return o;
    }

    /**
     * The bytes at the start of shared memory kept for the whole kernel (a multiple of 16): single
     * descriptor loads' mbarriers and bulk reductions' boxes.
     */
    public int keptBytes() {
        int end = 0;
        for (GpuOp op : allOps()) {
            switch (op) {
                case GpuOp.TmaLoad t -> end = Math.max(end, offset(t.barrier()) + t.barrier().bytes());
                case GpuOp.TmaReduce r -> end = Math.max(end, offset(r.box()) + r.box().bytes());
                default -> { }
            }
        }
        return (end + 15) & ~15;
    }

    /** Whether some op adds blocks by bulk reductions, which the kernel's end waits for. */
    public boolean reducesInBulk() { return allOps().stream().anyMatch(op -> op instanceof GpuOp.TmaReduce); }
}
