package dev.tessera.cuda.codegen;

import dev.tessera.cuda.driver.PtxTarget;

/**
 * What the code generator may use on a target: the PTX header and the instructions that depend on
 * the architecture. Where an instruction is missing, an exact software sequence replaces it.
 *
 * @param ptx             the {@code .version}/{@code .target} to write
 * @param sm              compute capability as a number (80, 89, 90)
 * @param nativeFp8       {@code cvt.rn.satfinite.e4m3x2.f32} and friends (sm_89+, PTX 7.8+)
 * @param nativeBf16      {@code cvt.rn.bf16.f32} and {@code max.NaN} (sm_80+)
 * @param bf16AtomicAdd   {@code atom.add.noftz.bf16} (sm_90+)
 * @param wgmma           Hopper's warpgroup tensor cores, {@code wgmma.mma_async} (only in the
 *                        architecture-specific sm_90a)
 * @param l2CacheHints    {@code createpolicy} and {@code .L2::cache_hint} on loads and stores (sm_80+, PTX 7.4+)
 * @param tma             the tensor-memory accelerator: tensor descriptors' blocks move by
 *                        {@code cp.async.bulk.tensor} completing on mbarriers (sm_90+, PTX 8.0+);
 *                        without it they are masked loads and stores (see memory.TmaRules)
 * @param deferredWaits   wgmma groups in pipelined loops waited for at their first reader, not at
 *                        the end of their dot (see gpu.DeferWgmmaWaits): wherever wgmma is (the dot
 *                        suites, the kernel library and 1000 fuzzed programs passed with it on an H100)
 * @param warpSpecialized a producer warp issues the TMA copies of kernels that qualify (see
 *                        gpu.SpecializeWarps); opt-in until it has run on a GPU
 * @param vectorAtomics   f32 adds of 2 or 4 neighbouring elements in one instruction,
 *                        {@code atom/red.global.add.v4.f32} (sm_90+, PTX 8.1+)
 * @param overwriteZeros  a wgmma dot from the constant 0 writes its registers (scale-d false on
 *                        each instruction's first K step) instead of accumulating onto zeros moved
 *                        into them; opt-in until QuantGemmTest and FlashAttentionTest have run with
 *                        it on a GPU (its first form, false on every K step, was wrong, and only the
 *                        GPU saw it)
 */
public record Target(PtxTarget ptx, int sm, boolean nativeFp8, boolean nativeBf16, boolean bf16AtomicAdd, boolean wgmma, boolean l2CacheHints,
                     boolean tma, boolean deferredWaits, boolean warpSpecialized, boolean vectorAtomics, boolean overwriteZeros) {

    public static Target of(PtxTarget ptx) {
        String digits = ptx.arch().replaceAll("[^0-9]", "");
        int sm = Integer.parseInt(digits);
        int isa = ptx.isaMajor() * 10 + ptx.isaMinor();
        return new Target(ptx, sm, sm >= 89 && isa >= 78, sm >= 80, sm >= 90 && isa >= 78, ptx.arch().equals("sm_90a") && isa >= 80,
                sm >= 80 && isa >= 74, sm >= 90 && isa >= 80, ptx.arch().equals("sm_90a") && isa >= 80, false, sm >= 90 && isa >= 81, false);
    }

    /** The same target without the native narrow-float conversions, to test the software sequences on a GPU that has them. */
    public Target withSoftwareConversions() { return new Target(ptx, sm, false, false, false, wgmma, l2CacheHints, tma, deferredWaits, warpSpecialized, vectorAtomics, overwriteZeros); }

    /** The same target with dots on {@code mma.sync} only, to compare and test both paths on one Hopper GPU. */
    public Target withoutWgmma() { return new Target(ptx, sm, nativeFp8, nativeBf16, bf16AtomicAdd, false, l2CacheHints, tma, deferredWaits, warpSpecialized, vectorAtomics, overwriteZeros); }

    /** The same target with tensor descriptors as masked loads and stores, to test and measure that path on a Hopper GPU. */
    public Target withoutTma() { return new Target(ptx, sm, nativeFp8, nativeBf16, bf16AtomicAdd, wgmma, l2CacheHints, false, deferredWaits, warpSpecialized, vectorAtomics, overwriteZeros); }

    /** The same target with every wgmma waited for at its dot, to compare with the deferred waits. */
    public Target withoutDeferredWaits() { return new Target(ptx, sm, nativeFp8, nativeBf16, bf16AtomicAdd, wgmma, l2CacheHints, tma, false, warpSpecialized, vectorAtomics, overwriteZeros); }

    /** The same target with no kernel's warps specialized. */
    public Target withoutWarpSpecialization() { return new Target(ptx, sm, nativeFp8, nativeBf16, bf16AtomicAdd, wgmma, l2CacheHints, tma, deferredWaits, false, vectorAtomics, overwriteZeros); }

    /** The same target with every atomic one element an instruction, to test that path on a Hopper GPU. */
    public Target withoutVectorAtomics() { return new Target(ptx, sm, nativeFp8, nativeBf16, bf16AtomicAdd, wgmma, l2CacheHints, tma, deferredWaits, warpSpecialized, false, overwriteZeros); }

    /** The same target with wgmma dots from zeros writing their registers (see {@code overwriteZeros}). */
    public Target withOverwrittenZeros() {
        return new Target(ptx, sm, nativeFp8, nativeBf16, bf16AtomicAdd, wgmma, l2CacheHints, tma, deferredWaits, warpSpecialized, vectorAtomics, true);
    }

    /** The same target with a producer warp issuing the TMA copies of the kernels that qualify. */
    public Target withWarpSpecialization() { return new Target(ptx, sm, nativeFp8, nativeBf16, bf16AtomicAdd, wgmma, l2CacheHints, tma, deferredWaits, true, vectorAtomics, overwriteZeros); }
}
