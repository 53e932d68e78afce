package dev.tessera.semantic;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Loc;
import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The state of one kernel trace: the stack of regions being built and the values of variables in
 * each. Tile operations reach it through {@link #current()}, bound for the duration of a trace.
 */
public final class TraceContext {
    private static final ScopedValue<TraceContext> CURRENT = ScopedValue.newInstance();

    private final List<Frame> stack = new ArrayList<>();
    private int nextId;

    public TraceContext() { stack.add(new Frame(Frame.Kind.KERNEL, Loc.UNKNOWN, null)); }

    /** The trace in progress on this thread; tile operations outside a trace fail clearly. */
    public static TraceContext current() {
        if (!CURRENT.isBound()) {
            throw new IllegalStateException("tile operations run only while a kernel is traced: "
                    + "launch the kernel (Jit.kernel(...).launch(...)) instead of calling its method directly");
        }
        return CURRENT.get();
    }

    /** Runs {@code op} (which calls the kernel method) with this trace as the current one. */
    public <R, X extends Throwable> R within(ScopedValue.CallableOp<R, X> op) throws X {
        return ScopedValue.where(CURRENT, this).call(op);
    }

    /** A new runtime parameter of the kernel. */
    public Value parameter(Type type) {
        Value v = newValue(type);
        stack.getFirst().args.add(v);
        return v;
    }

    public Value newValue(Type type) { return new Value(nextId++, type); }

    /** The user's source line of the operation being traced now. */
    public Loc loc() { return SourceLocator.find(); }

    public <T extends Op> T emit(T op) {
        for (Value v : op.operands()) {
            Frame ended = endedRegion.get(v);
            if (ended != null) throw new TraceException(op.loc(), escaped(ended));
        }
        top().ops.add(op);
        return op;
    }

    /**
     * The values of regions that have been closed, with the region: a Java variable can carry a tile
     * out of a run-time loop or branch body, but the value exists only inside it (and for a loop, only
     * for one iteration), so using it later is a trace error rather than invalid IR.
     */
    private final Map<Value, Frame> endedRegion = new java.util.IdentityHashMap<>();

    private static String escaped(Frame f) {
        String where = switch (f.kind) {
            case FOR -> "the run-time loop";
            case WHILE_CONDITION, WHILE_BODY -> "the whileLoop";
            case THEN, ELSE -> "a branch of the when";
            case COMBINE -> "the combine function";
            case KERNEL -> "the kernel";
        };
        return "this uses a value computed inside " + where + " at " + f.openedAt + ", which has ended; to use a result "
                + "after it, create a Var before it (var(...)), set the Var inside and read it after";
    }

    /** Emits an op that defines {@code result} and returns the result. */
    Value define(Value result, Op op) {
        emit(op);
        return result;
    }

    /** Ends the trace: every run-time region must have been closed. */
    public KernelIR finish(String name, List<KernelIR.Param> params, Map<String, Object> constants) {
        if (stack.size() > 1) {
            Frame open = stack.get(1);
            throw new TraceException(open.openedAt, leftEarly(open));
        }
        Frame kernel = stack.getFirst();
        return new KernelIR(name, params, new Region(kernel.args, kernel.ops), constants);
    }

    private static String leftEarly(Frame open) {
        return switch (open.kind) {
            case FOR -> "the run-time loop started here was left early (break or return inside it); "
                    + "a range() loop must run its body to the end: mask the remaining work, or use whileLoop(...) "
                    + "with a condition";
            default -> "the " + open.kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                    + " region opened here was never closed";
        };
    }

    // ------------------------------------------------------------------ frames

    Frame top() { return stack.getLast(); }

    void push(Frame f) { stack.add(f); }

    /** Pops {@code expected}; if another region is still open above it, that one was left early. */
    void pop(Frame expected) {
        Frame top = top();
        if (top != expected) throw new TraceException(top.openedAt, leftEarly(top));
        stack.removeLast();
        for (Value a : top.args) endedRegion.put(a, top);
        for (Op op : top.ops) for (Value r : op.results()) endedRegion.put(r, top);
    }

    // ------------------------------------------------------------------ variables

    public Variable createVariable(Value init) {
        Variable v = new Variable(loc().toString());
        top().bindings.put(v, init);
        top().created.add(v);
        return v;
    }

    /** The variable's value in the innermost region, making enclosing loops carry it. */
    public Value read(Variable v) {
        carryThroughLoops(v, definingFrame(v));
        return visibleFrom(v, stack.size() - 1);
    }

    /** Sets the variable in the innermost region; enclosing loops carry it, branches yield it. */
    public void write(Variable v, Value value) {
        if (top().kind == Frame.Kind.WHILE_CONDITION) {
            throw new TraceException(loc(), "a Var cannot be set in a whileLoop condition; set it in the body");
        }
        carryThroughLoops(v, definingFrame(v));
        // every enclosing loop that carries v, also one whose frame already holds v because an
        // earlier read in it made it carried (so the innermost binding is no longer where v began)
        for (int j = 0; j < stack.size(); j++) {
            Frame.Loop loop = stack.get(j).loop;
            if (loop == null || loop.indexOf(v) < 0) continue;
            Type carriedType = loop.inits.get(loop.indexOf(v)).type();
            if (!carriedType.equals(value.type())) {
                throw new TraceException(loc(), "this Var is carried by the run-time loop at " + stack.get(j).openedAt
                        + " as " + carriedType + " but is set to " + value.type()
                        + "; a loop-carried value must keep its type (convert with .to(...) or broadcastTo(...))");
            }
        }
        top().bindings.put(v, value);
    }

    private int definingFrame(Variable v) {
        for (int i = stack.size() - 1; i >= 0; i--) {
            if (stack.get(i).bindings.containsKey(v)) {
                for (int j = i + 1; j < stack.size(); j++) {
                    if (stack.get(j).kind == Frame.Kind.COMBINE) {
                        throw new TraceException(loc(), "a combine function may use only its two arguments, not a Var (" + v + ")");
                    }
                }
                return i;
            }
        }
        throw new TraceException(loc(), v + " is used outside the region that created it");
    }

    private Value visibleFrom(Variable v, int index) {
        for (int i = index; i >= 0; i--) {
            Value b = stack.get(i).bindings.get(v);
            if (b != null) return b;
        }
        throw new IllegalStateException(v + " has no binding");
    }

    private void carryThroughLoops(Variable v, int definedAt) {
        for (int j = definedAt + 1; j < stack.size(); j++) {
            Frame f = stack.get(j);
            if (f.loop == null || f.loop.indexOf(v) >= 0) continue;
            Value init = visibleFrom(v, j - 1);
            f.loop.carried.add(v);
            f.loop.inits.add(init);
            for (Frame region : f.loop.regions) {
                Value arg = newValue(init.type());
                region.args.add(arg);
                region.bindings.put(v, arg);
            }
        }
    }

    /** Binds variables to the results of a just-closed region op in the now-innermost region. */
    void bindResults(List<Variable> vars, List<Value> results) {
        for (int i = 0; i < vars.size(); i++) top().bindings.put(vars.get(i), results.get(i));
    }
}
