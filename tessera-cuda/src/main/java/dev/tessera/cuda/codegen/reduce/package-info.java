/**
 * Lowering of the ops that combine or order elements along an axis, across threads: reductions
 * ({@link dev.tessera.cuda.codegen.reduce.ReductionRules}: within a thread, {@code shfl.sync.bfly}
 * within a warp, shared memory across warps), inclusive scans ({@link
 * dev.tessera.cuda.codegen.reduce.ScanRules}: registers, {@code shfl.sync.up/down}, shared memory),
 * the bitonic sort ({@link dev.tessera.cuda.codegen.reduce.SortRules}), histograms ({@link
 * dev.tessera.cuda.codegen.reduce.HistogramRules}: counters in shared memory), and the combine step they
 * share ({@link dev.tessera.cuda.codegen.reduce.Combiner}: a built-in kind, argmax/argmin pairs,
 * or the user's combine region inlined on registers, one register per operand of a tuple).
 *
 * <p>Invariant: results match the CPU backend's order of combination where it is observable: a
 * scan's combine takes the earlier elements on its left, partials across warps are combined in
 * warp order, narrow floats accumulate in f32 and are rounded once at the end, and a sort orders
 * as Java's does (floats by their total order, NaN last).
 */
package dev.tessera.cuda.codegen.reduce;
