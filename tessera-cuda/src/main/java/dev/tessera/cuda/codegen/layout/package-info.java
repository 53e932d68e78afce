/**
 * Where each element of a value lives, and how a value changes place. The algebra: {@link
 * dev.tessera.cuda.codegen.layout.LinearLayout}s (named dimensions, XOR bases, compose and
 * invert), the {@link dev.tessera.cuda.codegen.layout.DistributedLayout}s values are held in
 * (made from {@code Blocked}, {@code Slice} and the tensor cores' accumulator layouts), shared
 * memory's {@code SharedLayout} and {@code SwizzledTile}, and {@link
 * dev.tessera.cuda.codegen.layout.ConversionPlan}, which classifies a change of layout. The pass:
 * {@link dev.tessera.cuda.codegen.layout.LayoutAssignment} gives every value a layout (memory ops
 * anchor them, wanted layouts flow backwards, then each op takes the layout needing fewest
 * conversions; values {@link dev.tessera.cuda.codegen.layout.Rematerialization} finds cheap are
 * recomputed instead of moved). The lowering of layout changes: {@link
 * dev.tessera.cuda.codegen.layout.LayoutConversion} (register renaming, warp shuffles, or a trip
 * through padded shared memory) and {@link dev.tessera.cuda.codegen.layout.ShapeRules} (join,
 * split and cat, one register bit added or removed).
 *
 * <p>Invariant: a distributed layout is a GF(2)-linear map from (register, lane, warp) bits to the
 * element's flat index, so relabelings (reshape, expand_dims, permute, join, split, cat) move no
 * data, and a conversion moves only what some thread lacks; a value converted through shared
 * memory is converted once, where it is defined, never again inside a loop that merely uses it.
 */
package dev.tessera.cuda.codegen.layout;
