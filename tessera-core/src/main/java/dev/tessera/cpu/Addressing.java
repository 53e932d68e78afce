package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;

/**
 * How a load's or store's lanes find their addresses. Most pointer tiles are a scalar base plus
 * integer offsets ({@code ptr_add(splat(p), offsets)}); reading base and offsets directly saves
 * materializing a tile of 64-bit addresses, and AxisInfo's contiguity of the offsets says, at
 * compile time, how many consecutive lanes form one run of consecutive addresses (moved as one
 * bulk copy, with one bounds check).
 */
sealed interface Addressing {

    /** A tile of full addresses. */
    record Pointers(int slot) implements Addressing {}

    /**
     * base + offsets[i] · elementSize, with runs of {@code run} lanes (aligned to multiples of
     * {@code run}) whose offsets are consecutive.
     */
    record BaseOffsets(int baseSlot, int offsetSlot, boolean wideOffsets, boolean unsignedOffsets, int run)
            implements Addressing {}

    static Addressing of(Value pointer, Lowering l) {
        if (l.producer(pointer) instanceof Op.PtrAdd add && l.producer(add.pointer()) instanceof Op.Splat splat) {
            DType ot = l.dtype(add.offset());
            int[] contiguity = l.axisInfo().of(add.offset()).contiguity();
            int run = pointer.type().isScalar() ? 1 : contiguity[contiguity.length - 1];
            return new BaseOffsets(l.slot(splat.source()), l.slot(add.offset()), Storage.of(ot) == Storage.LONG,
                    ot == DType.U32, Math.max(1, run));
        }
        return new Pointers(l.slot(pointer));
    }

    /** The address of lane i. */
    static long address(ExecFrame f, Addressing a, int i, int elementSize) {
        return switch (a) {
            case Pointers p -> f.longs(p.slot())[i];
            case BaseOffsets b -> f.longs(b.baseSlot())[0] + offset(f, b, i) * elementSize;
        };
    }

    static long offset(ExecFrame f, BaseOffsets b, int i) {
        if (b.wideOffsets()) return f.longs(b.offsetSlot())[i];
        int o = f.ints(b.offsetSlot())[i];
        return b.unsignedOffsets() ? Integer.toUnsignedLong(o) : o;
    }

    /** All lanes' addresses (for the recording path, which reports lane by lane). */
    static long[] addresses(ExecFrame f, Addressing a, int n, int elementSize) {
        if (a instanceof Pointers p) return f.longs(p.slot());
        long[] out = new long[n];
        for (int i = 0; i < n; i++) out[i] = address(f, a, i, elementSize);
        return out;
    }
}
