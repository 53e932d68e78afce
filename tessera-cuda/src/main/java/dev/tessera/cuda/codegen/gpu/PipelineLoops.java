package dev.tessera.cuda.codegen.gpu;

import dev.tessera.cuda.codegen.layout.SwizzledTile;
import dev.tessera.ir.Op;
import dev.tessera.passes.Effects;
import dev.tessera.ir.Op.*;
import dev.tessera.ir.Region;
import dev.tessera.ir.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Software pipelining of the loops that feed tensor-core dots (Triton's pipeliner, with two
 * stages of ops and {@code num_stages} buffers). In an innermost {@code for} loop (at any depth),
 * each load whose only use is an operand of a tensor-core dot ({@link GpuOp.TensorCoreDot}) that can
 * read it as copied, and whose tile can be copied in 4- to 16-byte pieces
 * (see {@link Facts#asyncContiguousDim}), becomes an {@link GpuOp.AsyncCopy}; the copies and
 * the backward slice of their addresses and masks form stage 0, which runs {@code stages − 1}
 * iterations ahead of the rest (see {@link GpuOp.PipelinedFor}).
 *
 * <p>A loop is left as it is when the rotation would change its meaning: stage 0 may hold only
 * pure ops (no other loads, no stores, atomics, debugging ops or nested regions, and no dots); stage 1 may not read a carried value stage 0 updates (in the pipelined loop it holds
 * a later iteration's value), nor a stage-0 value computed from one; stage-0 values computed
 * from the induction variable and loop invariants alone, stage 1 computes again for its own
 * iteration (those ops appear in both stages); and the loop's final values of the carried values
 * stage 0 updates must be unused after it.
 */
public final class PipelineLoops {
    private PipelineLoops() {}

    /** What the pass needs to know of the target and the analyses. */
    public interface Facts {
        /**
         * The dimension of {@code load}'s tile along which its addresses are contiguous and aligned
         * enough for {@code cp.async} pieces of at least 4 bytes with one mask each, or -1.
         */
        int asyncContiguousDim(Load load);

        /** Whether {@code v}, a load's {@code other}, is zero (the copies zero-fill). */
        boolean isZero(Value v);

        /** Whether the dot's accumulator is held in the layout of its result (so it can accumulate in place). */
        boolean accumulatesInPlace(Dot d);
    }

    public static GpuProgram run(GpuProgram p, int stages, Facts facts) {
        if (stages < 2) return p;
        Set<Value> used = new HashSet<>();
        for (Op op : p.kernel().body().ops()) collectUses(op, used);
        List<SharedBuffer> buffers = new ArrayList<>(p.buffers());
        GpuProgram out = p.map(op -> {
            GpuOp.PipelinedFor pf = op instanceof GpuOp.For f ? pipeline(f, stages, facts, used, buffers) : null;
            return pf != null ? pf : op;
        });
        return new GpuProgram(out.kernel(), out.body(), buffers, out.offsets());
    }

    private static void collectUses(Op op, Set<Value> uses) {
        uses.addAll(op.operands());
        for (Region r : op.regions()) for (Op inner : r.ops()) collectUses(inner, uses);
    }

    /** {@code loop} pipelined, or null; {@code usedOutside} holds every value any op of the kernel reads. */
    private static GpuOp.PipelinedFor pipeline(GpuOp.For loop, int stages, Facts facts, Set<Value> usedOutside, List<SharedBuffer> buffers) {
        For f = loop.source();
        Map<Op, GpuOp.TensorCoreDot> mmas = new IdentityHashMap<>();
        for (GpuOp op : loop.body().ops()) if (op instanceof GpuOp.TensorCoreDot m) mmas.put(m.dot(), m);
        Region body = f.body();
        List<Op> ops = body.ops().subList(0, body.ops().size() - 1);
        Yield yield = (Yield) body.terminator();
        Map<Value, Op> producer = new IdentityHashMap<>();
        Map<Value, List<Op>> users = new IdentityHashMap<>();
        for (Op op : body.ops()) {
            if (op instanceof For || op instanceof If || op instanceof While) return null;
            for (Value v : op.results()) producer.put(v, op);
            for (Value v : op.operands()) users.computeIfAbsent(v, k -> new ArrayList<>()).add(op);
        }
        // the loads to copy asynchronously, with their buffers
        Map<Load, SharedBuffer> copies = new IdentityHashMap<>();
        // the copied loads in the body's order: iterating the identity map instead made the order of
        // the carried values' updates (and of the buffers) differ between runs of one kernel
        List<Load> inOrder = new ArrayList<>();
        List<GpuOp.StageOperand> invariants = new ArrayList<>();
        Map<Dot, SharedBuffer[]> dots = new IdentityHashMap<>();
        for (Op op : ops) {
            if (!(op instanceof Dot d) || !mmas.containsKey(d)) continue;
            SharedBuffer[] operands = new SharedBuffer[2];
            for (int i = 0; i < 2; i++) {
                Value x = i == 0 ? d.a() : d.b();
                if (x == (i == 0 ? d.b() : d.a())) continue;
                if (!producer.containsKey(x) && !body.args().contains(x)) {
                    // defined before the loop (attention's Q): into a buffer of its own once, not staged every iteration
                    var type = x.type().dtype();
                    var shape = x.type().shape();
                    SwizzledTile tile = type.bits() > 16 ? null : i == 0 ? mmas.get(d).operandTile(shape.dim(0), shape.dim(1), type)
                            : mmas.get(d).operandTile(shape.dim(1), shape.dim(0), type);
                    if (tile == null) continue;
                    SharedBuffer b = new SharedBuffer(buffers.size() + copies.size() + invariants.size(), x, i == 0, true, tile, 1);
                    invariants.add(new GpuOp.StageOperand(x, b));
                    operands[i] = b;
                    continue;
                }
                if (!(producer.get(x) instanceof Load l) || users.get(x).size() != 1) continue;
                if (l.other() != null && !facts.isZero(l.other())) continue;
                int dim = facts.asyncContiguousDim(l);
                int kDim = i == 0 ? 1 : 0;
                var type = l.result().type().dtype();
                if (dim < 0 || (type.bits() != 16 && dim != kDim)) continue;
                var shape = l.result().type().shape();
                boolean kContiguous = dim == kDim;
                int rows = shape.dim(1 - dim), cols = shape.dim(dim);
                SwizzledTile tile = mmas.get(d).operandTile(rows, cols, type);
                if (tile == null) continue;
                SharedBuffer b = new SharedBuffer(buffers.size() + copies.size() + invariants.size(), l.result(), i == 0, kContiguous, tile, stages);
                copies.put(l, b);
                inOrder.add(l);
                operands[i] = b;
            }
            if (operands[0] != null || operands[1] != null) dots.put(d, operands);
        }
        if (copies.isEmpty()) return null;

        // stage 0: the copies and the backward slice of their operands (through carried values' updates)
        Set<Op> ahead = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Integer> aheadCarried = new LinkedHashSet<>();
        List<Value> work = new ArrayList<>();
        for (Load l : inOrder) {
            ahead.add(l);
            work.addAll(l.operands());
        }
        List<Value> args = body.args();
        while (!work.isEmpty()) {
            Value v = work.removeLast();
            int arg = args.indexOf(v);
            if (arg > 0) {
                if (aheadCarried.add(arg - 1)) work.add(yield.values().get(arg - 1));
                continue;
            }
            Op op = producer.get(v);
            if (op == null || ahead.contains(op)) continue;
            if (!isPure(op)) return null;
            ahead.add(op);
            work.addAll(op.operands());
        }
        // Stage 1 may compute a stage-0 value again for its own iteration when it depends only on
        // the induction variable and values from outside (not on a carried value stage 0 runs
        // ahead); anything else it would see a later iteration's value of.
        Set<Op> again = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Value> aheadArgs = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (int c : aheadCarried) aheadArgs.add(args.get(c + 1));
        List<Value> needed = new ArrayList<>();
        for (Op op : ops) {
            if (ahead.contains(op)) continue;
            for (Value v : op.operands()) {
                boolean copied = producer.get(v) instanceof Load l && copies.containsKey(l) && op instanceof Dot;
                if (!copied) needed.add(v);
            }
        }
        for (int c = 0; c < yield.values().size(); c++) if (!aheadCarried.contains(c)) needed.add(yield.values().get(c));
        while (!needed.isEmpty()) {
            Value v = needed.removeLast();
            if (aheadArgs.contains(v)) return null;
            Op op = producer.get(v);
            if (op == null || !ahead.contains(op) || again.contains(op)) continue;
            if (op instanceof Load) return null;
            again.add(op);
            needed.addAll(op.operands());
        }
        for (int c : aheadCarried) if (usedOutside.contains(f.results().get(c))) return null;

        List<GpuOp> stage0 = new ArrayList<>(), stage1 = new ArrayList<>();
        for (Op op : ops) {
            if (ahead.contains(op)) stage0.add(op instanceof Load l && copies.containsKey(l) ? new GpuOp.AsyncCopy(l, copies.get(l)) : new GpuOp.Core(op));
            if (op instanceof Dot d && mmas.containsKey(d)) {
                SharedBuffer[] operands = dots.getOrDefault(d, new SharedBuffer[2]);
                stage1.add(mmas.get(d).withOperands(operands[0], operands[1]));
            }
            else if (!ahead.contains(op) || again.contains(op)) stage1.add(new GpuOp.Core(op));
        }
        for (Load l : inOrder) buffers.add(copies.get(l));
        for (GpuOp.StageOperand s : invariants) buffers.add(s.buffer());
        int inFlight = stages >= 3 ? inFlightDot(stage1, args, yield, users, aheadCarried, facts) : -1;
        if (inFlight >= 0) stage1.set(inFlight, ((GpuOp.Wgmma) stage1.get(inFlight)).inFlight());
        return new GpuOp.PipelinedFor(f, stages, inFlight >= 0 ? stages - 2 : stages - 1, invariants, stage0, stage1, List.copyOf(aheadCarried));
    }

    /**
     * The index in stage 1 of the dot that may stay in flight into the next iteration (Triton keeps
     * one wgmma group pending), or -1: the loop's only tensor-core dot, a wgmma reading both
     * operands from buffers (a staged operand's scratch is written again the next iteration),
     * whose accumulator is a carried value held in the result's layout that nothing else reads,
     * and whose result nothing but the yield of that value reads. Stage 0 then runs one iteration
     * less ahead, so that the slot it overwrites is one the pending dot no longer reads.
     */
    private static int inFlightDot(List<GpuOp> stage1, List<Value> args, Yield yield, Map<Value, List<Op>> users, Set<Integer> aheadCarried,
                                   Facts facts) {
        List<Integer> dots = new ArrayList<>();
        for (int i = 0; i < stage1.size(); i++) if (stage1.get(i) instanceof GpuOp.TensorCoreDot) dots.add(i);
        if (dots.size() != 1 || !(stage1.get(dots.getFirst()) instanceof GpuOp.Wgmma w) || w.a() == null || w.b() == null) return -1;
        Dot d = w.dot();
        int carried = args.indexOf(d.acc()) - 1;
        if (carried < 0 || aheadCarried.contains(carried) || !facts.accumulatesInPlace(d)) return -1;
        if (!onlyUser(users, d.acc(), d) || !onlyUser(users, d.result(), yield)) return -1;
        if (yield.values().indexOf(d.result()) != carried || yield.values().lastIndexOf(d.result()) != carried) return -1;
        return dots.getFirst();
    }

    private static boolean onlyUser(Map<Value, List<Op>> users, Value v, Op user) {
        List<Op> u = users.getOrDefault(v, List.of());
        return u.size() == 1 && u.getFirst() == user;
    }

    /**
     * Ops that stage 0 may run ahead: those that compute their results from their operands alone
     * (the core passes' notion), except dots, which are what stage 1 is for.
     */
    private static boolean isPure(Op op) { return Effects.isPure(op) && !(op instanceof Dot); }
}
