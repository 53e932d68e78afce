package dev.tessera.passes;

import dev.tessera.ir.Op;
import dev.tessera.ir.OpSchema;
import dev.tessera.ir.Value;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Replaces a pure op by an earlier equal one ({@link OpSchema#key}: same kind, operands and
 * attributes). Ops are remembered per region and forgotten when the region ends, so a value
 * computed inside a loop body or branch is reused only inside it, while values of enclosing
 * regions are reused anywhere below them.
 */
public final class CommonSubexpressionElimination extends Rewriter {
    private final Deque<Map<List<Object>, List<Value>>> scopes = new ArrayDeque<>();

    @Override
    public String name() { return "cse"; }

    @Override
    void enterRegion() { scopes.push(new HashMap<>()); }

    @Override
    void exitRegion() { scopes.pop(); }

    @Override
    void visit(Op op) {
        if (!Effects.isPure(op) || op.results().isEmpty()) {
            emit(op);
            return;
        }
        List<Object> key = OpSchema.of(op.getClass()).key(op);
        List<Value> earlier = lookup(key);
        if (earlier == null) {
            scopes.peek().put(key, op.results());
            emit(op);
            return;
        }
        for (int i = 0; i < earlier.size(); i++) replace(op.results().get(i), earlier.get(i));
    }

    private List<Value> lookup(List<Object> key) {
        for (Map<List<Object>, List<Value>> scope : scopes) {
            List<Value> v = scope.get(key);
            if (v != null) return v;
        }
        return null;
    }
}
