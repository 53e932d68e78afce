package dev.tessera.cuda.codegen.reduce;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.convert.NarrowFloats;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.math.ScalarOps;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.control.ControlRules;
import dev.tessera.ir.Op.Binary;
import dev.tessera.ir.Op.Reduce;
import dev.tessera.ir.Op.Yield;
import dev.tessera.ir.Region;
import dev.tessera.types.DType;
import java.util.List;

/**
 * The combine step of a reduction or scan on one element: a built-in kind, the (value, index)
 * pairs of argmax/argmin, or the user's combine region inlined on registers. Accumulators are
 * arrays of registers: one for a value, two for an arg pair. Narrow floats accumulate in f32 and
 * are rounded once at the end, as the CPU backend accumulates in double and rounds once.
 */
final class Combiner {
    private final Lowerer cx;
    private final Reduce.Kind kind;
    private final Region region;
    final DType type;
    /** The dtypes of a multi-operand reduce or scan (one register each), or null. */
    private final List<DType> tuple;

    Combiner(Lowerer cx, Reduce.Kind kind, Region region, DType type) {
        this.cx = cx;
        this.kind = kind;
        this.region = region;
        this.type = type;
        this.tuple = null;
    }

    /** The combine of a ReduceTuple or ScanTuple: its region over N accumulated and N incoming scalars. */
    Combiner(Lowerer cx, Region region, List<DType> tuple) {
        this.cx = cx;
        this.kind = Reduce.Kind.CUSTOM;
        this.region = region;
        this.type = tuple.getFirst();
        this.tuple = List.copyOf(tuple);
    }

    boolean isArg() { return kind == Reduce.Kind.ARGMAX || kind == Reduce.Kind.ARGMIN; }

    /** Whether the order of operands matters (a user's function might not commute). */
    boolean needsOrder() { return kind == Reduce.Kind.CUSTOM; }

    /** Register classes of an accumulator's parts. */
    RegClass[] parts() {
        if (tuple != null) return tuple.stream().map(RegClass::of).toArray(RegClass[]::new);
        return isArg() ? new RegClass[] {RegClass.of(type), RegClass.B32} : new RegClass[] {RegClass.of(type)};
    }

    /** a ⊕ b, with a the earlier elements. */
    String[] combine(String[] a, String[] b) {
        PtxWriter w = cx.w;
        return switch (kind) {
            case SUM -> new String[] {ScalarOps.binaryRaw(cx, Binary.Fn.ADD, type, a[0], b[0])};
            case PROD -> new String[] {ScalarOps.binaryRaw(cx, Binary.Fn.MUL, type, a[0], b[0])};
            case MAX -> new String[] {ScalarOps.binaryRaw(cx, Binary.Fn.MAX, type, a[0], b[0])};
            case MIN -> new String[] {ScalarOps.binaryRaw(cx, Binary.Fn.MIN, type, a[0], b[0])};
            case AND -> new String[] {ScalarOps.binaryRaw(cx, Binary.Fn.AND, type, a[0], b[0])};
            case OR -> new String[] {ScalarOps.binaryRaw(cx, Binary.Fn.OR, type, a[0], b[0])};
            case XOR -> new String[] {ScalarOps.binaryRaw(cx, Binary.Fn.XOR, type, a[0], b[0])};
            case ARGMAX, ARGMIN -> argCombine(a, b, kind == Reduce.Kind.ARGMAX);
            case CUSTOM -> {
                cx.pushScope();
                var l = cx.layouts.scalar();
                int n = a.length;
                for (int i = 0; i < n; i++) {
                    DType t = tuple == null ? type : tuple.get(i);
                    cx.define(region.args().get(i), new TileValue(l, t, new String[] {a[i]}));
                    cx.define(region.args().get(n + i), new TileValue(l, t, new String[] {b[i]}));
                }
                Yield y = ControlRules.lowerBody(region, cx);
                String[] r = new String[n];
                for (int i = 0; i < n; i++) r[i] = cx.operand(y, y.values().get(i)).reg(0);
                cx.popScope();
                w.comment("end of inlined combine");
                yield r;
            }
        };
    }

    /**
     * The first extreme element: b wins if it is strictly better, or equal (or both NaN) with a
     * smaller index, or b is NaN and a is not (torch's rule, as the CPU backend's: a NaN beats every
     * number, so a line with NaNs gives its first NaN and masked lanes never win over one).
     */
    private String[] argCombine(String[] a, String[] b, boolean max) {
        PtxWriter w = cx.w;
        String win = w.reg(RegClass.PRED), eq = w.reg(RegClass.PRED), earlier = w.reg(RegClass.PRED), t = w.reg(RegClass.PRED);
        if (type == DType.I1) {
            w.op(max ? "and.pred %s, %s, !%s" : "and.pred %s, !%s, %s", win, b[0], a[0]);
            w.op("xor.pred %s, %s, %s", eq, a[0], b[0]);
            w.op("not.pred %s, %s", eq, eq);
        } else if (type.isFloat()) {
            String ft = Emit.floatType(type);
            String an = w.reg(RegClass.PRED), bn = w.reg(RegClass.PRED);
            w.op("setp.%s.%s %s, %s, %s", max ? "gt" : "lt", ft, win, b[0], a[0]);
            w.op("testp.notanumber.%s %s, %s", ft, an, a[0]);
            w.op("testp.notanumber.%s %s, %s", ft, bn, b[0]);
            w.op("and.pred %s, %s, !%s", t, bn, an);
            w.op("or.pred %s, %s, %s", win, win, t);
            w.op("setp.eq.%s %s, %s, %s", ft, eq, b[0], a[0]);
            w.op("and.pred %s, %s, %s", t, an, bn);
            w.op("or.pred %s, %s, %s", eq, eq, t);
        } else {
            String it = Emit.intType(type);
            w.op("setp.%s.%s %s, %s, %s", max ? "gt" : "lt", it, win, b[0], a[0]);
            w.op("setp.eq.%s %s, %s, %s", it, eq, b[0], a[0]);
        }
        w.op("setp.lt.s32 %s, %s, %s", earlier, b[1], a[1]);
        w.op("and.pred %s, %s, %s", t, eq, earlier);
        String p = w.reg(RegClass.PRED);
        w.op("or.pred %s, %s, %s", p, win, t);
        return new String[] {Emit.select(cx, RegClass.of(type), p, b[0], a[0]), Emit.select(cx, RegClass.B32, p, b[1], a[1])};
    }

    /** The final value (narrow floats rounded once). */
    String finish(String v) {
        if (isArg()) return v;
        return type.isNarrowFloat() ? NarrowFloats.round(cx, v, type) : v;
    }

    /** The final value of part {@code p} of a tuple's accumulator. */
    String finish(String v, int p) {
        DType t = tuple.get(p);
        return t.isNarrowFloat() ? NarrowFloats.round(cx, v, t) : v;
    }
}
