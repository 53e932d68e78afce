package dev.tessera.ir;

import dev.tessera.types.DType;
import dev.tessera.types.DescriptorType;
import dev.tessera.types.ElementType;
import dev.tessera.types.PointerType;

/** The type of an IR value: an element type and a static shape (empty for scalars). */
public record Type(ElementType element, Shape shape) {

    public static Type scalar(ElementType element) { return new Type(element, Shape.SCALAR); }

    public static Type of(ElementType element, int... dims) { return new Type(element, Shape.of(dims)); }

    public boolean isScalar() { return shape.isScalar(); }

    public boolean isPointer() { return element instanceof PointerType; }

    public boolean isDescriptor() { return element instanceof DescriptorType; }

    /** The numeric element type; fails for pointers. */
    public DType dtype() {
        if (element instanceof DType d) return d;
        throw new IllegalStateException(this + " is not a numeric type");
    }

    /** The element type pointed to; fails for non-pointers. */
    public DType pointee() {
        if (element instanceof PointerType p) return p.pointee();
        throw new IllegalStateException(this + " is not a pointer type");
    }

    public Type withElement(ElementType e) { return new Type(e, shape); }

    public Type withShape(Shape s) { return new Type(element, s); }

    public int numel() { return shape.numel(); }

    public int rank() { return shape.rank(); }

    /** "f32", "f32[128, 64]", "*bf16[64]". */
    @Override
    public String toString() { return shape.isScalar() ? element.toString() : element.toString() + shape; }
}
