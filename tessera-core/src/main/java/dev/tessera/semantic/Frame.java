package dev.tessera.semantic;

import dev.tessera.ir.Loc;
import dev.tessera.ir.Op;
import dev.tessera.ir.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One region being traced: its arguments, its ops, and the values variables have inside it. */
final class Frame {
    enum Kind { KERNEL, FOR, WHILE_CONDITION, WHILE_BODY, THEN, ELSE, COMBINE }

    final Kind kind;
    final Loc openedAt;
    /** The loop this frame is a region of (FOR and WHILE_* frames), which carries variables. */
    final Loop loop;
    final List<Value> args = new ArrayList<>();
    final List<Op> ops = new ArrayList<>();
    final Map<Variable, Value> bindings = new LinkedHashMap<>();
    final Set<Variable> created = new HashSet<>();

    Frame(Kind kind, Loc openedAt, Loop loop) {
        this.kind = kind;
        this.openedAt = openedAt;
        this.loop = loop;
    }

    /** The variables this region changed that live outside it, in the order they were first set. */
    List<Variable> modifiedOuterVariables() {
        return bindings.keySet().stream().filter(v -> !created.contains(v)).toList();
    }

    /**
     * A run-time loop: the variables it carries and, for each, its value on entry. A while loop has
     * two regions (condition and body) that take the same carried values as arguments.
     */
    static final class Loop {
        final List<Variable> carried = new ArrayList<>();
        final List<Value> inits = new ArrayList<>();
        final List<Frame> regions = new ArrayList<>();

        int indexOf(Variable v) { return carried.indexOf(v); }
    }
}
