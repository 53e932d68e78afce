package dev.tessera.cuda.codegen.memory;

import dev.tessera.cuda.codegen.Emit;
import dev.tessera.cuda.codegen.layout.LayoutConversion;
import dev.tessera.cuda.codegen.Lowerer;
import dev.tessera.cuda.codegen.convert.NarrowFloats;
import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;
import dev.tessera.cuda.codegen.math.ScalarOps;
import dev.tessera.cuda.codegen.TileValue;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.MemoryOrder;
import dev.tessera.ir.Op.AtomicCas;
import dev.tessera.ir.Op.AtomicRmw;
import dev.tessera.types.DType;

/**
 * Atomics, executed by exactly one thread per element (layouts may hold copies) and the old values
 * then shared with the copies. Semantics and scope map to PTX's {@code atom.<sem>.<scope>}. f16 adds
 * are native; bf16 adds are native on sm_90 and a 16-bit CAS loop before; float max/min are CAS
 * loops that apply the CPU backend's NaN-ignoring max exactly. Masked-off lanes return 0.
 *
 * <p>An atomic whose old values no op reads, relaxed or release, is a reduction ({@code red}: the
 * thread does not wait for the old value). f32 adds on sm_90 (PTX 8.1) update up to 4 neighbouring
 * elements an instruction ({@code .v4.f32}), where the layout gives a thread such runs and AxisInfo
 * proves them contiguous, aligned and under one mask bit (as a vectorized store): a quarter of the
 * instructions and of the requests to L2, which is what flash attention's dQ sums by atomics wait on.
 */
public final class AtomicRules {
    private AtomicRules() {}

    public static TileValue rmw(AtomicRmw op, DistributedLayout out, Lowerer cx) {
        TileValue ptr = cx.operand(op, op.pointer()), val = cx.operand(op, op.value());
        TileValue mask = op.mask() == null ? null : cx.operand(op, op.mask());
        DType t = op.value().type().dtype();
        String q = qualifiers(op.semantic(), op.scope());
        String owner = cx.owner(out);
        TileValue result = cx.fresh(out, t);
        RegClass k = RegClass.of(t);
        // red carries release at most: an acquire needs the old value's arrival to order what follows
        boolean reduce = !cx.layouts.isRead(op.result()) && (op.semantic() == MemoryOrder.Semantic.RELAXED || op.semantic() == MemoryOrder.Semantic.RELEASE);
        int vec = cx.layouts.vectorizes(op) ? MemoryRules.vector(cx, op.pointer(), op.mask(), out) : 1;
        for (int g = 0; g < out.numRegs(); g += vec) {
            String pred = MemoryRules.guard(cx, mask, g, owner);
            for (int j = 0; j < vec; j++) zero(cx, k, result.reg(g + j));
            if (vec > 1) {
                vectorAdd(cx, q, pred, ptr.reg(g), val, result, g, vec, reduce);
                continue;
            }
            String skip = null;
            if (pred != null) {
                skip = cx.w.label("atomic_skip");
                cx.w.op("@!%s bra %s", pred, skip);
            }
            if (reduce && reducible(op.fn(), t, cx)) red(cx, op.fn(), t, q, ptr.reg(g), val.reg(g));
            else one(cx, op.fn(), t, q, ptr.reg(g), val.reg(g), result.reg(g));
            if (skip != null) cx.w.place(skip);
        }
        return LayoutConversion.shareFromOwners(result, cx);
    }

    /** Elements {@code g .. g+vec} of an f32 add in one instruction: {@code red} (no old values) or {@code atom} into {@code result}. */
    private static void vectorAdd(Lowerer cx, String q, String pred, String addr, TileValue val, TileValue result, int g, int vec, boolean reduce) {
        String guard = pred == null ? "" : "@" + pred + " ";
        String values = "{" + String.join(", ", java.util.Arrays.copyOfRange(val.regs(), g, g + vec)) + "}";
        if (reduce) {
            cx.w.op("%sred%s.global.add.v%d.f32 [%s], %s", guard, q, vec, addr, values);
        } else {
            String old = "{" + String.join(", ", java.util.Arrays.copyOfRange(result.regs(), g, g + vec)) + "}";
            cx.w.op("%satom%s.global.add.v%d.f32 %s, [%s], %s", guard, q, vec, old, addr, values);
        }
    }

    /**
     * Whether {@code red} has the operation: every one {@code atom} has natively but exchange (the
     * float max and min and the bf16 add before sm_90 are CAS loops). The language's atomics take
     * 32- and 64-bit elements, and f16 and bf16 for adds.
     */
    private static boolean reducible(AtomicRmw.Fn fn, DType t, Lowerer cx) {
        if (fn == AtomicRmw.Fn.XCHG || t.isFloat() && (fn == AtomicRmw.Fn.MAX || fn == AtomicRmw.Fn.MIN)) return false;
        return t != DType.BF16 || cx.target.bf16AtomicAdd();
    }

