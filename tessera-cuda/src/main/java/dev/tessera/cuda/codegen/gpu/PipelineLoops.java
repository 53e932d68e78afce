package dev.tessera.cuda.codegen.gpu;

import dev.tessera.cuda.codegen.layout.SwizzledTile;
import dev.tessera.ir.Op;
import dev.tessera.passes.Effects;
import dev.tessera.ir.Op.*;
import dev.tessera.ir.Region;
import dev.tessera.ir.Value;
import java.util.ArrayList;
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
 * (see {@link Facts#asyncContiguousDim}), becomes an {@link GpuOp.AsyncCopy}; each descriptor
 * load (a {@link GpuOp.TmaLoad}) whose only use is an operand of a wgmma, or a transpose that is
 * one (which is then never lowered: the dot reads the slot in the other major order), becomes a
 * {@link GpuOp.TmaCopy}, its box written by the copy unit straight into the operand's swizzled tile,
 * when its descriptor has no other use (the descriptor's tensor map is encoded for that tile),
 * its block is 2-D and its rows fit one box (at most 256, a multiple of 8). The copies and
 * the backward slice of their addresses, masks and offsets form stage 0, which runs {@code stages − 1}
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
        Map<Value, Integer> uses = new IdentityHashMap<>();
        for (Op op : p.kernel().body().ops()) collectUses(op, uses);
        List<SharedBuffer> buffers = new ArrayList<>(p.buffers());
        GpuProgram out = p.map(op -> {
            GpuOp.PipelinedFor pf = op instanceof GpuOp.For f ? pipeline(f, stages, facts, uses, buffers) : null;
            return pf != null ? pf : op;
        });
        return out.with(out.body(), buffers);
    }

    private static void collectUses(Op op, Map<Value, Integer> uses) {
        for (Value v : op.operands()) uses.merge(v, 1, Integer::sum);
        for (Region r : op.regions()) for (Op inner : r.ops()) collectUses(inner, uses);
    }

    /** {@code loop} pipelined, or null; {@code uses} counts the ops of the kernel that read each value. */
    private static GpuOp.PipelinedFor pipeline(GpuOp.For loop, int stages, Facts facts, Map<Value, Integer> uses, List<SharedBuffer> buffers) {
        For f = loop.source();
        // the GPU op each core op of the body became (a dot on tensor cores, a descriptor load on TMA, or itself)
        Map<Op, GpuOp> lowered = new IdentityHashMap<>();
        Map<Op, GpuOp.TensorCoreDot> mmas = new IdentityHashMap<>();
        for (GpuOp op : loop.body().ops()) {
            switch (op) {
                case GpuOp.Core(var core) -> lowered.put(core, op);
                case GpuOp.TmaLoad t -> lowered.put(t.load(), op);
                case GpuOp.TensorCoreDot m -> {
                    lowered.put(m.dot(), op);
                    mmas.put(m.dot(), m);
                }
                default -> { }
            }
        }
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
        // the loads (plain or through descriptors) to copy asynchronously, with their buffers
        Map<Op, SharedBuffer> copies = new IdentityHashMap<>();
        // the copied loads in the body's order: iterating the identity map instead made the order of
        // the carried values' updates (and of the buffers) differ between runs of one kernel
        List<Op> inOrder = new ArrayList<>();
        // transposes of copied blocks: the dot reads the slot with the other major order, so they are never lowered
        Set<Op> absorbed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
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
                // a descriptor's block as the operand, or transposed into it ([N, K] weights for B, say)
                DescriptorLoad box = producer.get(x) instanceof DescriptorLoad l ? l : null;
                Permute through = null;
                if (producer.get(x) instanceof Permute t && t.order().equals(List.of(1, 0)) && producer.get(t.source()) instanceof DescriptorLoad l
                        && users.get(l.result()).size() == 1) {
                    box = l;
                    through = t;
                }
                if (box != null && users.get(x).size() == 1) {
                    SharedBuffer b = boxBuffer(box, x, i == 0, through != null, mmas.get(d), uses, stages,
                            buffers.size() + copies.size() + invariants.size());
                    if (b == null) continue;
                    copies.put(box, b);
                    if (through != null) absorbed.add(through);
                    inOrder.add(box);
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
        for (Op l : inOrder) {
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
            if (ahead.contains(op) || absorbed.contains(op)) continue;
            for (Value v : op.operands()) {
                Op from = producer.get(v);
                boolean copied = (copies.containsKey(from) || absorbed.contains(from)) && op instanceof Dot;
                if (!copied) needed.add(v);
            }
        }
        for (int c = 0; c < yield.values().size(); c++) if (!aheadCarried.contains(c)) needed.add(yield.values().get(c));
        while (!needed.isEmpty()) {
            Value v = needed.removeLast();
            if (aheadArgs.contains(v)) return null;
            Op op = producer.get(v);
            if (op == null || !ahead.contains(op) || again.contains(op)) continue;
            if (op instanceof Load || op instanceof DescriptorLoad) return null;
            again.add(op);
            needed.addAll(op.operands());
        }
        for (int c : aheadCarried) if (uses.containsKey(f.results().get(c))) return null;

        List<GpuOp> stage0 = new ArrayList<>(), stage1 = new ArrayList<>();
        for (Op op : ops) {
            if (ahead.contains(op)) {
                stage0.add(switch (op) {
                    case Load l when copies.containsKey(l) -> new GpuOp.AsyncCopy(l, copies.get(l));
                    case DescriptorLoad l when copies.containsKey(l) -> new GpuOp.TmaCopy(l, copies.get(l));
                    default -> new GpuOp.Core(op);
                });
            }
            if (op instanceof Dot d && mmas.containsKey(d)) {
                SharedBuffer[] operands = dots.getOrDefault(d, new SharedBuffer[2]);
                stage1.add(mmas.get(d).withOperands(operands[0], operands[1]));
            }
            else if ((!ahead.contains(op) || again.contains(op)) && !absorbed.contains(op)) stage1.add(lowered.get(op));
        }
        for (Op l : inOrder) buffers.add(copies.get(l));
        for (GpuOp.StageOperand s : invariants) buffers.add(s.buffer());
        int inFlight = stages >= 3 ? inFlightDot(stage1, args, yield, users, aheadCarried, facts) : -1;
        if (inFlight >= 0) stage1.set(inFlight, ((GpuOp.Wgmma) stage1.get(inFlight)).inFlight());
        MBarriers barriers = stage0.stream().anyMatch(op -> op instanceof GpuOp.TmaCopy)
                ? new MBarriers("pipeline" + args.getFirst().id(), stages) : null;
        return new GpuOp.PipelinedFor(f, stages, inFlight >= 0 ? stages - 2 : stages - 1, invariants, stage0, stage1, List.copyOf(aheadCarried),
                barriers);
    }

    /**
     * The buffer a descriptor load feeding {@code operand}, A (or B) of {@code dot}, directly or
     * {@code transposed}, is copied into by the tensor-memory accelerator, or null: the dot is a
     * wgmma, the load the descriptor's only use, the block 2-D with rows that fit one box (at most
     * {@value #MAX_BOX_ROWS}, a multiple of 8, so that every 128-byte atom of the tile starts on its
     * swizzle's repeat) in a tile wgmma reads as the copy unit writes it. The block's last dimension
     * is the tensor's contiguous one, and the tile's: K when it is A's second dimension or
     * (transposed) B's first; it must be K for an 8-bit or 32-bit operand, as for copies of plain loads.
     */
    private static SharedBuffer boxBuffer(DescriptorLoad l, Value operand, boolean isA, boolean transposed, GpuOp.TensorCoreDot dot,
                                          Map<Value, Integer> uses, int stages, int id) {
        if (!(dot instanceof GpuOp.Wgmma) || uses.getOrDefault(l.descriptor(), 0) != 1) return null;
        var shape = l.result().type().shape();
        var type = l.result().type().dtype();
        if (shape.rank() != 2) return null;
        int rows = shape.dim(0), cols = shape.dim(1);
        boolean kContiguous = isA != transposed;   // A is [M, K], B [K, N]
        if (rows > MAX_BOX_ROWS || rows % 8 != 0 || (type.bits() != 16 && !kContiguous)) return null;
        SwizzledTile tile = dot.operandTile(rows, cols, type);
        return tile == null ? null : new SharedBuffer(id, operand, isA, kContiguous, tile, stages);
    }

    /** The most rows a tensor map's box may have (cuTensorMapEncodeTiled's limit on every box dimension). */
    static final int MAX_BOX_ROWS = dev.tessera.runtime.TensorDescriptor.MAX_BLOCK_DIM;

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
