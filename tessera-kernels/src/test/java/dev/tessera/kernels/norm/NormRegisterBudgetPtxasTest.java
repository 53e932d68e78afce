package dev.tessera.kernels.norm;

import static dev.tessera.cuda.codegen.Kernels.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.cuda.codegen.Occupancy;
import dev.tessera.cuda.codegen.Ptxas;
import dev.tessera.ir.KernelIR;
import dev.tessera.trace.ArgSpec;
import dev.tessera.types.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A register budget, not a timing: the library's layer norm on rows of 8192 (BLOCK 8192 on 16
 * warps, as {@link LayerNorm#forward(dev.tessera.runtime.Tensor, dev.tessera.runtime.Tensor,
 * dev.tessera.runtime.Tensor, float, dev.tessera.runtime.Tensor, dev.tessera.runtime.Tensor,
 * dev.tessera.runtime.Tensor)} launches them, the bench's 4096x8192) in f16 and bf16, in the build
 * the CUDA compiler keeps ({@link Occupancy#choose}, here with the toolkit's ptxas for sm_90a),
 * takes at most 40 registers and no local memory, so that three 512-thread blocks reside on an SM
 * as Triton's do. With w and b in one fma after the statistics it took 60 to 62 (two blocks).
 * 40 is the three-block boundary (registers go in units of 8 a thread): 41 would cost the third.
 */
class NormRegisterBudgetPtxasTest {
    static final int BUDGET = 40;

    @ParameterizedTest(name = "layer norm {0} rows of 8192")
    @ValueSource(strings = {"F16", "BF16"})
    void layerNormFitsThreeBlocksPerSm(String dtype) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        DType t = DType.valueOf(dtype);
        KernelIR ir = ir(LayerNorm.class, "forward", args(ptr(t), ptr(t), ptr(t), ptr(t), ptr(DType.F32), ptr(DType.F32),
                new ArgSpec(DType.I64, 16, false), i32Div16(), scalar(DType.F32)), "BLOCK", 8192);
        Ptxas.Build kept = Ptxas.chosen(ir, 16, Ptxas.target(9, 0));
        Ptxas.Report r = kept.report();
        String what = "the build asking for " + kept.minBlocks() + " blocks:\n" + r.output();
        assertEquals(0, kept.localBytes(), () -> "local memory in " + what);
        assertTrue(r.registers() <= BUDGET, () -> "over the register budget of " + BUDGET + " in " + what);
        assertTrue(Occupancy.residentBlocks(r.registers(), 512) >= 3, what);
    }
}
