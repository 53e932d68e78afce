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
 * load (a {@link GpuOp.TmaLoad}) whose every use is an operand of a wgmma, or a view that is one
 * (a transpose, a reshape dropping leading dimensions of 1; never lowered: the dot reads the slot
 * as it is), becomes a {@link GpuOp.TmaCopy}, its box written by the copy unit straight into the
 * operand's swizzled tile (one copy however many dots read it: the later readers share its slots
 * in their own orientation, see {@link SharedBuffer#sharing}), when the kernel only loads from its descriptor and every such load is
 * copied into a tile of the same shape (the descriptor's one tensor map is encoded for that tile;
 * otherwise none is copied), its block's rows fit one box (at most 256, a multiple of 8) and a
 * loop has at most 32 stages. In a loop with no tensor-core dot and no op that writes memory, each
 * load of such a descriptor becomes a {@link GpuOp.TmaCopy} into a row-major tile (one box, the
 * block itself), which stage 1 reads into registers ({@link GpuOp.SlotLoad}): the blocks of a
 * reduction over a row land {@code stages − 1} iterations ahead without holding registers. The copies and
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
        Map<Value, List<Op>> users = new IdentityHashMap<>();
        for (Op op : p.kernel().body().ops()) collectUsers(op, users);
        Set<Value> boxable = boxableDescriptors(p.kernel(), users, stages);
        GpuProgram out = run(p, stages, facts, users, boxable);
        // a descriptor whose loads were copied into wgmma's slots in one loop and not in another (or into
        // tiles of two shapes) would need two tensor maps: its loads are then all left to TmaLoad
        Set<Value> mixed = mixedDescriptors(out);
        if (mixed.isEmpty()) return out;
        boxable.removeAll(mixed);
        return run(p, stages, facts, users, boxable);
    }

    private static GpuProgram run(GpuProgram p, int stages, Facts facts, Map<Value, List<Op>> users, Set<Value> boxable) {
        List<SharedBuffer> buffers = new ArrayList<>(p.buffers());
        GpuProgram out = p.map(op -> {
            GpuOp.PipelinedFor pf = op instanceof GpuOp.For f ? pipeline(f, stages, facts, users, boxable, buffers) : null;
            return pf != null ? pf : op;
        });
        return out.with(out.body(), buffers);
    }

    private static void collectUsers(Op op, Map<Value, List<Op>> users) {
        for (Value v : op.operands()) users.computeIfAbsent(v, k -> new ArrayList<>()).add(op);
        for (Region r : op.regions()) for (Op inner : r.ops()) collectUsers(inner, users);
    }

    /**
     * The descriptor parameters whose blocks may be copied into wgmma's slots: those the kernel only
     * loads from (their one tensor map is then encoded for the slots' tile), when a slot's phase
     * bit fits the 32-bit register that keeps them ({@code stages} ≤ 32).
     */
    private static Set<Value> boxableDescriptors(dev.tessera.ir.KernelIR kernel, Map<Value, List<Op>> users, int stages) {
        Set<Value> out = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        if (stages > MAX_TMA_STAGES) return out;
        for (var param : kernel.params()) {
            Value d = param.value();
            List<Op> u = users.getOrDefault(d, List.of());
            if (d.type().isDescriptor() && !u.isEmpty() && u.stream().allMatch(op -> op instanceof DescriptorLoad)) out.add(d);
        }
        return out;
    }

    /** The descriptors copied into slots by some load and loaded on their own by another, or copied into tiles of two shapes. */
    private static Set<Value> mixedDescriptors(GpuProgram p) {
        Map<Value, SwizzledTile> copied = new IdentityHashMap<>();
        Set<Value> plain = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        Set<Value> mixed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (GpuOp op : p.allOps()) {   // the ops of pipelined loops' stages too
            switch (op) {
                case GpuOp.TmaLoad t -> plain.add(t.load().descriptor());
                // a block's copy is one box of the block, unswizzled: the map a single load reads through too
                case GpuOp.TmaCopy c when c.buffer().role() == SharedBuffer.Role.BLOCK -> plain.add(c.load().descriptor());
                case GpuOp.TmaCopy c -> {
                    SwizzledTile before = copied.putIfAbsent(c.load().descriptor(), c.buffer().tile());
                    if (before != null && !before.equals(c.buffer().tile())) mixed.add(c.load().descriptor());
                }
                default -> { }
            }
        }
        for (Value d : copied.keySet()) if (plain.contains(d)) mixed.add(d);
        return mixed;
    }

    /** The most stages a loop with TMA copies may have: one phase bit a slot in a 32-bit register. */
    static final int MAX_TMA_STAGES = 32;

    /**
     * {@code loop} pipelined, or null; {@code kernelUsers} lists the ops of the kernel that read each
     * value, {@code boxable} the descriptors whose loads may be copied into slots.
     */
    private static GpuOp.PipelinedFor pipeline(GpuOp.For loop, int stages, Facts facts, Map<Value, List<Op>> kernelUsers, Set<Value> boxable,
                                               List<SharedBuffer> buffers) {
        For f = loop.source();
        // the GPU op each core op of the body became (a dot on tensor cores, a descriptor load or atomic add on TMA, or itself)
        Map<Op, GpuOp> lowered = new IdentityHashMap<>();
        Map<Op, GpuOp.TensorCoreDot> mmas = new IdentityHashMap<>();
        for (GpuOp op : loop.body().ops()) {
            switch (op) {
                case GpuOp.Core(var core) -> lowered.put(core, op);
                case GpuOp.TmaLoad t -> lowered.put(t.load(), op);
                case GpuOp.TmaReduce r -> lowered.put(r.add(), op);
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
        // views of copied blocks (transposes, reshapes dropping dimensions of 1): the dot reads the slot as it is, so they are never lowered
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
                // a descriptor's block as the operand: directly, with its leading dimensions of 1 dropped
                // (one head's keys of a [B, H, N, D] tensor), transposed ([N, K] weights for B), or both; a block
                // several dots read, each through its own views (attention's backward reads q as an operand and,
                // transposed, as another), is copied once, the later readers sharing its slots
                List<Op> views = new ArrayList<>();
                Value viewed = x;
                boolean transposed = false;
                if (producer.get(viewed) instanceof Permute t && t.order().equals(List.of(1, 0)) && feedsOnlyDots(users, t.source(), mmas)) {
                    views.add(t);
                    viewed = t.source();
                    transposed = true;
                }
                if (producer.get(viewed) instanceof Reshape r && feedsOnlyDots(users, r.source(), mmas) && dropsLeadingOnes(r)) {
                    views.add(r);
                    viewed = r.source();
                }
                if (producer.get(viewed) instanceof DescriptorLoad box && feedsOnlyDots(users, x, mmas) && feedsOnlyDots(users, box.result(), mmas)) {
                    SharedBuffer b = boxBuffer(box, x, i == 0, transposed, mmas.get(d), boxable, stages,
                            buffers.size() + copies.size() + invariants.size());
                    if (b == null) continue;
                    SharedBuffer first = copies.get(box);
                    if (first != null && !first.tile().equals(b.tile())) continue;
                    if (first != null) {
                        b = b.sharing(first);
                    } else {
                        copies.put(box, b);
                        inOrder.add(box);
                    }
                    absorbed.addAll(views);
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
        // every dot that reads a copied block (through its views) reads it from the slots: none holds it in registers
        for (Op op : ops) {
            if (!(op instanceof Dot d)) continue;
            for (int i = 0; i < 2; i++) {
                Op from = producer.get(i == 0 ? d.a() : d.b());
                while (from instanceof Permute || from instanceof Reshape) from = producer.get(from.operands().getFirst());
                if (copies.containsKey(from) && !(dots.containsKey(d) && dots.get(d)[i] != null)) return null;
            }
        }
        if (mmas.isEmpty()) {
            for (Op op : ops) {
                if (!(op instanceof DescriptorLoad l)) continue;
                SharedBuffer b = blockBuffer(l, boxable, ops, stages, buffers.size() + copies.size());
                if (b == null) continue;
                copies.put(l, b);
                inOrder.add(l);
            }
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
        // stage 0 never has a copy's value (it lands in a slot): no op there may read one (a block's copy, whose
        // users are any ops, could feed another copy's offsets)
        for (Op op : ahead) {
            if (copies.containsKey(op)) continue;
            for (Value v : op.operands()) if (copies.containsKey(producer.get(v))) return null;
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
                // a block copied for other ops is read from its slot by stage 1 (a SlotLoad), a dot's operand by the dot
                boolean copied = (copies.containsKey(from) || absorbed.contains(from)) && op instanceof Dot
                        || copies.containsKey(from) && copies.get(from).role() == SharedBuffer.Role.BLOCK;
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
        for (int c : aheadCarried) if (kernelUsers.containsKey(f.results().get(c))) return null;

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
            else if (op instanceof DescriptorLoad l && copies.containsKey(l) && copies.get(l).role() == SharedBuffer.Role.BLOCK) {
                stage1.add(new GpuOp.SlotLoad(l, copies.get(l)));
            }
            else if ((!ahead.contains(op) || again.contains(op)) && !absorbed.contains(op)) stage1.add(lowered.get(op));
        }
        for (Op l : inOrder) buffers.add(copies.get(l));
        for (GpuOp.StageOperand s : invariants) buffers.add(s.buffer());
        int inFlight = stages >= 3 ? inFlightDot(stage1, args, yield, users, aheadCarried, facts) : -1;
        if (inFlight >= 0) stage1.set(inFlight, ((GpuOp.Wgmma) stage1.get(inFlight)).completing(GpuOp.Wgmma.Completion.NEXT_ITERATION));
        boolean tma = stage0.stream().anyMatch(op -> op instanceof GpuOp.TmaCopy), async = stage0.stream().anyMatch(op -> op instanceof GpuOp.AsyncCopy);
        MBarriers barriers = tma ? new MBarriers("pipeline" + args.getFirst().id(), stages) : null;
        MBarriers released = tma && !async ? new MBarriers("released" + args.getFirst().id(), stages) : null;
        return new GpuOp.PipelinedFor(f, stages, inFlight >= 0 ? stages - 2 : stages - 1, invariants, stage0, stage1, List.copyOf(aheadCarried),
                barriers, released);
    }

    /**
     * The buffer a descriptor load feeding {@code operand}, A (or B) of {@code dot}, directly or
     * {@code transposed}, is copied into by the tensor-memory accelerator, or null: the dot is a
     * wgmma, the descriptor {@code boxable} (see {@link #boxableDescriptors}), the block's last two dimensions its rows and
     * columns (any before them 1), with rows that fit one box (at most {@value #MAX_BOX_ROWS}, a
     * multiple of 8, so that every 128-byte atom of the tile starts on its swizzle's repeat) in a
     * tile wgmma reads as the copy unit writes it. The block's last dimension is the tensor's
     * contiguous one, and the tile's: K when it is A's second dimension or (transposed) B's first;
     * it must be K for an 8-bit or 32-bit operand, as for copies of plain loads.
     */
    private static SharedBuffer boxBuffer(DescriptorLoad l, Value operand, boolean isA, boolean transposed, GpuOp.TensorCoreDot dot,
                                          Set<Value> boxable, int stages, int id) {
        if (!(dot instanceof GpuOp.Wgmma) || !boxable.contains(l.descriptor())) return null;
        // 2-D, or of higher rank viewed as 2-D by a reshape that dropsLeadingOnes
        var shape = l.result().type().shape();
        var type = l.result().type().dtype();
        int rows = shape.dim(shape.rank() - 2), cols = shape.dim(shape.rank() - 1);
        boolean kContiguous = isA != transposed;   // A is [M, K], B [K, N]
        if (rows > MAX_BOX_ROWS || rows % 8 != 0 || (type.bits() != 16 && !kContiguous)) return null;
        SwizzledTile tile = dot.operandTile(rows, cols, type);
        return tile == null ? null : new SharedBuffer(id, operand, isA, kContiguous, tile, stages);
    }

    /**
     * The buffer a descriptor load is copied into ahead for ops other than wgmma to read (the block
     * row-major, its map's box the block itself, unswizzled, as a single load's), or null: the loop
     * has no tensor-core dot, the descriptor is {@code boxable}, and the body writes no memory (a
     * copy issued iterations ahead would not see a store that an earlier iteration makes there).
     */
    private static SharedBuffer blockBuffer(DescriptorLoad l, Set<Value> boxable, List<Op> body, int stages, int id) {
        if (!boxable.contains(l.descriptor()) || body.stream().anyMatch(op -> Effects.hasSideEffects(op) && !(op instanceof Yield))) return null;
        var shape = l.result().type().shape();
        int cols = shape.dim(shape.rank() - 1);
        SwizzledTile tile = SwizzledTile.rowMajor(shape.numel() / cols, cols, l.result().type().dtype().byteSize());
        return SharedBuffer.block(id, l.result(), tile, stages);
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

    /** Whether {@code r} only drops leading dimensions of 1 (a [1, 1, BN, D] block viewed as [BN, D]). */
    private static boolean dropsLeadingOnes(Reshape r) {
        var from = r.source().type().shape();
        var to = r.result().type().shape();
        if (to.rank() != 2 || from.rank() < 2) return false;
        for (int d = 0; d < from.rank() - 2; d++) if (from.dim(d) != 1) return false;
        return from.dim(from.rank() - 2) == to.dim(0) && from.dim(from.rank() - 1) == to.dim(1);
    }

    /**
     * Whether every use of {@code v} is as an operand (not the accumulator) of one of the loop's
     * tensor-core dots, directly or through transposes and reshapes dropping leading ones: a value
     * copied into slots has no registers for any other reader.
     */
    private static boolean feedsOnlyDots(Map<Value, List<Op>> users, Value v, Map<Op, GpuOp.TensorCoreDot> mmas) {
        List<Op> u = users.getOrDefault(v, List.of());
        if (u.isEmpty()) return false;
        for (Op op : u) {
            boolean ok = switch (op) {
                case Dot d -> mmas.containsKey(d) && d.acc() != v;
                case Permute t -> t.order().equals(List.of(1, 0)) && feedsOnlyDots(users, t.result(), mmas);
                case Reshape r -> dropsLeadingOnes(r) && feedsOnlyDots(users, r.result(), mmas);
                default -> false;
            };
            if (!ok) return false;
        }
        return true;
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
