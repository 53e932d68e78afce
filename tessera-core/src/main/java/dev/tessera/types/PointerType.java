package dev.tessera.types;

/** A pointer into global memory whose elements have type {@code pointee}. */
public record PointerType(DType pointee) implements ElementType {

    @Override
    public int byteSize() { return 8; }

    @Override
    public String toString() { return "*" + pointee; }
}
