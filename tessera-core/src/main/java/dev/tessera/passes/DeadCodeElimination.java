package dev.tessera.passes;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Removes ops whose results are unused and that have no side effects, working backwards so that
 * chains of dead ops go in one sweep, and values a for loop carries only for itself (see
 * {@link DeadCarriedValues}).
 */
public final class DeadCodeElimination implements Pass {

    @Override
    public String name() { return "dce"; }

    @Override
    public KernelIR run(KernelIR kernel) {
        Set<Value> live = new HashSet<>();
        return kernel.withBody(sweep(kernel.body(), live));
    }

    private Region sweep(Region region, Set<Value> live) {
        List<Op> kept = new ArrayList<>();
        List<Op> ops = region.ops();
        for (int i = ops.size() - 1; i >= 0; i--) {
            Op op = ops.get(i);
            boolean needed = Effects.hasSideEffects(op) || op.results().stream().anyMatch(live::contains);
            if (!needed) continue;
            if (op instanceof Op.For f) op = DeadCarriedValues.prune(f, live);
            Op swept = op.regions().isEmpty() ? op : op.mapRegions(r -> sweep(r, live));
            live.addAll(swept.operands());
            kept.add(swept);
        }
        return new Region(region.args(), kept.reversed());
    }
}