    /** One lane's reduction: {@code red}, no old value. */
    private static void red(Lowerer cx, AtomicRmw.Fn fn, DType t, String q, String addr, String v) {
        PtxWriter w = cx.w;
        if (t == DType.F16 || t == DType.BF16) {
            w.op("red%s.global.add.noftz.%s [%s], %s", q, t == DType.F16 ? "f16" : "bf16", addr, halfBits(cx, v, t));
            return;
        }
        w.op("red%s.global.%s.%s [%s], %s", q, opName(fn), operandType(fn, t), addr, v);
    }

    public static TileValue cas(AtomicCas op, DistributedLayout out, Lowerer cx) {
        TileValue ptr = cx.operand(op, op.pointer()), cmp = cx.operand(op, op.compare()), val = cx.operand(op, op.value());
        DType t = op.value().type().dtype();
        String q = qualifiers(op.semantic(), op.scope());
        String owner = cx.owner(out);
        TileValue result = cx.fresh(out, t);
        RegClass k = RegClass.of(t);
        PtxWriter w = cx.w;
        for (int r = 0; r < out.numRegs(); r++) {
            zero(cx, k, result.reg(r));
            String guard = owner == null ? "" : "@" + owner + " ";
            String c = MemoryRules.memoryBits(cx, t, cmp.reg(r)), v = MemoryRules.memoryBits(cx, t, val.reg(r));
            if (t.bits() == 16) {
                String c16 = w.reg(RegClass.B16), v16 = w.reg(RegClass.B16), o16 = w.reg(RegClass.B16), o = w.reg(RegClass.B32);
                w.op("cvt.u16.u32 %s, %s", c16, c);
                w.op("cvt.u16.u32 %s, %s", v16, v);
                w.op("mov.b16 %s, 0", o16);
                w.op("%satom%s.global.cas.b16 %s, [%s], %s, %s", guard, q, o16, ptr.reg(r), c16, v16);
                w.op("cvt.u32.u16 %s, %s", o, o16);
                Emit.move(cx, k, result.reg(r), fromBits(cx, t, o));
            } else {
                String bits = w.reg(t.bits() == 64 ? RegClass.B64 : RegClass.B32);
                String cb = asBits(cx, k, c), vb = asBits(cx, k, v);
                w.op("mov.b%d %s, 0", t.bits(), bits);
                w.op("%satom%s.global.cas.b%d %s, [%s], %s, %s", guard, q, t.bits(), bits, ptr.reg(r), cb, vb);
                Emit.move(cx, k, result.reg(r), fromBits(cx, t, bits));
            }
        }
        return LayoutConversion.shareFromOwners(result, cx);
    }

