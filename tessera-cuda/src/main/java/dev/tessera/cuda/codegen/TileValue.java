package dev.tessera.cuda.codegen;

import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.types.ElementType;

/**
 * An IR value as one thread holds it: the registers of the elements the thread owns, in the order
 * of the layout's register index. A scalar has one register, the same in every thread. Registers
 * may repeat (a splat or a constant names one register for every element).
 */
public record TileValue(DistributedLayout layout, ElementType type, String[] regs) {
    public TileValue {
        if (regs.length != layout.numRegs()) {
            throw new IllegalArgumentException(regs.length + " registers for " + layout);
        }
    }

    public RegClass regClass() { return RegClass.of(type); }

    public String reg(int i) { return regs[i]; }

    public int size() { return regs.length; }
}
