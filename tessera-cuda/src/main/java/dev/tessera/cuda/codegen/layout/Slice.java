package dev.tessera.cuda.codegen.layout;

import dev.tessera.ir.Shape;

/**
 * The layout of a reduction's result: the parent layout with dimension {@code dim} removed. The
 * threads that held different positions along {@code dim} now hold copies of the same results.
 */
public record Slice(Layout parent, int dim) implements Layout {

    @Override
    public DistributedLayout linear(Shape shape) {
        // With a size-1 dimension the parent puts nothing of it in registers and only zero lane and
        // warp bases, so dropping it keeps every other basis as the parent placed it.
        return parent.linear(shape.inserting(dim, 1)).withShape(shape);
    }
}
