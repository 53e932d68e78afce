package dev.tessera.cuda.codegen.layout;

import dev.tessera.ir.Shape;

/**
 * A distributed layout: a rule for spreading a tile's elements over the registers of a program's
 * threads, independent of the tile's size. {@link #linear(Shape)} fixes it for one shape; code
 * generation works on that linear form.
 */
public sealed interface Layout permits Blocked, Slice {

    /** This layout applied to a tile of {@code shape}. */
    DistributedLayout linear(Shape shape);
}
