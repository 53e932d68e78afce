/**
 * The CUDA code generator's driver: {@link dev.tessera.cuda.codegen.PtxCodegen} runs the passes
 * (AxisInfo, {@code layout.LayoutAssignment}, the GPU IR's in {@code gpu}) and writes the module;
 * {@link dev.tessera.cuda.codegen.PtxLowering} and {@link dev.tessera.cuda.codegen.GpuLowering}
 * are the one dispatch from op kind to rule; {@link dev.tessera.cuda.codegen.Lowerer} is the state
 * of lowering one kernel. The rules are in sub-packages by what they lower: {@code layout},
 * {@code math}, {@code convert}, {@code memory}, {@code dot}, {@code reduce}, {@code control}.
 *
 * <p>{@code Lowerer} is the hub every rule goes through (a value's registers in a layout, fresh
 * registers, thread indices, shared memory, the PTX being written), so it is public with the rules'
 * entry points; the pieces rules share ({@link dev.tessera.cuda.codegen.Emit}, {@link
 * dev.tessera.cuda.codegen.Shuffles}, {@link dev.tessera.cuda.codegen.TileValue}, {@link
 * dev.tessera.cuda.codegen.SharedMemory}) sit here beside it rather than in one rule family. A
 * rule's helpers stay package-private unless another family calls them.
 */
package dev.tessera.cuda.codegen;
