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
        Op.PtrAdd add = baseOffsets(pointer, l);
        if (add != null) {
            DType ot = l.dtype(add.offset());
            return new BaseOffsets(l.slot(base(add, l)), l.slot(add.offset()), Storage.of(ot) == Storage.LONG,
                    ot == DType.U32, run(pointer, add, l));
        }
        return new Pointers(l.slot(pointer));
    }

    /** The {@code ptr_add(splat(base), offsets)} that forms a pointer tile, or null when it is formed otherwise. */
    static Op.PtrAdd baseOffsets(Value pointer, Lowering l) {
        return l.producer(pointer) instanceof Op.PtrAdd add && l.producer(add.pointer()) instanceof Op.Splat ? add : null;
    }

    /** The scalar base pointer of a {@link #baseOffsets} sum. */
    static Value base(Op.PtrAdd add, Lowering l) { return ((Op.Splat) l.producer(add.pointer())).source(); }

    /** How many consecutive lanes (aligned) of {@code pointer}, formed by {@code add}, AxisInfo proved to be consecutive addresses. */
    static int run(Value pointer, Op.PtrAdd add, Lowering l) {
        int[] contiguity = l.axisInfo().of(add.offset()).contiguity();
        return pointer.type().isScalar() ? 1 : Math.max(1, contiguity[contiguity.length - 1]);
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
