package dev.tessera.cuda;

import static dev.tessera.cuda.codegen.Kernels.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.backend.LaunchOptions;
import dev.tessera.cuda.codegen.DemoKernels;
import dev.tessera.cuda.codegen.Ptxas;
import dev.tessera.cuda.codegen.PtxCodegen;
import dev.tessera.cuda.codegen.PtxModule;
import dev.tessera.cuda.codegen.Target;
import dev.tessera.ir.KernelIR;
import dev.tessera.types.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A register budget, not a timing: the layer norm f16 demo kernel (8192 columns, 16 warps) with
 * its 16-bit floats held packed (two per register) and its f16 NaN tagging branch-free needs 40
 * registers when ptxas is left alone (it was 52 with one f32 register per element and tagging
 * branches), which is what lets three 512-thread blocks reside on an SM (46 → 68 % occupancy,
 * Triton's figure; CudaCompiler keeps the uncapped build when it gains a block). 40 is also the three-block boundary (registers go in units of 8 a thread), so
 * the budget has no margin: 41 would cost the third block.
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
        PtxModule m = PtxCodegen.generate(ir, new LaunchOptions(16, 1), target, false);
        Ptxas.Report r = Ptxas.assemble(m.ptx(), target.ptx().arch());
        assertTrue(r.ok(), r::output);
        assertEquals(0, r.spillStores(), r::output);
        assertTrue(r.registers() <= LAYER_NORM_F16_BUDGET, () -> "over the register budget of " + LAYER_NORM_F16_BUDGET + ":\n" + r.output());
        assertTrue(CudaCompiler.residentBlocks(r.registers(), 512) >= 3, r::output);
    }
}
