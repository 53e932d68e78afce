package dev.tessera.types;

import java.util.List;

/**
 * A tensor descriptor (Triton's {@code tensor_descriptor}): a strided tensor of {@code element}s in
 * global memory, read and written a {@code block} at a time. The block shape is part of the type,
 * so a kernel is specialized for it; the tensor's base, shape and strides are run-time values.
 */
public record DescriptorType(DType element, List<Integer> block) implements ElementType {
    public DescriptorType {
        block = List.copyOf(block);
        if (block.isEmpty()) throw new IllegalArgumentException("a descriptor's block has at least one dimension");
    }

    public int rank() { return block.size(); }

    /** The block's dimensions as an array. */
    public int[] blockShape() { return block.stream().mapToInt(Integer::intValue).toArray(); }

    /** The bytes of one block's elements (a TMA box's). */
    public int blockBytes() { return block.stream().reduce(element.byteSize(), (a, b) -> a * b); }

    /** A descriptor travels as a handle (a pointer or, on a GPU, an opaque tensor map), never as elements. */
    @Override
    public int byteSize() { return 8; }

    /** "desc&lt;f16[64, 64]&gt;". */
    @Override
    public String toString() { return "desc<" + element + block + ">"; }
}
