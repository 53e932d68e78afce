package dev.tessera.passes;

import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds the values a for loop carries that nothing needs: unused after the loop and, inside the
 * body, read only to compute their own next value (a counter nobody reads, an accumulator whose
 * result is dropped). Removing them leaves their computation dead for DCE.
 */
final class DeadCarriedValues {
    private DeadCarriedValues() {}

    /** {@code f} without its dead carried values, given the values used after it. */
    static Op.For prune(Op.For f, Set<Value> liveAfter) {
        List<Value> args = f.body().args();
        List<Value> yields = ((Op.Yield) f.body().terminator()).values();
        Set<Integer> dead = new TreeSet<>();
        for (int i = 0; i < f.results().size(); i++) if (!liveAfter.contains(f.results().get(i))) dead.add(i);
        // a candidate whose argument the body needs for something else is live; that may make others live
        boolean changed = !dead.isEmpty();
        while (changed) {
            Set<Value> needed = needed(f.body(), yields, dead);
            changed = dead.removeIf(i -> needed.contains(args.get(i + 1)));
        }
        if (dead.isEmpty()) return f;
        List<Value> bodyArgs = new ArrayList<>(List.of(args.getFirst())), newYields = new ArrayList<>();
        List<Value> inits = new ArrayList<>(), results = new ArrayList<>();
        for (int i = 0; i < f.results().size(); i++) {
            if (dead.contains(i)) continue;
            bodyArgs.add(args.get(i + 1));
            newYields.add(yields.get(i));
            inits.add(f.inits().get(i));
            results.add(f.results().get(i));
        }
        List<Op> ops = new ArrayList<>(f.body().ops().subList(0, f.body().ops().size() - 1));
        ops.add(new Op.Yield(newYields, f.body().terminator().loc()));
        return new Op.For(results, f.lower(), f.upper(), f.step(), inits, new Region(bodyArgs, ops), f.loc());
    }

    /**
     * The values the body needs when the yields at {@code dead} are dropped: operands of ops with side
     * effects or needed results, and the other yields. Values read inside nested regions of a needed
     * op all count (a conservative shortcut).
     */
    private static Set<Value> needed(Region body, List<Value> yields, Set<Integer> dead) {
        Set<Value> needed = new HashSet<>();
        for (int i = 0; i < yields.size(); i++) if (!dead.contains(i)) needed.add(yields.get(i));
        List<Op> ops = body.ops();
        for (int i = ops.size() - 2; i >= 0; i--) {
            Op op = ops.get(i);
            if (!Effects.hasSideEffects(op) && op.results().stream().noneMatch(needed::contains)) continue;
            needed.addAll(op.operands());
            for (Region nested : op.regions()) Values.addUses(nested, needed);
        }
        return needed;
    }
}
