package dev.tessera.passes;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Value;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Facts about the values of a kernel that several passes need. */
final class Values {
    private Values() {}

    /** The largest value id in use, so that passes can number new values after it. */
    static int maxId(KernelIR kernel) {
        int max = -1;
        for (KernelIR.Param p : kernel.params()) max = Math.max(max, p.value().id());
        return Math.max(max, maxId(kernel.body()));
    }

    private static int maxId(Region r) {
        int max = -1;
        for (Value a : r.args()) max = Math.max(max, a.id());
        for (Op op : r.ops()) {
            for (Value v : op.results()) max = Math.max(max, v.id());
            for (Region nested : op.regions()) max = Math.max(max, maxId(nested));
        }
        return max;
    }

    /** How many operands read each value, nested regions included. */
    static Map<Value, Integer> useCounts(Region r) {
        Map<Value, Integer> counts = new HashMap<>();
        countUses(r, counts);
        return counts;
    }

    private static void countUses(Region r, Map<Value, Integer> counts) {
        for (Op op : r.ops()) {
            for (Value v : op.operands()) counts.merge(v, 1, Integer::sum);
            for (Region nested : op.regions()) countUses(nested, counts);
        }
    }

    /** Adds every value read by an op of {@code r}, nested regions included. */
    static void addUses(Region r, Set<Value> into) {
        for (Op op : r.ops()) {
            into.addAll(op.operands());
            for (Region nested : op.regions()) addUses(nested, into);
        }
    }

    /** {@code r} with every operand replaced through {@code map}, nested regions included. */
    static Region substitute(Region r, Map<Value, Value> map) {
        return new Region(r.args(), r.ops().stream().map(op -> {
            Op mapped = op.mapOperands(v -> map.getOrDefault(v, v));
            return mapped.regions().isEmpty() ? mapped : mapped.mapRegions(nested -> substitute(nested, map));
        }).toList());
    }
}
