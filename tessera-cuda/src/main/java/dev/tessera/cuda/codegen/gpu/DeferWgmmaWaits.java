package dev.tessera.cuda.codegen.gpu;

import dev.tessera.cuda.codegen.gpu.GpuOp.Wgmma.Completion;
import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Moves the waits of the wgmma groups in pipelined loops from the end of each dot's rule to the
 * first op that reads the dot's result, so that what an iteration computes between a dot and its
 * first reader runs while the tensor cores multiply (FlashAttention-3's overlap within a warpgroup:
 * the softmax of one block of keys while P·V of the previous block runs; the products a backward
 * step only accumulates into its carried values run until the iteration's end).
 *
 * <p>A dot of a loop's current stage completing {@link Completion#AT_RULE_END at its rule's end}
 * is deferred when nothing can overwrite its operands before the iteration ends: B is read from a
 * buffer of the loop (a slot, written again only after the loop's barrier of a later iteration,
 * or an invariant operand) and A from one too or from registers as fragments ({@code aFromRegisters});
 * a dot that stages an operand through scratch shared memory is not (the next op's scratch may
 * overwrite it). Before the first op that reads a deferred result, and before the iteration's yield
 * if one is still running, a {@link GpuOp.WgmmaWait} leaves in flight only the groups committed
 * after the youngest dot it needs. A dot that is not deferred waits for every older group itself.
 * The current stage holds no nested control flow (see {@link PipelineLoops}), so its order is the
 * order of execution.
 */
public final class DeferWgmmaWaits {
    private DeferWgmmaWaits() {}

    /** {@code aFromRegisters}: whether a wgmma without an A buffer reads A from registers as fragments (not staged). */
    public static GpuProgram run(GpuProgram p, Predicate<GpuOp.Wgmma> aFromRegisters) {
        return p.map(op -> op instanceof GpuOp.PipelinedFor pf ? defer(pf, aFromRegisters) : op);
    }

    private static GpuOp defer(GpuOp.PipelinedFor pf, Predicate<GpuOp.Wgmma> aFromRegisters) {
        List<GpuOp> current = new ArrayList<>();
        // each deferred dot's result still running, with the number of groups committed up to and including its own
        Map<Value, Integer> running = new IdentityHashMap<>();
        int committed = 0;
        boolean deferredAny = false;
        for (GpuOp op : pf.current()) {
            int youngest = 0;
            for (Value v : reads(op)) youngest = Math.max(youngest, running.getOrDefault(v, 0));
            if (youngest > 0) {
                current.add(new GpuOp.WgmmaWait(committed - youngest));
                final int done = youngest;
                running.values().removeIf(g -> g <= done);
            }
            if (op instanceof GpuOp.Wgmma w) {
                committed++;
                if (w.completion() == Completion.AT_RULE_END && w.b() != null && (w.a() != null || aFromRegisters.test(w))) {
                    op = w.completing(Completion.AT_FIRST_READ);
                    running.put(w.dot().result(), committed);
                    deferredAny = true;
                } else {
                    running.clear();   // it waits for every group older than its own
                }
            }
            current.add(op);
        }
        if (!deferredAny) return pf;
        if (!running.isEmpty()) {
            current.add(new GpuOp.WgmmaWait(committed - running.values().stream().mapToInt(Integer::intValue).max().orElseThrow()));
        }
        return pf.withCurrent(current);
    }

    /** The values {@code op} reads, in its nested regions too. */
    private static List<Value> reads(GpuOp op) {
        List<Value> out = new ArrayList<>();
        switch (op) {
            case GpuOp.Core(var core) -> collect(core, out);
            case GpuOp.TensorCoreDot d -> out.addAll(d.dot().operands());
            case GpuOp.TmaLoad t -> out.addAll(t.load().operands());
            case GpuOp.TmaReduce r -> out.addAll(r.add().operands());
            case GpuOp.SlotLoad l -> out.addAll(l.load().operands());
            case GpuOp.WgmmaWait w -> { }
            default -> throw new IllegalStateException("not a current-stage op: " + op);
        }
        return out;
    }

    private static void collect(Op op, List<Value> out) {
        out.addAll(op.operands());
        for (Region r : op.regions()) for (Op inner : r.ops()) collect(inner, out);
    }
}
