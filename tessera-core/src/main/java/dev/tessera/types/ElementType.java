package dev.tessera.types;

/**
 * What one element of a tile is: a number ({@link DType}), a pointer to numbers ({@link PointerType}),
 * or a tensor descriptor ({@link DescriptorType}, only ever a kernel parameter).
 */
public sealed interface ElementType permits DType, PointerType, DescriptorType {

    /** Bytes one element occupies in a register or in memory. */
    int byteSize();

    default boolean isPointer() { return this instanceof PointerType; }
}
