package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.ir.Shape;
import dev.tessera.ir.Value;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Ops of one shape that one generated loop computes lane by lane (see {@link Fusion} for how they
 * are chosen), with what the loop needs to know: which values other steps read (so the loop writes
 * them to their arrays), which ops each lane computes, and the fused loads and stores with the
 * chunks (runs of consecutive addresses common to all of them) their bounds are checked in.
 */
final class FusionGroup {
    /** Beyond this many ops a group closes: C2 does not compile methods of more than 8000 bytes of bytecode. */
    static final int MAX_MEMBERS = 64;

    final Shape shape;
    final List<Op> members = new ArrayList<>();
    final List<Step> unfused = new ArrayList<>();
    private final Map<Value, Op> defined = new IdentityHashMap<>();
    private final Set<Op> memberSet = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean touchesMemory;

    FusionGroup(Shape shape) { this.shape = shape; }

    void add(Op op, Step unfusedStep) {
        members.add(op);
        memberSet.add(op);
        if (unfusedStep != null) unfused.add(unfusedStep);
        for (Value r : op.results()) defined.put(r, op);
        touchesMemory |= op instanceof Op.Load || op instanceof Op.Store;
    }

    boolean touchesMemory() { return touchesMemory; }

    boolean isFull() { return members.size() >= MAX_MEMBERS; }

    /** The member defining v, or null. */
    Op producer(Value v) { return defined.get(v); }

    boolean definesAny(Iterable<Value> values) {
        for (Value v : values) if (defined.containsKey(v)) return true;
        return false;
    }

    /** Whether computing v in this group would need a load (then v cannot give addresses, which are checked before any load). */
    boolean needsLoad(Value v) {
        Set<Op> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Value> todo = new ArrayDeque<>(List.of(v));
        while (!todo.isEmpty()) {
            Op op = defined.get(todo.pop());
            if (op == null || !seen.add(op)) continue;
            if (op instanceof Op.Load) return true;
            todo.addAll(laneOperands(op));
        }
        return false;
    }

    // ------------------------------------------------------------------ what the loop computes

    /** Fused loads and stores, in program order (filled by {@link #plan}). */
    final List<FusedAccess> accesses = new ArrayList<>();
    /** Member values that other steps read, so the loop writes them to their arrays. */
    final Set<Value> materialized = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Members whose results share their source's array (hint, bitcast): set after the loop when materialized. */
    final List<Op> aliases = new ArrayList<>();
    /** The members each lane computes, in program order. */
    final List<Op> laneOps = new ArrayList<>();
    /** The members that the first lane of each chunk computes to find the accesses' addresses. */
    final List<Op> addressOps = new ArrayList<>();
    /** Lanes per chunk, and chunks. */
    int lanes, chunk, chunks;
    /**
     * Per access, slots of arrays indexed by lane that a chunk is staged in: where a load copies it
     * to (its result's array when other steps read it) or a store takes it from (its value's, when
     * it has one); -1 for a load no lane reads. maskSlots: a store's mask, staged or its own (-1: none).
     */
    int[] stageSlots, maskSlots;
    /** Per access, whether the stage is the value's own array (nothing to copy into it) and likewise a store's mask. */
    boolean[] ownStage, ownMask;

