package dev.tessera.semantic;

import dev.tessera.ir.Loc;
import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BinaryOperator;
import java.util.function.Supplier;

/** Run-time control flow: loops, branches and the combine functions of reductions and scans. */
public final class ControlFlow {
    private ControlFlow() {}

    /** An open run-time for loop, as returned by {@link #openFor}. */
    public static final class ForLoop {
        private final Value inductionVariable, lower, upper, step;
        private final Frame frame;
        private final Loc loc;

        private ForLoop(Value inductionVariable, Value lower, Value upper, Value step, Frame frame, Loc loc) {
            this.inductionVariable = inductionVariable;
            this.lower = lower;
            this.upper = upper;
            this.step = step;
            this.frame = frame;
            this.loc = loc;
        }

        public Value inductionVariable() { return inductionVariable; }
    }

    /** Opens {@code for (iv = lower; iv < upper; iv += step)}; its body is traced until {@link #closeFor}. */
    public static ForLoop openFor(Object lower, Object upper, Object step) {
        TraceContext ctx = TraceContext.current();
        Loc loc = ctx.loc();
        if (step instanceof Number n && n.longValue() <= 0) {
            throw new TraceException(loc, "range step must be positive, got " + n);
        }
        Typing.Operand lo = Typing.operand(lower, loc), hi = Typing.operand(upper, loc), st = Typing.operand(step, loc);
        for (Typing.Operand o : List.of(lo, hi, st)) {
            if (!o.type().isScalar() || !o.dtype().isInteger()) {
                throw new TraceException(loc, "range bounds and step must be integer scalars, got " + o.type());
            }
        }
        DType ivType = Typing.integerPromote(Typing.integerPromote(lo.dtype(), hi.dtype(), loc), st.dtype(), loc);
        Value l = Semantic.cast(lo.materialize(ivType, dev.tessera.ir.Shape.SCALAR, loc), ivType, loc);
        Value u = Semantic.cast(hi.materialize(ivType, dev.tessera.ir.Shape.SCALAR, loc), ivType, loc);
        Value s = Semantic.cast(st.materialize(ivType, dev.tessera.ir.Shape.SCALAR, loc), ivType, loc);
        Frame frame = new Frame(Frame.Kind.FOR, loc, new Frame.Loop());
        frame.loop.regions.add(frame);
        Value iv = ctx.newValue(Type.scalar(ivType));
        frame.args.add(iv);
        ctx.push(frame);
        return new ForLoop(iv, l, u, s, frame, loc);
    }

    public static void closeFor(ForLoop loop) {
        TraceContext ctx = TraceContext.current();
        Frame f = loop.frame;
        ctx.pop(f);
        List<Value> yields = f.loop.carried.stream().map(f.bindings::get).toList();
        f.ops.add(new Op.Yield(yields, loop.loc));
        List<Value> results = newResults(ctx, f.loop.inits);
        ctx.emit(new Op.For(results, loop.lower, loop.upper, loop.step, f.loop.inits,
                new Region(f.args, f.ops), loop.loc));
        ctx.bindResults(f.loop.carried, results);
    }

    /** if (condition) thenBranch else elseBranch, both traced; variables they set are yielded. */
    public static void branch(Object condition, Runnable thenBranch, Runnable elseBranch) {
        TraceContext ctx = TraceContext.current();
        Loc loc = ctx.loc();
        Value cond = scalarCondition(condition, loc, "when");
        Frame thenFrame = traceRegion(ctx, new Frame(Frame.Kind.THEN, loc, null), thenBranch);
        Frame elseFrame = traceRegion(ctx, new Frame(Frame.Kind.ELSE, loc, null), elseBranch);
        Set<Variable> modified = new LinkedHashSet<>(thenFrame.modifiedOuterVariables());
        modified.addAll(elseFrame.modifiedOuterVariables());
        List<Variable> vars = List.copyOf(modified);
        List<Value> thenValues = new ArrayList<>(), elseValues = new ArrayList<>();
        for (Variable v : vars) {
            Value t = thenFrame.bindings.containsKey(v) ? thenFrame.bindings.get(v) : ctx.read(v);
            Value e = elseFrame.bindings.containsKey(v) ? elseFrame.bindings.get(v) : ctx.read(v);
            if (!t.type().equals(e.type())) {
                throw new TraceException(loc, "a Var set in this branch is " + t.type() + " on one side and "
                        + e.type() + " on the other; both sides must leave it the same type");
            }
            thenValues.add(t);
            elseValues.add(e);
        }
        thenFrame.ops.add(new Op.Yield(thenValues, loc));
        elseFrame.ops.add(new Op.Yield(elseValues, loc));
        List<Value> results = newResults(ctx, thenValues);
        ctx.emit(new Op.If(results, cond, new Region(thenFrame.args, thenFrame.ops),
                new Region(elseFrame.args, elseFrame.ops), loc));
        ctx.bindResults(vars, results);
    }

