package dev.tessera.trace;

import dev.tessera.types.ElementType;

/**
 * What a kernel is specialized for at one runtime parameter: the element type (a pointer type for
 * tensors) and the facts the launch guarantees, as Triton specializes them.
 *
 * @param divisibility for pointers, 16 if the address is 16-byte aligned, else 1; for integers,
 *                     16 if the value is a multiple of 16, else 1
 * @param equalsOne    an integer equal to 1 (strides of contiguous dimensions), folded into the kernel
 */
public record ArgSpec(ElementType type, int divisibility, boolean equalsOne) {

    @Override
    public String toString() {
        return type + (divisibility > 1 ? "/" + divisibility : "") + (equalsOne ? "=1" : "");
    }
}
