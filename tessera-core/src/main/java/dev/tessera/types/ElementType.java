package dev.tessera.types;

/** What one element of a tile is: a number ({@link DType}) or a pointer to numbers ({@link PointerType}). */
public sealed interface ElementType permits DType, PointerType {

    /** Bytes one element occupies in a register or in memory. */
    int byteSize();

    default boolean isPointer() { return this instanceof PointerType; }
}
