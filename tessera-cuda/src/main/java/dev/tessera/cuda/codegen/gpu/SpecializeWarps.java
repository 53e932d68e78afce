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
 * warp that issues every loop's copies, while the kernel's warps only wait for their slots,
 * compute and release them ({@link GpuOp.Specialized}). The consumers then never stop for the copy
 * issue (the thread that issued them inline waited for every warp's release of the slot first),
 * and the producer runs as far ahead as the slots allow.
 *
 * <p>The producer follows the kernel's top-level control only: a kernel qualifies when each of its
 * loops with {@link GpuOp.PipelinedFor#released} mbarriers lies at the top of its body (in no
 * branch or other loop), it has no other descriptor load (whose mbarrier the prologue would
 * initialize behind a barrier of all threads) and every value the producer needs — the loops'
 * bounds, the inits of the carried values stage 0 updates, what stage 0 reads from before its loop,
 * and everything those are computed from — is a scalar made by a pure op at the top of the body
 * (a program id, a parameter's arithmetic). The producer computes those again for itself; it
 * touches no memory but its copies, so a layout over the consumers' threads never reaches it.
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
            int groups = consumerWarps / 4;
            if (groups < 2) return null;
            int launch = 65536 / ((groups + 1) * 128) / 8 * 8;
            int consumers = Math.min(256, (launch + (launch - PRODUCER_REGISTERS) / groups) / 8 * 8);
            return new RegisterSplit(launch, PRODUCER_REGISTERS, consumers);
        }
    }

    public static GpuProgram run(GpuProgram p) {
        List<GpuOp> body = p.body();
        List<GpuOp.PipelinedFor> produced = new ArrayList<>();
        for (GpuOp op : body) if (op instanceof GpuOp.PipelinedFor pf && pf.released() != null) produced.add(pf);
        if (produced.isEmpty()) return p;
        for (GpuOp op : p.allOps()) {
            if (op instanceof GpuOp.TmaLoad) return p;
            if (op instanceof GpuOp.PipelinedFor pf && pf.released() != null && !produced.contains(pf)) return p;   // nested
        }
        Set<Value> needed = Collections.newSetFromMap(new IdentityHashMap<>());
        for (GpuOp.PipelinedFor pf : produced) {
            if (!needsOnlyScalars(pf, needed)) return p;
        }
        // the slice the needed values come from, walking the top level backwards
        boolean[] inSlice = new boolean[body.size()];
        for (int i = body.size() - 1; i >= 0; i--) {
            if (!(body.get(i) instanceof GpuOp.Core(Op core))) continue;
            if (core.results().stream().noneMatch(needed::contains)) continue;
            if (!Effects.isPure(core) || core.results().stream().anyMatch(v -> !v.type().isScalar())) return p;
            inSlice[i] = true;
            needed.addAll(core.operands());
        }
        // what is neither made at the top level nor a parameter (a loop's result, say) cannot be computed again
        Set<Value> available = Collections.newSetFromMap(new IdentityHashMap<>());
        p.kernel().params().forEach(param -> available.add(param.value()));
        for (int i = 0; i < body.size(); i++) if (inSlice[i]) available.addAll(((GpuOp.Core) body.get(i)).op().results());
        if (!available.containsAll(needed)) return p;
        List<GpuOp> producer = new ArrayList<>(), consumers = new ArrayList<>();
        for (int i = 0; i < body.size(); i++) {
            GpuOp op = body.get(i);
            if (inSlice[i]) producer.add(op);
            if (op instanceof GpuOp.PipelinedFor pf && produced.contains(pf)) {
                producer.add(new GpuOp.Produce(pf));
                consumers.add(new GpuOp.Consume(pf));
            } else {
                consumers.add(op);
            }
        }
        return p.with(List.of(new GpuOp.Specialized(producer, consumers, PRODUCER_WARPS)), p.buffers());
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