    private static String qualifiers(MemoryOrder.Semantic sem, MemoryOrder.Scope scope) {
        String s = switch (sem) {
            case RELAXED -> ".relaxed";
            case ACQUIRE -> ".acquire";
            case RELEASE -> ".release";
            case ACQ_REL -> ".acq_rel";
        };
        return s + "." + scope.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static void zero(Lowerer cx, RegClass k, String r) {
        switch (k) {
            case F32 -> cx.w.op("mov.f32 %s, 0f00000000", r);
            case F64 -> cx.w.op("mov.f64 %s, 0d0000000000000000", r);
            case PRED -> cx.w.op("setp.ne.u32 %s, 0, 0", r);
            default -> cx.w.op("mov%s %s, 0", k.bits(), r);
        }
    }

    /** One lane's atomic: old value into {@code d}. */
    private static void one(Lowerer cx, AtomicRmw.Fn fn, DType t, String q, String addr, String v, String d) {
        PtxWriter w = cx.w;
        if (t.isFloat() && (fn == AtomicRmw.Fn.MAX || fn == AtomicRmw.Fn.MIN)) {
            casLoop(cx, t, q, addr, v, d, old -> ScalarOps.binaryRaw(cx, fn == AtomicRmw.Fn.MAX ? dev.tessera.ir.Op.Binary.Fn.MAX
                    : dev.tessera.ir.Op.Binary.Fn.MIN, t, old, v));
            return;
        }
        if (t == DType.F16 && fn == AtomicRmw.Fn.ADD || t == DType.BF16 && fn == AtomicRmw.Fn.ADD && cx.target.bf16AtomicAdd()) {
            String h = halfBits(cx, v, t), o = w.reg(RegClass.B16), o32 = w.reg(RegClass.B32);
            w.op("atom%s.global.add.noftz.%s %s, [%s], %s", q, t == DType.F16 ? "f16" : "bf16", o, addr, h);
            w.op("cvt.u32.u16 %s, %s", o32, o);
            Emit.move(cx, RegClass.F32, d, NarrowFloats.held(cx, o32, t));
            return;
        }
        if (t == DType.BF16) {
            casLoop(cx, t, q, addr, v, d, old -> NarrowFloats.round(cx, ScalarOps.binaryRaw(cx, dev.tessera.ir.Op.Binary.Fn.ADD, DType.F32, old, v), t));
            return;
        }
        String op = opName(fn), type = operandType(fn, t);
        if (fn == AtomicRmw.Fn.XCHG && t.isFloat()) {
            RegClass k = RegClass.of(t), bk = t == DType.F64 ? RegClass.B64 : RegClass.B32;
            String vb = w.reg(bk), ob = w.reg(bk);
            w.op("mov.%s %s, %s", type, vb, v);
            w.op("atom%s.global.exch.%s %s, [%s], %s", q, type, ob, addr, vb);
            w.op("mov.%s %s, %s", type, d, ob);
            return;
        }
        w.op("atom%s.global.%s.%s %s, [%s], %s", q, op, type, d, addr, v);
    }

    /** The 16-bit register an f16 or bf16 atomic add takes: the pattern of held value {@code v}. */
    private static String halfBits(Lowerer cx, String v, DType t) {
        String h = cx.w.reg(RegClass.B16);
        cx.w.op("cvt.u16.u32 %s, %s", h, NarrowFloats.heldBits(cx, v, t));
        return h;
    }

    private static String opName(AtomicRmw.Fn fn) {
        return switch (fn) {
            case ADD -> "add";
            case MAX -> "max";
            case MIN -> "min";
            case AND -> "and";
            case OR -> "or";
            case XOR -> "xor";
            case XCHG -> "exch";
        };
    }

    /** The instruction's type suffix for {@code fn} on {@code t}: bits for bitwise ops and exchanges, u for integer adds. */
    private static String operandType(AtomicRmw.Fn fn, DType t) {
        if (t.isFloat()) return fn == AtomicRmw.Fn.XCHG ? (t == DType.F64 ? "b64" : "b32") : Emit.floatType(t);
        boolean bitwise = fn == AtomicRmw.Fn.AND || fn == AtomicRmw.Fn.OR || fn == AtomicRmw.Fn.XOR || fn == AtomicRmw.Fn.XCHG;
        return bitwise ? "b" + t.bits() : fn == AtomicRmw.Fn.ADD ? "u" + t.bits() : Emit.intType(t);
    }

    /** old = load; loop { new = f(old); seen = cas(addr, old, new); if seen == old break; old = seen }. */
    private static void casLoop(Lowerer cx, DType t, String q, String addr, String v, String d,
                                java.util.function.UnaryOperator<String> update) {
        PtxWriter w = cx.w;
        boolean narrow = t.bits() == 16;
        RegClass bk = t.bits() == 64 ? RegClass.B64 : narrow ? RegClass.B16 : RegClass.B32;
        String bt = "b" + t.bits();
        String oldBits = w.reg(bk), seen = w.reg(bk), same = w.reg(RegClass.PRED);
        w.op("ld.relaxed.gpu.global.%s %s, [%s]", bt, oldBits, addr);
        String loop = w.label("cas_loop"), done = w.label("cas_done");
        w.place(loop);
        String old = bitsToValue(cx, t, oldBits);
        String next = update.apply(old);
        String nextBits = valueToBits(cx, t, next);
        w.op("atom%s.global.cas.%s %s, [%s], %s, %s", q, bt, seen, addr, oldBits, nextBits);
        w.op("setp.eq.%s %s, %s, %s", bt, same, seen, oldBits);
        w.op("mov.%s %s, %s", bt, oldBits, seen);
        w.op("@!%s bra %s", same, loop);
        w.place(done);
        Emit.move(cx, RegClass.of(t), d, old);
    }

    private static String bitsToValue(Lowerer cx, DType t, String bits) {
        PtxWriter w = cx.w;
        if (t.bits() == 16) {
            String o32 = w.reg(RegClass.B32);
            w.op("cvt.u32.u16 %s, %s", o32, bits);
            return NarrowFloats.held(cx, o32, t);
        }
        String v = w.reg(RegClass.of(t));
        w.op("mov.b%d %s, %s", t.bits(), v, bits);
        return v;
    }

    private static String valueToBits(Lowerer cx, DType t, String v) {
        PtxWriter w = cx.w;
        if (t.bits() == 16) {
            String b = NarrowFloats.heldBits(cx, v, t), h = w.reg(RegClass.B16);
            w.op("cvt.u16.u32 %s, %s", h, b);
            return h;
        }
        String bits = w.reg(t.bits() == 64 ? RegClass.B64 : RegClass.B32);
        w.op("mov.b%d %s, %s", t.bits(), bits, v);
        return bits;
    }

    private static String asBits(Lowerer cx, RegClass k, String v) {
        if (k != RegClass.F32 && k != RegClass.F64) return v;
        String b = cx.w.reg(k == RegClass.F64 ? RegClass.B64 : RegClass.B32);
        cx.w.op("mov.b%d %s, %s", k == RegClass.F64 ? 64 : 32, b, v);
        return b;
    }

    private static String fromBits(Lowerer cx, DType t, String bits) {
        if (t.isNarrowFloat()) return NarrowFloats.held(cx, bits, t);
        RegClass k = RegClass.of(t);
        if (k != RegClass.F32 && k != RegClass.F64) return bits;
        String v = cx.w.reg(k);
        cx.w.op("mov.b%d %s, %s", t.bits(), v, bits);
        return v;
    }
}
