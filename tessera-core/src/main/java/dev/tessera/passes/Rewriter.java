package dev.tessera.passes;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A pass that rebuilds a kernel op by op in program order. Each op reaches {@link #visit} with its
 * operands already replaced (see {@link #replace}) and its nested regions already rewritten, so a
 * subclass decides about one op at a time: emit it, emit others in its place, or drop it after
 * replacing its results. Structured SSA makes one forward walk enough: every use of a value comes
 * after its definition.
 */
abstract class Rewriter implements Pass {
    private final Map<Value, Value> replacements = new HashMap<>();
    private final Map<Value, Op> definitions = new HashMap<>();
    private List<Op> out;
    private int nextId;

    @Override
    public KernelIR run(KernelIR kernel) {
        replacements.clear();
        definitions.clear();
        nextId = Values.maxId(kernel) + 1;
        start(kernel);
        return finish(kernel, region(kernel.body()));
    }

    /** Called once before the walk. */
    void start(KernelIR kernel) { }

    /** The rewritten kernel from the original and its rewritten body: by default, the same parameters. */
    KernelIR finish(KernelIR kernel, Region body) { return kernel.withBody(body); }

    /** Decides what replaces {@code op} in the output: by default, itself. */
    abstract void visit(Op op);

    void enterRegion() { }

    void exitRegion() { }

    final Region region(Region r) {
        List<Op> outer = out;
        out = new ArrayList<>();
        enterRegion();
        for (Op op : r.ops()) {
            Op current = op.mapOperands(this::resolve);
            if (!current.regions().isEmpty()) current = current.mapRegions(this::region);
            visit(current);
        }
        exitRegion();
        Region rewritten = new Region(r.args(), out);
        out = outer;
        return rewritten;
    }

    final void emit(Op op) {
        out.add(op);
        for (Value v : op.results()) definitions.put(v, op);
    }

    /** From now on, uses of {@code old} read {@code now}. */
    final void replace(Value old, Value now) { replacements.put(old, now); }

    final Value resolve(Value v) {
        Value r = replacements.get(v);
        while (r != null) {
            v = r;
            r = replacements.get(v);
        }
        return v;
    }

    /** The emitted op defining {@code v}; null for arguments. */
    final Op definition(Value v) { return definitions.get(v); }

    /** The value of {@code v} when an emitted constant defines it, else null. */
    final Number constant(Value v) { return definitions.get(v) instanceof Op.Constant c ? c.value() : null; }

    final Value fresh(Type type) { return new Value(nextId++, type); }
}
