package dev.tessera.passes;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Loc;
import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Local simplifications that leave the kernel in one canonical form for the other passes and the
 * backends: identities (x+0, x·1, x·0 for integers, x−0, double negation, conversions to the same
 * type), chains of splat/broadcast/reshape collapsed, pointer offsets summed into one ptr_add from
 * the base pointer (the form AxisInfo and the CPU backend handle best), selects and comparisons
 * decided by their operands, constant masks of loads and stores resolved, loops that never run and
 * branches on constants removed.
 */
public final class Canonicalize extends Rewriter {
    private Map<Value, Integer> uses = Map.of();

    @Override
    public String name() { return "canonicalize"; }

    @Override
    void start(KernelIR kernel) { uses = Values.useCounts(kernel.body()); }

    @Override
    void visit(Op op) {
        switch (op) {
            case Op.Binary b -> binary(b);
            case Op.Unary u when definition(u.x()) instanceof Op.Unary inner && inner.fn() == u.fn()
                    && (u.fn() == Op.Unary.Fn.NEG || u.fn() == Op.Unary.Fn.NOT) -> replace(u.result(), inner.x());
            case Op.Convert c when c.source().type().equals(c.result().type()) -> replace(c.result(), c.source());
            case Op.Splat s when definition(s.source()) instanceof Op.PtrAdd p && uses.getOrDefault(s.source(), 0) == 1 ->
                    pushBelowPtrAdd(s.result(), p, s.loc());
            case Op.Broadcast b -> reshaping(b, b.source());
            case Op.ExpandDims e -> reshaping(e, e.source());
            case Op.Reshape r -> reshaping(r, r.source());
            case Op.PtrAdd p -> ptrAdd(p);
            case Op.Select s -> select(s);
            case Op.Compare c when c.lhs() == c.rhs() && isInteger(c.lhs().type()) -> emit(new Op.Constant(c.result(), switch (c.fn()) {
                case EQ, LE, GE -> 1L;
                case NE, LT, GT -> 0L;
            }, c.loc()));
            case Op.Load l when !l.isVolatile() && l.mask() != null && constant(l.mask()) != null -> load(l, constant(l.mask()).longValue() != 0);
            case Op.Store st when st.mask() != null && constant(st.mask()) != null -> {
                if (constant(st.mask()).longValue() != 0) emit(new Op.Store(st.pointer(), st.value(), null, st.cache(), st.eviction(), st.loc()));
            }
            case Op.For f -> forLoop(f);
            case Op.If i when constant(i.condition()) != null -> inline(constant(i.condition()).longValue() != 0 ? i.thenRegion() : i.elseRegion(), i.results());
            default -> emit(op);
        }
    }

    // ------------------------------------------------------------------ arithmetic identities

    private void binary(Op.Binary b) {
        Value x = b.lhs(), y = b.rhs();
        boolean integer = isInteger(b.result().type());
        switch (b.fn()) {
            case ADD -> {
                if (integer && isInt(y, 0) || isFloat(y, -0.0)) replace(b.result(), x);
                else if (integer && isInt(x, 0) || isFloat(x, -0.0)) replace(b.result(), y);
                else emit(b);
            }
            // x − (+0.0) is x even for x = −0.0 and NaN
            case SUB -> {
                if (integer && isInt(y, 0) || isFloat(y, 0.0)) replace(b.result(), x);
                else if (integer && x == y) emit(new Op.Constant(b.result(), 0L, b.loc()));
                else emit(b);
            }
            // x·0 is not 0 for floats (NaN, infinities, −0.0)
            case MUL -> {
                if (integer && isInt(y, 1) || isFloat(y, 1.0)) replace(b.result(), x);
                else if (integer && isInt(x, 1) || isFloat(x, 1.0)) replace(b.result(), y);
                else if (integer && (isInt(x, 0) || isInt(y, 0))) emit(new Op.Constant(b.result(), 0L, b.loc()));
                else emit(b);
            }
            case DIV -> {
                if (integer && isInt(y, 1)) replace(b.result(), x);
                else emit(b);
            }
            default -> emit(b);
        }
    }

    private boolean isInt(Value v, long value) { return constant(v) instanceof Long l && l == value; }

