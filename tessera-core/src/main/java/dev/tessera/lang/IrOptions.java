package dev.tessera.lang;

import dev.tessera.ir.Op;

/**
 * The IR's counterparts of the language's options: the same constants, by name (IrOptionsTest
 * checks that each enum maps onto its counterpart and back), so kernels need nothing from
 * {@code dev.tessera.ir}.
 */
final class IrOptions {
    private IrOptions() {}

    static dev.tessera.ir.MemoryOrder.Cache ir(MemoryOrder.Cache c) { return dev.tessera.ir.MemoryOrder.Cache.valueOf(c.name()); }

    static dev.tessera.ir.MemoryOrder.Eviction ir(MemoryOrder.Eviction e) { return dev.tessera.ir.MemoryOrder.Eviction.valueOf(e.name()); }

    static dev.tessera.ir.MemoryOrder.Semantic ir(MemoryOrder.Semantic s) { return dev.tessera.ir.MemoryOrder.Semantic.valueOf(s.name()); }

    static dev.tessera.ir.MemoryOrder.Scope ir(MemoryOrder.Scope s) { return dev.tessera.ir.MemoryOrder.Scope.valueOf(s.name()); }

    /** Null (the default precision) stays null. */
    static Op.Dot.Precision ir(Precision p) { return p == null ? null : Op.Dot.Precision.valueOf(p.name()); }

    static Op.AtomicRmw.Fn ir(AtomicOp op) { return Op.AtomicRmw.Fn.valueOf(op.name()); }
}
