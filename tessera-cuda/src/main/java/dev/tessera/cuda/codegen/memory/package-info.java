/**
 * Lowering of global memory accesses: loads and stores ({@link
 * dev.tessera.cuda.codegen.memory.MemoryRules}), each run of registers AxisInfo proves
 * contiguous, aligned and equally masked moving as one access of up to 16 bytes, and atomics
 * ({@link dev.tessera.cuda.codegen.memory.AtomicRules}: {@code atom.<sem>.<scope>}, CAS loops where
 * PTX has no instruction with the CPU backend's semantics). Shared memory is the driver's
 * ({@code codegen.SharedMemory}), used by every rule that needs it.
 *
 * <p>Invariant: a layout may hold copies of an element in several threads, but only one thread of
 * each such group stores it or performs its atomic (the old value is then shared with the copies);
 * masked-off lanes of a load keep the value set before it ({@code other}, or 0) and masked-off
 * stores are predicated away.
 */
package dev.tessera.cuda.codegen.memory;
