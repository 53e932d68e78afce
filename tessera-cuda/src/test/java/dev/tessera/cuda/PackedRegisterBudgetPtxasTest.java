package dev.tessera.cuda;

import static dev.tessera.cuda.codegen.Kernels.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.cuda.codegen.DemoKernels;
import dev.tessera.cuda.codegen.Occupancy;
import dev.tessera.cuda.codegen.Ptxas;
import dev.tessera.cuda.codegen.Target;
import dev.tessera.ir.KernelIR;
import dev.tessera.types.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A register budget, not a timing: the layer norm f16 demo kernel (8192 columns, 16 warps) with
 * its 16-bit floats held packed (two per register) and its f16 NaN tagging branch-free needs 40
 * registers in the build the CUDA compiler keeps ({@link Occupancy#choose}: here the one without
 * an occupancy request; it was 52 with one f32 register per element and tagging branches), which
 * is what lets three 512-thread blocks reside on an SM (46 → 68 % occupancy, Triton's figure). 40
 * is also the three-block boundary (registers go in units of 8 a thread), so the budget has no
 * margin: 41 would cost the third block. The library's kernels have their budget in
 * tessera-kernels ({@code NormRegisterBudgetPtxasTest}).
 */
class PackedRegisterBudgetPtxasTest {
    static final int LAYER_NORM_F16_BUDGET = 40;

    @ParameterizedTest(name = "layernorm f16 sm_{0}")
    @ValueSource(ints = {8, 9})
    void layerNormF16FitsThreeBlocksPerSm(int major) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target target = Ptxas.target(major, 0);
        KernelIR ir = ir(DemoKernels.class, "layerNorm", args(ptr(DType.F16), ptr(DType.F16), ptr(DType.F16), ptr(DType.F16),
                i32Div16(), i32Div16(), scalar(DType.F32)), "BLOCK", 8192);
        Ptxas.Report r = Ptxas.chosen(ir, 16, target).report();
        assertEquals(0, r.spillStores(), r::output);
        assertTrue(r.registers() <= LAYER_NORM_F16_BUDGET, () -> "over the register budget of " + LAYER_NORM_F16_BUDGET + ":\n" + r.output());
        assertTrue(Occupancy.residentBlocks(r.registers(), 512) >= 3, r::output);
    }
}