    /** A float constant with exactly these bits (so −0.0 and 0.0 differ). */
    private boolean isFloat(Value v, double value) {
        return constant(v) instanceof Double d && v.type().dtype().isFloat()
                && Double.doubleToRawLongBits(ConstantArithmetic.held(v.type().dtype(), d)) == Double.doubleToRawLongBits(value);
    }

    private static boolean isInteger(Type t) { return !t.isPointer() && t.dtype().isInteger(); }

    // ------------------------------------------------------------------ shapes

    /**
     * Broadcast, expand_dims and reshape: to the same type they are the operand; of a splat (through
     * any chain of them) they are one splat; nested broadcasts are one broadcast, nested
     * reshapes one reshape; a broadcast of a ptr_add used once moves below it so that pointer
     * offsets can be summed.
     */
    private void reshaping(Op op, Value source) {
        Value result = op.result();
        Value scalar = splatSource(source);
        if (source.type().equals(result.type())) {
            replace(result, source);
        } else if (scalar != null) {
            emit(new Op.Splat(result, scalar, op.loc()));
        } else if (op instanceof Op.Broadcast && definition(source) instanceof Op.Broadcast inner) {
            emit(new Op.Broadcast(result, inner.source(), op.loc()));
        } else if (op instanceof Op.Reshape && (definition(source) instanceof Op.Reshape || definition(source) instanceof Op.ExpandDims)) {
            Value original = definition(source).operands().getFirst();
            if (original.type().equals(result.type())) replace(result, original);
            else emit(new Op.Reshape(result, original, op.loc()));
        } else if (op instanceof Op.Broadcast && definition(source) instanceof Op.PtrAdd p && uses.getOrDefault(source, 0) == 1) {
            pushBelowPtrAdd(result, p, op.loc());
        } else {
            emit(op);
        }
    }

    /**
     * A splat or broadcast of a ptr_add used only there becomes a ptr_add of splats or broadcasts,
     * so that its offsets meet the offsets added afterwards (see {@link #ptrAdd}).
     */
    private void pushBelowPtrAdd(Value result, Op.PtrAdd p, Loc loc) {
        Value pointer = expand(p.pointer(), result.type(), loc);
        Value offset = expand(p.offset(), p.offset().type().withShape(result.type().shape()), loc);
        ptrAdd(new Op.PtrAdd(result, pointer, offset, p.loc()));
    }

    /** {@code v} splatted or broadcast to {@code t} (a splat when it repeats one scalar). */
    private Value expand(Value v, Type t, Loc loc) {
        Value r = fresh(t);
        Value scalar = v.type().isScalar() ? v : splatSource(v);
        emit(scalar != null ? new Op.Splat(r, scalar, loc) : new Op.Broadcast(r, v, loc));
        return r;
    }

    /** The scalar that {@code v} repeats, when it is a splat seen through shape ops. */
    private Value splatSource(Value v) {
        return switch (definition(v)) {
            case Op.Splat s -> s.source();
            case Op.Broadcast b -> splatSource(b.source());
            case Op.ExpandDims e -> splatSource(e.source());
            case Op.Reshape r -> splatSource(r.source());
            case null, default -> null;
        };
    }

    // ------------------------------------------------------------------ pointers

    /** ptr_add(p, 0) is p; ptr_add(ptr_add(p, a), b) is ptr_add(p, a + b). */
    private void ptrAdd(Op.PtrAdd p) {
        if (isInt(p.offset(), 0)) {
            replace(p.result(), p.pointer());
        } else if (definition(p.pointer()) instanceof Op.PtrAdd inner) {
            Type common = commonOffsetType(inner.offset().type(), p.offset().type());
            Value sum = fresh(common);
            emit(new Op.Binary(sum, Op.Binary.Fn.ADD, widen(inner.offset(), common, p.loc()), widen(p.offset(), common, p.loc()), p.loc()));
            emit(new Op.PtrAdd(p.result(), inner.pointer(), sum, p.loc()));
        } else {
            emit(p);
        }
    }

