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
 * value, which values share their operand's array, and which op defines each value.
 */
final class Lowering {
    final String kernelName;
    private final Map<Value, Integer> slots = new IdentityHashMap<>();
    private final List<Value> values = new ArrayList<>();
    private final BitSet aliased = new BitSet();
    private final Map<Value, Op> producers = new HashMap<>();
    private final Map<Integer, java.util.function.Consumer<Object>> initializers = new HashMap<>();

    private final Map<Value, List<Op>> users = new HashMap<>();
    private final dev.tessera.passes.AxisInfo axisInfo;

    Lowering(dev.tessera.ir.KernelIR kernel) {
        this.kernelName = kernel.name();
        this.axisInfo = dev.tessera.passes.AxisInfo.analyze(kernel);
        recordProducers(kernel.body());
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

    /** The ops that use {@code v} as an operand. */
    List<Op> users(Value v) { return users.getOrDefault(v, List.of()); }

    /** The op defining {@code v}, or null for arguments. */
    Op producer(Value v) { return producers.get(v); }

    /** The compiled steps of a nested region (its arguments get slots like any value). */
    Step[] region(Region r) {
        for (Value a : r.args()) slot(a);
        List<Step> steps = new ArrayList<>();
        for (Op op : r.ops()) {
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
