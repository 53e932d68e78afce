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
 * Atomics, one element per instruction, executed by exactly one thread per element (layouts may
 * hold copies) and the old values then shared with the copies. Semantics and scope map to PTX's
 * {@code atom.<sem>.<scope>}. f16 adds are native; bf16 adds are native on sm_90 and a 16-bit CAS
 * loop before; float max/min are CAS loops that apply the CPU backend's NaN-ignoring max exactly.
 * Masked-off lanes return 0.
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
        for (int r = 0; r < out.numRegs(); r++) {
            String pred = MemoryRules.guard(cx, mask, r, owner);
            zero(cx, k, result.reg(r));
            String skip = null;
            if (pred != null) {
                skip = cx.w.label("atomic_skip");
                cx.w.op("@!%s bra %s", pred, skip);
            }
            one(cx, op.fn(), t, q, ptr.reg(r), val.reg(r), result.reg(r));
            if (skip != null) cx.w.place(skip);
        }
        return LayoutConversion.shareFromOwners(result, cx);
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
            String h = w.reg(RegClass.B16), o = w.reg(RegClass.B16), o32 = w.reg(RegClass.B32);
            String bits = NarrowFloats.heldBits(cx, v, t);
            w.op("cvt.u16.u32 %s, %s", h, bits);
            w.op("atom%s.global.add.noftz.%s %s, [%s], %s", q, t == DType.F16 ? "f16" : "bf16", o, addr, h);
            w.op("cvt.u32.u16 %s, %s", o32, o);
            Emit.move(cx, RegClass.F32, d, NarrowFloats.held(cx, o32, t));
            return;
        }
        if (t == DType.BF16) {
            casLoop(cx, t, q, addr, v, d, old -> NarrowFloats.round(cx, ScalarOps.binaryRaw(cx, dev.tessera.ir.Op.Binary.Fn.ADD, DType.F32, old, v), t));
            return;
        }
        String op = switch (fn) {
            case ADD -> "add";
            case MAX -> "max";
            case MIN -> "min";
            case AND -> "and";
            case OR -> "or";
            case XOR -> "xor";
            case XCHG -> "exch";
        };
        String type;
        if (t.isFloat()) {
            type = fn == AtomicRmw.Fn.XCHG ? (t == DType.F64 ? "b64" : "b32") : Emit.floatType(t);
        } else {
            boolean bitwise = fn == AtomicRmw.Fn.AND || fn == AtomicRmw.Fn.OR || fn == AtomicRmw.Fn.XOR || fn == AtomicRmw.Fn.XCHG;
            type = bitwise ? "b" + t.bits() : fn == AtomicRmw.Fn.ADD ? "u" + t.bits() : Emit.intType(t);
        }
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