    /** Decides the above once the group is closed. */
    void plan(Lowering l) {
        lanes = shape.numel();
        chunk = lanes;
        int lastDim = shape.rank() == 0 ? 1 : shape.dim(shape.rank() - 1);
        for (Op op : members) {
            FusedAccess a = FusedAccess.of(op, l);
            if (a == null) continue;
            accesses.add(a);
            chunk = gcd(chunk, gcd(a.run(), lastDim));
        }
        chunks = lanes / chunk;
        for (Op op : members) {
            for (Value r : op.results()) {
                if (l.readers(r).stream().anyMatch(reader -> !memberSet.contains(reader))) materialized.add(r);
            }
        }
        for (Op op : members.reversed()) { // a materialized alias needs its source's array
            if (isAlias(op) && materialized.contains(op.result())) {
                Value source = op.operands().getFirst();
                if (defined.containsKey(source)) materialized.add(source);
            }
        }
        for (Op op : members) if (isAlias(op) && materialized.contains(op.result())) aliases.add(op);
        List<Value> laneRoots = new ArrayList<>();
        Set<Op> stores = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Op op : members) {
            if (op instanceof Op.Store) {
                stores.add(op);
                laneRoots.addAll(laneOperands(op));
            } else if (!isAlias(op)) {
                op.results().stream().filter(materialized::contains).forEach(laneRoots::add);
            }
        }
        laneOps.addAll(closure(laneRoots, stores));
        addressOps.addAll(closure(accesses.stream().map(FusedAccess::offsets).toList(), Set.of()));
        int n = accesses.size();
        stageSlots = new int[n];
        maskSlots = new int[n];
        ownStage = new boolean[n];
        ownMask = new boolean[n];
        for (int k = 0; k < n; k++) {
            FusedAccess a = accesses.get(k);
            Value staged = a.isStore() ? a.value() : a.op().results().getFirst();
            ownStage[k] = hasArray(staged, l);
            if (!a.isStore() && !laneOps.contains(a.op())) stageSlots[k] = -1;
            else stageSlots[k] = ownStage[k] ? l.slot(staged) : l.scratch(Storage.of(a.type()), lanes);
            ownMask[k] = a.isStore() && a.mask() != null && hasArray(a.mask(), l);
            maskSlots[k] = !a.isStore() || a.mask() == null ? -1 : ownMask[k] ? l.slot(a.mask()) : l.scratch(Storage.BOOL, lanes);
        }
    }

    /** Whether the loop finds v in its array: a value from outside the group held in one, or a computed member it writes. */
    boolean hasArray(Value v, Lowering l) {
        Op producer = defined.get(v);
        if (producer == null) return !(l.producer(v) instanceof Op.Constant || l.producer(v) instanceof Op.Arange || l.producer(v) instanceof Op.Splat);
        return materialized.contains(v) && !isAlias(producer) && !(producer instanceof Op.Splat);
    }

    /** "[8192] in 1 chunk of 8192 lanes: splat %8, add %9, load %16, store; to arrays: %20". */
    String describe() {
        java.util.function.Function<Op, String> name = op -> op.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT)
                + (op.results().isEmpty() ? "" : " " + op.results().getFirst());
        return shape + " in " + chunks + (chunks == 1 ? " chunk" : " chunks") + " of " + chunk + " lanes: "
                + String.join(", ", members.stream().map(name).toList())
                + (materialized.isEmpty() ? "" : "; to arrays: " + String.join(", ", members.stream().flatMap(op -> op.results().stream())
                        .filter(materialized::contains).map(Value::toString).toList()));
    }

    /** The members that compute {@code roots}, with {@code also}, in program order. */
    private List<Op> closure(List<Value> roots, Set<Op> also) {
        Set<Op> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        seen.addAll(also);
        ArrayDeque<Value> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            Op op = defined.get(todo.pop());
            if (op == null || !seen.add(op)) continue;
            todo.addAll(laneOperands(op));
        }
        return members.stream().filter(seen::contains).toList();
    }

    /** The values one lane of op reads: a fused access's addresses come from its chunk, a splat's scalar from before the loop. */
    static List<Value> laneOperands(Op op) {
        return switch (op) {
            case Op.Load ld -> nonNull(ld.mask(), ld.other());
            case Op.Store st -> nonNull(st.value(), st.mask());
            case Op.Splat s -> List.of();
            default -> op.operands();
        };
    }

    private static List<Value> nonNull(Value... values) {
        List<Value> out = new ArrayList<>(values.length);
        for (Value v : values) if (v != null) out.add(v);
        return out;
    }

    /** Members whose result is their operand, held the same way (their steps share the operand's array). */
    static boolean isAlias(Op op) {
        return op instanceof Op.Hint || op instanceof Op.Bitcast b && ConversionRules.keepsHolding(b);
    }

    private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }
}
