package dev.tessera.cuda.codegen.gpu;

import dev.tessera.ir.Op;
import dev.tessera.ir.Value;
import dev.tessera.passes.Effects;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Warp specialization (Hopper): a kernel whose pipelined loops copy only by TMA gets a producer
 * warpgroup whose first thread issues every loop's copies, while the kernel's warps only wait for their slots,
 * compute and release them ({@link GpuOp.Specialized}). The consumers then never stop for the copy
 * issue (the thread that issued them inline waited for every warp's release of the slot first),
 * and the producer runs as far ahead as the slots allow.
 *
 * <p>The producer follows the kernel's control only as far as a loop at the top of its body: a
 * kernel qualifies when each of its loops with {@link GpuOp.PipelinedFor#released} mbarriers lies
 * at the top of its body or in the body of a loop there (a persistent kernel's loop over output
 * tiles, which the producer walks too: {@link GpuOp.ProducerFor}), it has no other descriptor load
 * (whose mbarrier the prologue would initialize behind a barrier of all threads) and every value
 * the producer needs — the loops' bounds, the inits of the carried values stage 0 updates, what
 * stage 0 reads from before its loop, and everything those are computed from — is a scalar made by
 * a pure op in those bodies (a program id, a parameter's arithmetic, the outer loop's induction
 * variable; not the outer loop's carried values). The producer computes those again for itself; it
 * touches no memory but its copies, so a layout over the consumers' threads never reaches it.
 * Consumers and producer meet before every run of an inner loop, so the producer does not yet run
 * ahead into the next tile while the consumers store the last one. Both sides check the steps of
 * the loops they walk, so a failed check ends both before they meet; a kernel with device
 * assertions is not specialized (a failure ends only consumers).
 */
public final class SpecializeWarps {
    private SpecializeWarps() {}

    /**
     * A warpgroup, though one thread issues the copies: registers are given back and claimed by
     * whole warpgroups ({@code setmaxnreg}), and ptxas budgets a block's registers by warpgroups
     * anyway (8 warps and one more got 168 registers a thread, as 12 warps do).
     */
    public static final int PRODUCER_WARPS = 4;

    /** What the producer keeps a thread: its loop, slot, phases and coordinates. */
    static final int PRODUCER_REGISTERS = 40;

    /**
     * The registers a thread of a specialized block of {@code consumerWarps} consumers starts with
     * ({@code launch}, what ptxas must allocate: the block's share of the 64 K), keeps in the
     * producer and claims in the consumers once the producer has given its surplus back to the
     * block's pool (each {@code setmaxnreg.inc} waits until the pool holds what it asks for, so the
     * consumers' count is exactly what the producer's release pays for). Null for one consumer
     * warpgroup, which has the registers it can use without the split.
     */
    public record RegisterSplit(int launch, int producer, int consumers) {
        public static RegisterSplit of(int consumerWarps) {
            int groups = consumerWarps / 4;   // 1 or 2 (see run)
            if (groups < 2) return null;
            int launch = 65536 / ((groups + 1) * 128) / 8 * 8;
            int consumers = Math.min(256, (launch + (launch - PRODUCER_REGISTERS) / groups) / 8 * 8);
            return new RegisterSplit(launch, PRODUCER_REGISTERS, consumers);
        }
    }

    /** {@code consumerWarps}: the kernel's warps, over which its layouts are spread. */
    public static GpuProgram run(GpuProgram p, int consumerWarps) {
        // whole consumer warpgroups and a block of at most 1024 threads; the register split is measured at two groups
        if (consumerWarps % 4 != 0 || consumerWarps > 8) return p;
        // a failed device assertion ends the consumers' threads, and the producer would wait for their releases forever
        if (p.allOps().stream().anyMatch(op -> op instanceof GpuOp.Core(Op.Assert a))) return p;
        List<GpuOp> body = p.body();
        // the produced loops: at the top level, or in the body of a loop there (persistent kernels' loop over tiles)
        Set<GpuOp.PipelinedFor> produced = Collections.newSetFromMap(new IdentityHashMap<>());
        for (GpuOp op : body) {
            if (op instanceof GpuOp.PipelinedFor pf && pf.released() != null) produced.add(pf);
            if (op instanceof GpuOp.For outer) {
                for (GpuOp inner : outer.body().ops()) if (inner instanceof GpuOp.PipelinedFor pf && pf.released() != null) produced.add(pf);
            }
        }
        if (produced.isEmpty()) return p;
        for (GpuOp op : p.allOps()) {
            if (op instanceof GpuOp.TmaLoad) return p;
            if (op instanceof GpuOp.PipelinedFor pf && pf.released() != null && !produced.contains(pf)) return p;   // nested deeper
        }
        Set<Value> needed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (GpuOp.PipelinedFor pf : produced) {
            if (!needsOnlyScalars(pf, needed)) return p;
        }
        Set<GpuOp> slice = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Value> available = Collections.newSetFromMap(new IdentityHashMap<>());
        p.kernel().params().forEach(param -> available.add(param.value()));
        // walking backwards, a loop's body before what comes before the loop
        for (int i = body.size() - 1; i >= 0; i--) {
            GpuOp op = body.get(i);
            if (op instanceof GpuOp.For outer && outer.body().ops().stream().anyMatch(produced::contains)) {
                Op.For f = outer.source();
                if (!sliceOf(outer.body().ops(), needed, slice, available)) return p;
                // the producer's copy of the loop carries nothing: its body may read the induction variable only
                List<Value> carried = f.body().args().subList(1, f.body().args().size());
                if (carried.stream().anyMatch(needed::contains)) return p;
                available.add(f.body().args().getFirst());
                needed.addAll(List.of(f.lower(), f.upper(), f.step()));
            } else if (!sliceOf(List.of(op), needed, slice, available)) {
                return p;
            }
        }
        // what is neither made by the slice nor a parameter (a loop's result, say) cannot be computed again
        if (!available.containsAll(needed)) return p;
        List<GpuOp> producer = new ArrayList<>(), consumers = new ArrayList<>();
        for (GpuOp op : body) {
            if (op instanceof GpuOp.For outer && outer.body().ops().stream().anyMatch(produced::contains)) {
                producer.add(new GpuOp.ProducerFor(outer.source(), producerOps(outer.body().ops(), slice, produced)));
                List<GpuOp> inner = new ArrayList<>();
                for (GpuOp o : outer.body().ops()) inner.add(o instanceof GpuOp.PipelinedFor pf && produced.contains(pf) ? new GpuOp.Consume(pf) : o);
                consumers.add(new GpuOp.For(outer.source(), new GpuOp.Region(outer.body().args(), inner)));
            } else {
                producer.addAll(producerOps(List.of(op), slice, produced));
                consumers.add(op instanceof GpuOp.PipelinedFor pf && produced.contains(pf) ? new GpuOp.Consume(pf) : op);
            }
        }
        return p.with(List.of(new GpuOp.Specialized(producer, consumers, PRODUCER_WARPS)), p.buffers());
    }

    /**
     * Walks {@code ops} backwards, adding to {@code slice} the core ops that make a {@code needed}
     * value and to {@code needed} their operands, and to {@code available} what they make; false
     * when such an op is not a pure op with scalar results (the producer could not compute it).
     */
    private static boolean sliceOf(List<GpuOp> ops, Set<Value> needed, Set<GpuOp> slice, Set<Value> available) {
        for (int i = ops.size() - 1; i >= 0; i--) {
            if (!(ops.get(i) instanceof GpuOp.Core(Op core))) continue;
            if (core.results().stream().noneMatch(needed::contains)) continue;
            if (!Effects.isPure(core) || core.results().stream().anyMatch(v -> !v.type().isScalar())) return false;
            slice.add(ops.get(i));
            needed.addAll(core.operands());
            available.addAll(core.results());
        }
        return true;
    }

    /** The producer's ops of {@code ops}: the slice's, in order, and each produced loop's copies. */
    private static List<GpuOp> producerOps(List<GpuOp> ops, Set<GpuOp> slice, Set<GpuOp.PipelinedFor> produced) {
        List<GpuOp> out = new ArrayList<>();
        for (GpuOp op : ops) {
            if (slice.contains(op)) out.add(op);
            if (op instanceof GpuOp.PipelinedFor pf && produced.contains(pf)) out.add(new GpuOp.Produce(pf));
        }
        return out;
    }

    /**
     * Adds to {@code needed} what the producer reads from before {@code pf}: its bounds, the inits of
     * the carried values stage 0 updates, and stage 0's operands defined outside it; false when
     * stage 0 computes anything but scalars (the producer could not hold a tile's layout).
     */
    private static boolean needsOnlyScalars(GpuOp.PipelinedFor pf, Set<Value> needed) {
        Op.For f = pf.loop();
        needed.addAll(List.of(f.lower(), f.upper(), f.step()));
        for (int c : pf.aheadCarried()) needed.add(f.inits().get(c));
        Set<Value> inside = Collections.newSetFromMap(new IdentityHashMap<>());
        inside.addAll(f.body().args());
        for (GpuOp op : pf.ahead()) {
            Op core = switch (op) {
                case GpuOp.Core(Op c) -> c;
                case GpuOp.TmaCopy t -> t.load();
                default -> null;
            };
            if (core == null) return false;
            for (Value v : core.operands()) if (!inside.contains(v)) needed.add(v);
            if (op instanceof GpuOp.Core && core.results().stream().anyMatch(v -> !v.type().isScalar())) return false;
            inside.addAll(core.results());
        }
        return true;
    }
}