    /** while (condition()) body(); variables they read or set are carried. */
    public static void whileLoop(Supplier<Object> condition, Runnable body) {
        TraceContext ctx = TraceContext.current();
        Loc loc = ctx.loc();
        Frame.Loop loop = new Frame.Loop();
        Frame condFrame = new Frame(Frame.Kind.WHILE_CONDITION, loc, loop);
        Frame bodyFrame = new Frame(Frame.Kind.WHILE_BODY, loc, loop);
        loop.regions.add(condFrame);
        loop.regions.add(bodyFrame);
        ctx.push(condFrame);
        Value cond = scalarCondition(condition.get(), loc, "whileLoop");
        ctx.pop(condFrame);
        traceRegion(ctx, bodyFrame, body);
        condFrame.ops.add(new Op.Yield(List.of(cond), loc));
        bodyFrame.ops.add(new Op.Yield(loop.carried.stream().map(bodyFrame.bindings::get).toList(), loc));
        List<Value> results = newResults(ctx, loop.inits);
        ctx.emit(new Op.While(results, loop.inits, new Region(condFrame.args, condFrame.ops),
                new Region(bodyFrame.args, bodyFrame.ops), loc));
        ctx.bindResults(loop.carried, results);
    }

    /**
     * Traces a reduction's or scan's combine function over two scalars of {@code dtype}. It may use
     * only its arguments and elementwise operations.
     */
    public static Region combine(DType dtype, BinaryOperator<Value> fn) {
        return combine(List.of(dtype), (a, b) -> List.of(fn.apply(a.getFirst(), b.getFirst())));
    }

    /**
     * The region of a combine function over tuples: N accumulated scalars, then N incoming ones, of
     * the given dtypes, yielding N scalars of the same dtypes.
     */
    public static Region combine(List<DType> dtypes, BinaryOperator<List<Value>> fn) {
        TraceContext ctx = TraceContext.current();
        Loc loc = ctx.loc();
        Frame f = new Frame(Frame.Kind.COMBINE, loc, null);
        List<Value> a = new ArrayList<>(), b = new ArrayList<>();
        for (DType t : dtypes) a.add(ctx.newValue(Type.scalar(t)));
        for (DType t : dtypes) b.add(ctx.newValue(Type.scalar(t)));
        f.args.addAll(a);
        f.args.addAll(b);
        ctx.push(f);
        List<Value> r = fn.apply(List.copyOf(a), List.copyOf(b));
        ctx.pop(f);
        String wanted = dtypes.size() == 1 ? "a " + dtypes.getFirst() + " scalar" : dtypes.size() + " scalars " + dtypes;
        if (r == null || r.size() != dtypes.size()) {
            throw new TraceException(loc, "the combine function must return " + wanted + ", got " + (r == null ? "null" : r.size() + " values"));
        }
        for (int i = 0; i < r.size(); i++) {
            if (!r.get(i).type().equals(Type.scalar(dtypes.get(i)))) {
                throw new TraceException(loc, "the combine function must return " + wanted + ", got " + r.get(i).type()
                        + (dtypes.size() == 1 ? "" : " for value " + i + " (cast it with .to(" + dtypes.get(i) + "))"));
            }
        }
        Set<Value> inside = new HashSet<>(f.args);
        for (Op op : f.ops) {
            boolean elementwise = op instanceof Op.Constant || op instanceof Op.Unary || op instanceof Op.Binary
                    || op instanceof Op.Compare || op instanceof Op.Select || op instanceof Op.Fma
                    || op instanceof Op.Convert || op instanceof Op.Bitcast;
            if (!elementwise || !inside.containsAll(op.operands())) {
                throw new TraceException(op.loc(), "a combine function may use only its arguments and elementwise "
                        + "operations on them, not " + dev.tessera.ir.Printer.mnemonic(op));
            }
            inside.addAll(op.results());
        }
        if (!inside.containsAll(r)) throw new TraceException(loc, "the combine function must compute its results from its arguments");
        f.ops.add(new Op.Yield(List.copyOf(r), loc));
        return new Region(f.args, f.ops);
    }

    private static Frame traceRegion(TraceContext ctx, Frame frame, Runnable body) {
        ctx.push(frame);
        body.run();
        ctx.pop(frame);
        return frame;
    }

    private static List<Value> newResults(TraceContext ctx, List<Value> like) {
        return like.stream().map(v -> ctx.newValue(v.type())).toList();
    }

    private static Value scalarCondition(Object condition, Loc loc, String what) {
        Typing.Operand c = Typing.operand(condition, loc);
        if (!c.type().isScalar()) {
            throw new TraceException(loc, what + " needs a scalar condition, got " + c.type()
                    + "; for per-element choices use where(...) or a mask");
        }
        Value v = c.materialize(c.dtype(), dev.tessera.ir.Shape.SCALAR, loc);
        return v.type().element() == DType.I1 ? v : Semantic.compare(dev.tessera.ir.Op.Compare.Fn.NE, v, 0);
    }
}
