/**
 * Lowering of matrix products and of the loops that feed them: FMA dots over operands staged in
 * shared memory ({@link dev.tessera.cuda.codegen.dot.DotRules}: the dots no tensor-core instruction
 * covers), {@code mma.sync} on tensor cores with {@code ldmatrix} fragments ({@link
 * dev.tessera.cuda.codegen.dot.MmaRules}), Hopper's warpgroup {@code wgmma.mma_async} through
 * shared-memory matrix descriptors ({@link dev.tessera.cuda.codegen.dot.WgmmaRules}), and
 * software-pipelined loops whose {@code cp.async} copies land dot operands in multi-buffered slots
 * ({@link dev.tessera.cuda.codegen.dot.PipelineRules}). Which dots take which path is decided
 * before lowering ({@code gpu.TensorCores}, {@code gpu.PipelineLoops}); these rules only carry
 * the plan out.
 *
 * <p>Invariant: a dot's result is complete when its rule ends, as every other op's is, except a
 * wgmma a pipelined loop keeps in flight into the next iteration; tensor cores read operands from
 * {@code layout.SwizzledTile}s in shared memory, and generic-proxy writes into a wgmma's tiles
 * are followed by {@code fence.proxy.async} before the barrier.
 */
package dev.tessera.cuda.codegen.dot;
