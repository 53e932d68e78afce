package dev.tessera.semantic;

import dev.tessera.ir.Loc;
import dev.tessera.ir.Op;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import java.util.Arrays;
import java.util.List;

/** Assertions, printing and compiler hints. */
public final class DebugSemantic {
    private DebugSemantic() {}

    private static TraceContext ctx() { return TraceContext.current(); }

    /** Fails at trace time with {@code message} unless {@code condition}. */
    public static void staticAssert(boolean condition, String message) {
        if (!condition) throw new TraceException(ctx().loc(), "static assertion failed: " + message);
    }

    public static void deviceAssert(Value condition, String message) {
        Loc loc = ctx().loc();
        Value c = condition.type().element() == DType.I1 ? condition
                : Semantic.compare(Op.Compare.Fn.NE, condition, 0);
        ctx().emit(new Op.Assert(c, message, loc));
    }

    public static void devicePrint(String prefix, boolean hex, Value... values) {
        ctx().emit(new Op.Print(List.of(values), prefix, hex, ctx().loc()));
    }

    public static Value hint(Value x, Op.Hint.Kind kind, int... values) {
        Loc loc = ctx().loc();
        int expected = Math.max(1, x.type().rank());
        if (values.length != expected) {
            throw new TraceException(loc, kind.name().toLowerCase(java.util.Locale.ROOT) + " needs " + expected
                    + " value(s) for " + x.type() + ", got " + values.length);
        }
        for (int v : values) {
            if (v < 1) throw new TraceException(loc, "hint values must be positive, got " + Arrays.toString(values));
        }
        Value r = ctx().newValue(x.type());
        return ctx().define(r, new Op.Hint(r, x, kind, Arrays.stream(values).boxed().toList(), loc));
    }

    public static void assume(Value condition) {
        Loc loc = ctx().loc();
        if (!condition.type().isScalar() || condition.type().element() != DType.I1) {
            throw new TraceException(loc, "assume takes an i1 scalar (a comparison), got " + condition.type());
        }
        ctx().emit(new Op.Assume(condition, loc));
    }

    public static void barrier() { ctx().emit(new Op.Barrier(ctx().loc())); }
}
