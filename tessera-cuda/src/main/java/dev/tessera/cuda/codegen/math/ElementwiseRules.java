package dev.tessera.cuda.codegen.math;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.layout.LayoutAssignment;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.convert.Packing;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.Op;
import dev.tessera.ir.Op.*;
import dev.tessera.ir.Shape;
import dev.tessera.types.DType;
import java.util.HashMap;
import java.util.Map;

/**
 * Lowering of tile construction, relabeling and elementwise arithmetic. Elementwise ops compute
 * register by register; registers that repeat (a splat, a broadcast) are computed once.
 */
public final class ElementwiseRules {
    private ElementwiseRules() {}

    public static TileValue constant(Constant c, DistributedLayout out, Lowerer cx) {
        String r = Emit.constant(cx, c.result().type().element(), c.value());
        return repeat(out, c.result().type().element(), r);
    }

    static TileValue repeat(DistributedLayout out, dev.tessera.types.ElementType type, String reg) {
        String[] regs = new String[out.numRegs()];
        java.util.Arrays.fill(regs, reg);
        return new TileValue(out, type, regs);
    }

    /** [start, end): each register's coordinate is the thread's part plus a constant. */
    public static TileValue arange(Arange a, DistributedLayout out, Lowerer cx) {
        String[] regs = new String[out.numRegs()];
        boolean threads = out.threadMask() != 0;
        String offset = threads ? cx.threadOffset(out) : null;
        for (int r = 0; r < regs.length; r++) {
            int c = a.start() + out.regPart(r);
            regs[r] = cx.w.reg(RegClass.B32);
            if (threads) cx.w.op("add.s32 %s, %s, %d", regs[r], offset, c);
            else cx.w.op("mov.b32 %s, %d", regs[r], c);
        }
        return new TileValue(out, DType.I32, regs);
    }

    public static TileValue splat(Splat s, DistributedLayout out, Lowerer cx) {
        return repeat(out, s.result().type().element(), cx.primary(s.source()).reg(0));
    }

    public static TileValue broadcast(Broadcast b, DistributedLayout out, Lowerer cx) {
        Shape src = b.source().type().shape();
        TileValue s = cx.getAny(b.source(), LayoutAssignment.derivedOperandLayout(b, b.source(), out));
        if (s.isPacked() && TileValue.packable(s.type(), out)) {
            return Packing.gather(cx, out, b.result().type().element(), new TileValue[] {s}, new Packing.Origin() {
                public int source(int e) { return 0; }
                public int index(int e) { return out.projectedRegister(src, e); }
            });
        }
        s = Packing.unpack(cx, s);
        String[] regs = new String[out.numRegs()];
        for (int r = 0; r < regs.length; r++) regs[r] = s.reg(out.projectedRegister(src, r));
        return new TileValue(out, b.result().type().element(), regs);
    }

    /** expand_dims, reshape, permute and hints: the same registers, relabeled. */
    public static TileValue relabel(Op op, DistributedLayout out, Lowerer cx) {
        var source = op.operands().getFirst();
        TileValue s = cx.getAny(source, LayoutAssignment.derivedOperandLayout(op, source, out));
        // the register order is kept, so a packed value's pairs stay pairs
        return new TileValue(out, op.results().getFirst().type().element(), s.words(), s.packing());
    }

    public static TileValue unary(Unary u, DistributedLayout out, Lowerer cx) {
        DType t = u.result().type().dtype();
        TileValue x = cx.get(u.x(), out);
        return map(out, u.result().type().element(), x.size(), i -> x.reg(i),
                key -> Emit.normalize(cx, ScalarOps.unary(cx, u.fn(), t, key[0]), t), cx);
    }

    public static TileValue binary(Binary b, DistributedLayout out, Lowerer cx) {
        DType t = b.result().type().dtype();
        TileValue x = cx.get(b.lhs(), out), y = cx.get(b.rhs(), out);
        return map2(out, b.result().type().element(), x, y, (p, q) -> ScalarOps.binary(cx, b.fn(), t, p, q), cx);
    }

    /**
     * A comparison, computed once per run of registers that AxisInfo proves equal (a mask such as
     * {@code cols < n} with n a multiple of 16 is constant over each aligned run of 16 columns).
     */
    public static TileValue compare(Compare c, DistributedLayout out, Lowerer cx) {
        TileValue x = cx.get(c.lhs(), out), y = cx.get(c.rhs(), out);
        var type = c.lhs().type().element();
        int[] leader = constantRuns(cx.axis.of(c.result()).constancy(), out);
        return map2(out, DType.I1, x, y, leader, (p, q) -> ScalarOps.compare(cx, c.fn(), type, p, q));
    }

    /**
     * For each register, the first register holding an element of the same aligned run of
     * {@code constancy[d]} elements along every dimension d: the same value wherever the thread is,
     * since a register's element is its register part XOR the thread's part.
     */
    static int[] constantRuns(int[] constancy, DistributedLayout out) {
        Shape shape = out.shape();
        int within = 0;
        for (int d = 0; d < shape.rank(); d++) {
            int run = Integer.highestOneBit(Math.max(1, Math.min(constancy[d], shape.dim(d))));
            within |= (run - 1) << DistributedLayout.dimShift(shape, d);
        }
        int[] leader = new int[out.numRegs()];
        Map<Integer, Integer> first = new HashMap<>();
        for (int r = 0; r < leader.length; r++) {
            Integer earlier = first.putIfAbsent(out.regPart(r) & ~within, r);
            leader[r] = earlier == null ? r : earlier;
        }
        return leader;
    }

