package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;

/**
 * A load or store that a fused loop performs itself, reading or writing device memory directly:
 * its pointer tile is {@code ptr_add(splat(base), offsets)} and AxisInfo proved runs of at least two
 * consecutive addresses along the last dimension, so that every chunk of the loop is one range of
 * memory, bounds-checked once ({@link FusedMemory}).
 *
 * @param run    how many aligned consecutive lanes have consecutive addresses
 * @param other  a load's value for masked-off lanes (null: zero)
 * @param value  a store's value
 */
record FusedAccess(Op op, DType type, Value base, Value offsets, int run, Value mask, Value other, Value value) {

    boolean isStore() { return op instanceof Op.Store; }

    int elementSize() { return type.byteSize(); }

    /** The access, or null when the op's unfused step must perform it (lanes not known to be consecutive). */
    static FusedAccess of(Op op, Lowering l) {
        Value pointer = switch (op) {
            case Op.Load ld -> ld.pointer();
            case Op.Store st -> st.pointer();
            default -> null;
        };
        if (pointer == null || pointer.type().isScalar()) return null;
        Op.PtrAdd add = Addressing.baseOffsets(pointer, l);
        if (add == null || add.offset().type().isPointer() || Storage.of(add.offset().type()) == Storage.BOOL) return null;
        int run = Addressing.run(pointer, add, l);
        int lastDim = pointer.type().shape().dim(pointer.type().rank() - 1);
        if (run < 2 || lastDim % 2 != 0) return null; // chunks of one lane would check every element on its own
        Value base = Addressing.base(add, l);
        return switch (op) {
            case Op.Load ld -> new FusedAccess(op, ld.result().type().dtype(), base, add.offset(), run, ld.mask(), ld.other(), null);
            case Op.Store st -> new FusedAccess(op, st.value().type().dtype(), base, add.offset(), run, st.mask(), null, st.value());
            default -> throw new IllegalStateException();
        };
    }
}
