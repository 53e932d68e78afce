package dev.tessera.passes;

import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Moves pure, region-free ops whose operands are all defined outside a for or while loop out of it,
 * to just before the loop. Inner loops are rewritten first, so an op invariant in both moves out of
 * both. Loads stay: a load may be valid only under the loop's condition (its mask often depends on
 * it) and a store in the loop may change what it reads. Pure ops never fault, so running one even
 * when the loop runs zero times is safe.
 */
public final class LoopInvariantCodeMotion extends Rewriter {

    @Override
    public String name() { return "licm"; }

    @Override
    void visit(Op op) {
        switch (op) {
            case Op.For f -> emit(new Op.For(f.results(), f.lower(), f.upper(), f.step(), f.inits(), hoist(f.body()), f.loc()));
            case Op.While w -> {
                Region condition = hoist(w.condition());
                emit(new Op.While(w.results(), w.inits(), condition, hoist(w.body()), w.loc()));
            }
            default -> emit(op);
        }
    }

    /** Emits the invariant ops of a loop region and returns the region without them. */
    private Region hoist(Region body) {
        Set<Value> inside = new HashSet<>(body.args());
        List<Op> kept = new ArrayList<>();
        for (Op op : body.ops()) {
            boolean invariant = Effects.isPure(op) && op.regions().isEmpty() && !op.results().isEmpty()
                    && op.operands().stream().noneMatch(inside::contains);
            if (invariant) {
                emit(op);
            } else {
                kept.add(op);
                inside.addAll(op.results());
            }
        }
        return new Region(body.args(), kept);
    }
}