    public static TileValue select(Select s, DistributedLayout out, Lowerer cx) {
        TileValue c = cx.get(s.condition(), out);
        var type = s.result().type().element();
        if (TileValue.packable(type, out)) {
            TileValue px = cx.getAny(s.ifTrue(), out), py = cx.getAny(s.ifFalse(), out);
            if (px.isPacked() || py.isPacked()) return selectPacked(cx, c, Packing.pack(cx, px), Packing.pack(cx, py));
        }
        TileValue x = cx.get(s.ifTrue(), out), y = cx.get(s.ifFalse(), out);
        RegClass k = RegClass.of(type);
        Map<String, String> done = new HashMap<>();
        String[] regs = new String[out.numRegs()];
        for (int i = 0; i < regs.length; i++) {
            String key = c.reg(i) + "," + x.reg(i) + "," + y.reg(i);
            final int j = i;
            regs[i] = done.computeIfAbsent(key, k2 -> Emit.select(cx, k, c.reg(j), x.reg(j), y.reg(j)));
        }
        return new TileValue(out, s.result().type().element(), regs);
    }

    /**
     * A select of packed 16-bit floats: one {@code selp.b32} per word where both halves' conditions
     * are the same register, else a {@code selp.b32} per half and a {@code prmt} of the two.
     */
    private static TileValue selectPacked(Lowerer cx, TileValue c, TileValue x, TileValue y) {
        Map<String, String> done = new HashMap<>();
        String[] words = new String[x.numWords()];
        for (int i = 0; i < words.length; i++) {
            String c0 = c.reg(2 * i), c1 = c.reg(2 * i + 1), a = x.word(i), b = y.word(i);
            words[i] = done.computeIfAbsent(c0 + "," + c1 + "," + a + "," + b, k -> {
                String lo = Emit.select(cx, RegClass.B32, c0, a, b);
                if (c0.equals(c1) || a.equals(b)) return lo;
                String hi = Emit.select(cx, RegClass.B32, c1, a, b);
                return Packing.select(cx, lo, 0, hi, 1);
            });
        }
        return TileValue.packed(x.layout(), x.type(), words);
    }

    public static TileValue fma(Fma f, DistributedLayout out, Lowerer cx) {
        DType t = f.result().type().dtype();
        TileValue a = cx.get(f.a(), out), b = cx.get(f.b(), out), c = cx.get(f.c(), out);
        String[] regs = new String[out.numRegs()];
        Map<String, String> done = new HashMap<>();
        for (int i = 0; i < regs.length; i++) {
            final int j = i;
            regs[i] = done.computeIfAbsent(a.reg(i) + "," + b.reg(i) + "," + c.reg(i), k -> {
                String d = cx.w.reg(RegClass.of(t));
                cx.w.op("fma.rn.%s %s, %s, %s, %s", Emit.floatType(t), d, a.reg(j), b.reg(j), c.reg(j));
                return Emit.normalize(cx, d, t);
            });
        }
        return new TileValue(out, t, regs);
    }

    /** pointer + offset elements, in 64 bits. */
    public static TileValue ptrAdd(PtrAdd p, DistributedLayout out, Lowerer cx) {
        TileValue ptr = cx.get(p.pointer(), out), off = cx.get(p.offset(), out);
        DType ot = p.offset().type().dtype();
        int es = p.pointer().type().pointee().byteSize();
        return map2(out, p.result().type().element(), ptr, off, (base, o) -> {
            String scaled = cx.w.reg(RegClass.B64), d = cx.w.reg(RegClass.B64);
            if (ot.bits() == 64) cx.w.op("mul.lo.s64 %s, %s, %d", scaled, o, es);
            else cx.w.op("mul.wide.%s %s, %s, %d", ot.isUnsigned() ? "u32" : "s32", scaled, o, es);
            cx.w.op("add.s64 %s, %s, %s", d, base, scaled);
            return d;
        }, cx);
    }

    // ------------------------------------------------------------------ helpers

    interface Scalar1 { String apply(String[] key); }

    private static TileValue map(DistributedLayout out, dev.tessera.types.ElementType type, int n, java.util.function.IntFunction<String> source,
                                 Scalar1 f, Lowerer cx) {
        String[] regs = new String[n];
        Map<String, String> done = new HashMap<>();
        for (int i = 0; i < n; i++) {
            String s = source.apply(i);
            regs[i] = done.computeIfAbsent(s, k -> f.apply(new String[] {k}));
        }
        return new TileValue(out, type, regs);
    }

    private static TileValue map2(DistributedLayout out, dev.tessera.types.ElementType type, TileValue x, TileValue y,
                                  java.util.function.BinaryOperator<String> f, Lowerer cx) {
        return map2(out, type, x, y, null, f);
    }

    /** As above; where {@code leader[i] != i}, register i repeats register leader[i] (known equal). */
    private static TileValue map2(DistributedLayout out, dev.tessera.types.ElementType type, TileValue x, TileValue y, int[] leader,
                                  java.util.function.BinaryOperator<String> f) {
        String[] regs = new String[out.numRegs()];
        Map<String, String> done = new HashMap<>();
        for (int i = 0; i < regs.length; i++) {
            String a = x.reg(i), b = y.reg(i);
            regs[i] = leader != null && leader[i] != i ? regs[leader[i]] : done.computeIfAbsent(a + "," + b, k -> f.apply(a, b));
        }
        return new TileValue(out, type, regs);
    }
}
