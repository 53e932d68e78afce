package dev.tessera.cuda.codegen;

import dev.tessera.cuda.codegen.convert.NarrowFloats;
import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.types.DType;
import dev.tessera.types.ElementType;

/**
 * An IR value as one thread holds it: the registers of the elements the thread owns, in the order
 * of the layout's register index. A scalar has one register, the same in every thread. Registers
 * may repeat (a splat or a constant names one register for every element).
 *
 * <p>The representation is part of the value: {@code packing} elements per register. Unpacked
 * ({@code packing == 1}) values hold one element per register of {@link RegClass#of} their type
 * (narrow floats as their f32 value, see {@link NarrowFloats}). Packed 16-bit floats
 * ({@code packing == 2}, f16 and bf16 only) hold two elements per {@code .b32} register as their
 * memory bits: register {@code i} holds the elements of layout registers {@code 2i} (low half)
 * and {@code 2i + 1} (high half), so a packed register is exactly what memory holds, including
 * NaN payloads. {@link #reg} and {@link #regs} are the elements' registers and exist only for
 * unpacked values; packed values are read with {@link #word} and {@link #words}.
 */
public record TileValue(DistributedLayout layout, ElementType type, String[] regs, int packing) {
    public TileValue {
        if (packing != 1 && packing != 2) throw new IllegalArgumentException("packing " + packing);
        if (packing == 2 && !packable(type, layout)) throw new IllegalArgumentException(type + " cannot be packed in " + layout);
        if (regs.length * packing != layout.numRegs()) {
            throw new IllegalArgumentException(regs.length + " registers of " + packing + " for " + layout);
        }
    }

    public TileValue(DistributedLayout layout, ElementType type, String[] regs) { this(layout, type, regs, 1); }

    /** Two 16-bit floats per {@code .b32} register, {@code words[i]} holding layout registers 2i and 2i+1. */
    public static TileValue packed(DistributedLayout layout, ElementType type, String[] words) {
        return new TileValue(layout, type, words, 2);
    }

    /** Whether values of {@code type} in {@code layout} may be held packed (16-bit floats, an even register count). */
    public static boolean packable(ElementType type, DistributedLayout layout) {
        return (type == DType.F16 || type == DType.BF16) && layout.numRegs() % 2 == 0;
    }

    public boolean isPacked() { return packing > 1; }

    /** The register kind of the value's registers: {@code .b32} words when packed. */
    public RegClass regClass() { return isPacked() ? RegClass.B32 : RegClass.of(type); }

    /** The register of element (layout register) {@code i}; unpacked values only. */
    public String reg(int i) {
        if (isPacked()) throw new IllegalStateException("element register of a packed value (unpack it first)");
        return regs[i];
    }

    /** The elements' registers; unpacked values only. */
    @Override
    public String[] regs() {
        if (isPacked()) throw new IllegalStateException("element registers of a packed value (unpack it first)");
        return regs;
    }

    /** Register {@code i} as held (a packed word, or an element's register). */
    public String word(int i) { return regs[i]; }

    /** The registers as held. */
    public String[] words() { return regs; }

    /** How many registers the value is held in. */
    public int numWords() { return regs.length; }

    /** The number of elements (layout registers). */
    public int size() { return layout.numRegs(); }
}