    /**
     * Offsets of one type of 32 bits or more add in that type (as Triton does: offsets into one
     * tensor do not overflow it); otherwise in i64, where the sign- or zero-extension each offset gets
     * in ptr_add is kept exactly.
     */
    private static Type commonOffsetType(Type a, Type b) {
        DType t = a.dtype() == b.dtype() && a.dtype().bits() >= 32 ? a.dtype() : DType.I64;
        return a.withElement(t);
    }

    private Value widen(Value v, Type t, Loc loc) {
        if (v.type().equals(t)) return v;
        Value w = fresh(t);
        emit(new Op.Convert(w, v, Numerics.Rounding.NEAREST_EVEN, loc));
        return w;
    }

    // ------------------------------------------------------------------ memory

    /** A mask that is all true is no mask; one all false reads nothing and gives {@code other} (or 0). */
    private void load(Op.Load l, boolean all) {
        if (all) {
            emit(new Op.Load(l.result(), l.pointer(), null, null, l.cache(), l.eviction(), false, l.loc()));
        } else if (l.other() != null) {
            replace(l.result(), l.other());
        } else {
            emit(new Op.Constant(l.result(), l.result().type().dtype().isFloat() ? (Number) 0.0 : (Number) 0L, l.loc()));
        }
    }

    // ------------------------------------------------------------------ select and control flow

    private void select(Op.Select s) {
        Number c = constant(s.condition());
        if (c != null) replace(s.result(), c.longValue() != 0 ? s.ifTrue() : s.ifFalse());
        else if (s.ifTrue() == s.ifFalse()) replace(s.result(), s.ifTrue());
        else emit(s);
    }

    /**
     * A loop whose constant bounds give no iteration leaves its initial values (only with a constant
     * positive step: a bad step faults at run time even then). A carried value that every iteration
     * yields unchanged is its initial value throughout.
     */
    private void forLoop(Op.For f) {
        Number lo = constant(f.lower()), hi = constant(f.upper()), step = constant(f.step());
        if (lo != null && hi != null && step != null && bound(f, step) > 0 && bound(f, lo) >= bound(f, hi)) {
            for (int i = 0; i < f.results().size(); i++) replace(f.results().get(i), f.inits().get(i));
            return;
        }
        List<Value> args = f.body().args();
        List<Value> yields = ((Op.Yield) f.body().terminator()).values();
        Map<Value, Value> invariant = new HashMap<>();
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < f.inits().size(); i++) {
            Value arg = args.get(i + 1), init = f.inits().get(i), yielded = yields.get(i);
            if (yielded == arg || yielded == init) {
                invariant.put(arg, init);
                replace(f.results().get(i), init);
            } else {
                kept.add(i);
            }
        }
        if (invariant.isEmpty()) {
            emit(f);
            return;
        }
        Region body = Values.substitute(f.body(), invariant);
        List<Op> ops = new ArrayList<>(body.ops().subList(0, body.ops().size() - 1));
        List<Value> bodyArgs = new ArrayList<>(List.of(args.getFirst()));
        List<Value> newYields = new ArrayList<>(), inits = new ArrayList<>(), results = new ArrayList<>();
        List<Value> substitutedYields = ((Op.Yield) body.terminator()).values();
        for (int i : kept) {
            bodyArgs.add(args.get(i + 1));
            newYields.add(substitutedYields.get(i));
            inits.add(f.inits().get(i));
            results.add(f.results().get(i));
        }
        ops.add(new Op.Yield(newYields, body.terminator().loc()));
        emit(new Op.For(results, f.lower(), f.upper(), f.step(), inits, new Region(bodyArgs, ops), f.loc()));
    }

    /** A loop bound as the CPU reads it: 64-bit types as longs, narrower ones as sign-extended ints. */
    private static long bound(Op.For f, Number v) {
        return f.lower().type().dtype().bits() == 64 ? v.longValue() : (int) v.longValue();
    }

    /** The taken branch's ops in place of the if; its yielded values stand for the results. */
    private void inline(Region taken, List<Value> results) {
        List<Value> yielded = ((Op.Yield) taken.terminator()).values();
        for (Op op : taken.ops().subList(0, taken.ops().size() - 1)) emit(op);
        for (int i = 0; i < results.size(); i++) replace(results.get(i), yielded.get(i));
    }
}
