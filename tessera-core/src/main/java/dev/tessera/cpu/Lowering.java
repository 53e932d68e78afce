package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What lowering rules need while compiling one kernel: a slot (array index in the frame) per IR
 * value, which values share their operand's array, which op defines each value and which ops read
 * it, and whether regions are lowered with {@link Fusion}.
 */
final class Lowering {
    final String kernelName;
    private final Map<Value, Integer> slots = new IdentityHashMap<>();
    private final List<Value> values = new ArrayList<>();
    private final BitSet aliased = new BitSet();
    private final Map<Value, Op> producers = new HashMap<>();
    private final Map<Integer, java.util.function.Consumer<Object>> initializers = new HashMap<>();

    private final Map<Value, List<Op>> users = new HashMap<>();
    private final Map<Value, List<Op>> readers = new HashMap<>();
    private final dev.tessera.passes.AxisInfo axisInfo;
    final boolean fuse;
    /** One line per fused loop, for {@code TESSERA_DUMP=fusion}. */
    final List<String> fusedLoops = new ArrayList<>();

    Lowering(dev.tessera.ir.KernelIR kernel, boolean fuse) {
        this.kernelName = kernel.name();
        this.axisInfo = dev.tessera.passes.AxisInfo.analyze(kernel);
        this.fuse = fuse;
        recordProducers(kernel.body());
        recordReaders(kernel.body());
    }

    /** Contiguity, divisibility and constancy of every value (for memory access planning). */
    dev.tessera.passes.AxisInfo axisInfo() { return axisInfo; }

    int slot(Value v) {
        Integer s = slots.get(v);
        if (s != null) return s;
        slots.put(v, values.size());
        values.add(v);
        return values.size() - 1;
    }

    /** A slot holding a frame's own array of n elements of this storage, for a step's working data. */
    int scratch(Storage s, int n) {
        DType representative = switch (s) {
            case BOOL -> DType.I1;
            case INT -> DType.I32;
            case LONG -> DType.I64;
            case FLOAT -> DType.F32;
            case DOUBLE -> DType.F64;
        };
        return slot(new Value(-1, Type.of(representative, n)));
    }

    /** The result shares an operand's array (set at run time), so it needs none of its own. */
    int aliasSlot(Value v) {
        int s = slot(v);
        aliased.set(s);
        return s;
    }

    /** The value never changes: its array is filled once when a frame is made, and no step runs. */
    void initializeOnce(Value v, java.util.function.Consumer<Object> fill) { initializers.put(slot(v), fill); }

    Storage storage(Value v) { return Storage.of(v.type()); }

    DType dtype(Value v) { return v.type().dtype(); }

    Type type(Value v) { return v.type(); }

    private void recordProducers(Region r) {
        for (Op op : r.ops()) {
            for (Value res : op.results()) producers.put(res, op);
            for (Value operand : op.operands()) users.computeIfAbsent(operand, k -> new ArrayList<>()).add(op);
            for (Region nested : op.regions()) recordProducers(nested);
        }
    }

    private void recordReaders(Region r) {
        for (Op op : r.ops()) {
            for (Value v : arraysRead(op)) readers.computeIfAbsent(v, k -> new ArrayList<>()).add(op);
            for (Region nested : op.regions()) recordReaders(nested);
        }
    }

    /**
     * The values whose arrays the op's step reads: its operands, except that a load or store formed
     * as base + offsets reads those two instead of its pointer tile, and a ptr_add that only feeds
     * such accesses has no step at all.
     */
    List<Value> arraysRead(Op op) {
        return switch (op) {
            case Op.PtrAdd p when MemoryRules.onlyAddressesMemory(p, this) -> List.of();
            case Op.Load ld -> addressingAnd(ld.pointer(), ld.mask(), ld.other());
            case Op.Store st -> addressingAnd(st.pointer(), st.value(), st.mask());
            default -> op.operands();
        };
    }

    private List<Value> addressingAnd(Value pointer, Value... others) {
        List<Value> read = new ArrayList<>(4);
        Op.PtrAdd add = Addressing.baseOffsets(pointer, this);
        if (add != null) {
            read.add(Addressing.base(add, this));
            read.add(add.offset());
        } else {
            read.add(pointer);
        }
        for (Value v : others) if (v != null) read.add(v);
        return read;
    }

    /** The ops (at any depth) whose steps read {@code v}'s array (see {@link #arraysRead}). */
    List<Op> readers(Value v) { return readers.getOrDefault(v, List.of()); }

    /** The ops that use {@code v} as an operand. */
    List<Op> users(Value v) { return users.getOrDefault(v, List.of()); }

    /** The op defining {@code v}, or null for arguments. */
    Op producer(Value v) { return producers.get(v); }

    /** The compiled steps of a nested region (its arguments get slots like any value). */
    Step[] region(Region r) {
        for (Value a : r.args()) slot(a);
        return steps(r.ops());
    }

    /** The steps of a sequence of ops, in order: elementwise runs fused into loops when fusion is on. */
    Step[] steps(List<Op> ops) {
        if (fuse) return Fusion.lower(ops, this);
        List<Step> steps = new ArrayList<>();
        for (Op op : ops) {
            Step s = CpuLowering.lower(op, this);
            if (s != null) steps.add(s);
        }
        return steps.toArray(Step[]::new);
    }

    /** Fresh arrays for one frame: every non-aliased value gets one of its type's size. */
    Object[] newSlots() {
        Object[] arrays = new Object[values.size()];
        for (int i = 0; i < arrays.length; i++) {
            if (!aliased.get(i)) arrays[i] = Storage.of(values.get(i).type()).allocate(values.get(i).type().numel());
        }
        initializers.forEach((slot, fill) -> fill.accept(arrays[slot]));
        return arrays;
    }

    static void runAll(Step[] steps, ExecFrame f) {
        for (Step s : steps) s.run(f);
    }
}
