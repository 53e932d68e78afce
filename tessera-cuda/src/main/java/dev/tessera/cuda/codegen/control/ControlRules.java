package dev.tessera.cuda.codegen.control;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.GpuLowering;
import dev.tessera.cuda.codegen.layout.LayoutConversion;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.convert.Packing;
import dev.tessera.cuda.codegen.PtxLowering;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.gpu.GpuOp;
import dev.tessera.cuda.codegen.gpu.GpuProgram;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.Op;
import dev.tessera.ir.Op.For;
import dev.tessera.ir.Op.If;
import dev.tessera.ir.Op.While;
import dev.tessera.ir.Op.Yield;
import dev.tessera.ir.Region;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Lowering of run-time control flow. Conditions and bounds are scalars, the same in every thread
 * of a program, so branches never diverge inside a program and barriers inside loops are safe.
 * Carried values live in registers the loop owns; each iteration ends with a parallel copy of the
 * yielded values into them.
 */
public final class ControlRules {
    private ControlRules() {}

    public static void forLoop(GpuOp.For loop, GpuProgram program, Lowerer cx) {
        PtxWriter w = cx.w;
        For f = loop.source();
        DType ivType = f.lower().type().dtype();
        String lower = cx.primary(f.lower()).reg(0), upper = cx.primary(f.upper()).reg(0), step = cx.primary(f.step()).reg(0);
        List<Value> args = f.body().args().subList(1, f.body().args().size());
        List<TileValue> carried = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            TileValue init = cx.operandAny(f, f.inits().get(i));
            TileValue c = cx.fresh(cx.layoutOf(args.get(i)), args.get(i).type().element(), carriedPacked(init, args.get(i), f.body()));
            copy(cx, List.of(init), List.of(c));
            carried.add(c);
        }
        checkStep(f, step, cx);
        RegClass ivk = RegClass.of(ivType);
        String iv = w.reg(ivk);
        Emit.move(cx, ivk, iv, lower);
        String head = w.label("for_head"), end = w.label("for_end");
        String done = w.reg(RegClass.PRED);
        w.place(head);
        w.op("setp.ge.%s %s, %s, %s", Emit.intType(ivType), done, iv, upper);
        w.op("@%s bra %s", done, end);
        cx.pushScope();
        cx.smem.assumeDirty();
        cx.define(f.body().args().getFirst(), new TileValue(cx.layouts.scalar(), ivType, new String[] {iv}));
        for (int i = 0; i < args.size(); i++) cx.define(args.get(i), carried.get(i));
        Yield y = lowerBody(loop.body(), program, cx);
        List<TileValue> next = new ArrayList<>();
        for (Value v : y.values()) next.add(cx.operandAny(y, v));
        copy(cx, next, carried);
        cx.popScope();
        w.op("add.%s %s, %s, %s", Emit.intType(ivType), iv, iv, step);
        w.op("bra %s", head);
        w.place(end);
        cx.smem.assumeDirty();
        for (int i = 0; i < args.size(); i++) cx.define(f.results().get(i), carried.get(i));
    }

    /**
     * The producer's walk of a loop around produced loops: the same bounds and induction variable,
     * nothing carried, its body's ops (scalars and {@link GpuOp.Produce}s). It checks the step as
     * the consumers' loop does, so that a failed check ends both sides, not the consumers alone.
     */
    public static void producerLoop(GpuOp.ProducerFor loop, GpuProgram program, Lowerer cx) {
        PtxWriter w = cx.w;
        For f = loop.loop();
        DType ivType = f.lower().type().dtype();
        String lower = cx.primary(f.lower()).reg(0), upper = cx.primary(f.upper()).reg(0), step = cx.primary(f.step()).reg(0);
        RegClass ivk = RegClass.of(ivType);
        checkStep(f, step, cx);
        String iv = w.reg(ivk), head = w.label("producer_for_head"), end = w.label("producer_for_end"), done = w.reg(RegClass.PRED);
        Emit.move(cx, ivk, iv, lower);
        w.place(head);
        w.op("setp.ge.%s %s, %s, %s", Emit.intType(ivType), done, iv, upper);
        w.op("@%s bra %s", done, end);
        cx.pushScope();
        cx.define(f.body().args().getFirst(), new TileValue(cx.layouts.scalar(), ivType, new String[] {iv}));
        for (GpuOp op : loop.body()) GpuLowering.lower(op, program, cx);
        cx.popScope();
        w.op("add.%s %s, %s, %s", Emit.intType(ivType), iv, iv, step);
        w.op("bra %s", head);
        w.place(end);
    }

    /** A run-time check that the loop's step is positive, unless it is a positive constant. */
    public static void checkStep(For f, String step, Lowerer cx) {
        if (!isPositiveConstant(cx, f.step())) {
            DebugRules.check(cx, "setp.gt." + Emit.intType(f.lower().type().dtype()), step, "range step must be positive", f.loc());
        }
    }

    public static void whileLoop(GpuOp.While loop, GpuProgram program, Lowerer cx) {
        PtxWriter w = cx.w;
        While wl = loop.source();
        List<TileValue> carried = new ArrayList<>();
        for (int i = 0; i < wl.inits().size(); i++) {
            Value arg = wl.condition().args().get(i);
            TileValue init = cx.operandAny(wl, wl.inits().get(i));
            TileValue c = cx.fresh(cx.layoutOf(wl.body().args().get(i)), arg.type().element(), init.isPacked());
            copy(cx, List.of(init), List.of(c));
            carried.add(c);
        }
        String head = w.label("while_head"), end = w.label("while_end");
        w.place(head);
        cx.pushScope();
        cx.smem.assumeDirty();
        for (int i = 0; i < carried.size(); i++) cx.define(wl.condition().args().get(i), retype(carried.get(i), cx, wl.condition().args().get(i)));
        Yield cy = lowerBody(loop.condition(), program, cx);
        String go = cx.operand(cy, cy.values().getFirst()).reg(0);
        w.op("@!%s bra %s", go, end);
        for (int i = 0; i < carried.size(); i++) cx.define(wl.body().args().get(i), carried.get(i));
        Yield by = lowerBody(loop.body(), program, cx);
        List<TileValue> next = new ArrayList<>();
        for (Value v : by.values()) next.add(cx.operandAny(by, v));
        copy(cx, next, carried);
        cx.popScope();
        w.op("bra %s", head);
        w.place(end);
        cx.smem.assumeDirty();
        for (int i = 0; i < carried.size(); i++) cx.define(wl.results().get(i), carried.get(i));
    }

    /** The carried registers as the condition region's argument (its layout may be assigned separately). */
    private static TileValue retype(TileValue c, Lowerer cx, Value arg) {
        DistributedLayout l = cx.layoutOf(arg);
        return l.equals(c.layout()) ? c : LayoutConversion.convert(c, l, cx);
    }

    public static void ifThenElse(GpuOp.If branch, GpuProgram program, Lowerer cx) {
        PtxWriter w = cx.w;
        If i = branch.source();
        String cond = cx.primary(i.condition()).reg(0);
        List<TileValue> results = new ArrayList<>();
        for (Value r : i.results()) results.add(cx.fresh(cx.layoutOf(r), r.type().element()));
        String elseLabel = w.label("else"), end = w.label("endif");
        w.op("@!%s bra %s", cond, elseLabel);
        branch(branch.thenRegion(), program, results, cx);
        w.op("bra %s", end);
        w.place(elseLabel);
        branch(branch.elseRegion(), program, results, cx);
        w.place(end);
        cx.smem.assumeDirty();
        for (int k = 0; k < results.size(); k++) cx.define(i.results().get(k), results.get(k));
    }

    private static void branch(GpuOp.Region r, GpuProgram program, List<TileValue> results, Lowerer cx) {
        cx.pushScope();
        cx.smem.assumeDirty();
        Yield y = lowerBody(r, program, cx);
        List<TileValue> values = new ArrayList<>();
        for (Value v : y.values()) values.add(cx.operand(y, v));
        copy(cx, values, results);
        cx.popScope();
    }

    /** Lowers a GPU region's ops up to its yield, whose core op it returns. */
    static Yield lowerBody(GpuOp.Region r, GpuProgram program, Lowerer cx) {
        for (GpuOp op : r.ops()) {
            if (op instanceof GpuOp.Yield y) return y.source();
            GpuLowering.lower(op, program, cx);
        }
        throw new IllegalStateException("region without a yield");
    }

    /** Lowers a core region's ops (a combine function's: scalar, no control flow) up to its yield, which it returns. */
    public static Yield lowerBody(Region r, Lowerer cx) {
        for (Op op : r.ops()) {
            if (op instanceof Yield y) return y;
            PtxLowering.lower(op, cx);
        }
        throw new IllegalStateException("region without a yield");
    }

    /**
     * to[i] = from[i] for all i at once (through temporaries when a source is also a destination);
     * each source is first put in its destination's representation (packed or not).
     */
    public static void copy(Lowerer cx, List<TileValue> from, List<TileValue> to) {
        // a value already in its destination's registers (a dot that accumulated in place) stays untouched
        List<TileValue> converted = new ArrayList<>(), targets = new ArrayList<>();
        for (int i = 0; i < from.size(); i++) {
            TileValue f = Packing.as(cx, from.get(i), to.get(i));
            if (java.util.Arrays.equals(f.words(), to.get(i).words())) continue;
            converted.add(f);
            targets.add(to.get(i));
        }
        from = converted;
        to = targets;
        Set<String> destinations = new HashSet<>();
        for (TileValue t : to) destinations.addAll(List.of(t.words()));
        boolean overlap = false;
        for (TileValue f : from) for (String r : f.words()) overlap |= destinations.contains(r);
        List<TileValue> sources = from;
        if (overlap) {
            sources = new ArrayList<>();
            for (TileValue f : from) {
                TileValue tmp = cx.fresh(f.layout(), f.type(), f.isPacked());
                for (int r = 0; r < f.numWords(); r++) Emit.move(cx, f.regClass(), tmp.word(r), f.word(r));
                sources.add(tmp);
            }
        }
        for (int i = 0; i < to.size(); i++) {
            TileValue s = sources.get(i), d = to.get(i);
            for (int r = 0; r < d.numWords(); r++) Emit.move(cx, d.regClass(), d.word(r), s.word(r));
        }
    }

    /**
     * Whether a for loop's carried value {@code arg} is held packed (two 16-bit floats per register):
     * when it enters the loop so, or when the loop only reads it as a dot's A, which takes it packed
     * (FlashAttention-3's P, made by one iteration and multiplied by the next; its init a zero tile).
     */
    public static boolean carriedPacked(TileValue init, Value arg, Region body) {
        if (init.isPacked()) return true;
        if (!TileValue.packable(arg.type().element(), init.layout())) return false;
        boolean read = false;
        for (Op op : body.ops()) {
            if (!op.operands().contains(arg)) continue;
            if (!(op instanceof Op.Dot d) || d.b() == arg || d.acc() == arg) return false;
            read = true;
        }
        return read;
    }

    private static boolean isPositiveConstant(Lowerer cx, Value v) {
        Op p = cx.layouts.producerOf(v);
        return p instanceof Op.Constant c && c.value().longValue() > 0;
    }
}
