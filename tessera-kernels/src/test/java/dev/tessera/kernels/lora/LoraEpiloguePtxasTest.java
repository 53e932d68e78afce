package dev.tessera.kernels.lora;

import static dev.tessera.cuda.codegen.Kernels.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.backend.LaunchOptions;
import dev.tessera.cuda.codegen.PtxCodegen;
import dev.tessera.cuda.codegen.Ptxas;
import dev.tessera.ir.KernelIR;
import dev.tessera.kernels.matmul.MatmulKernel;
import dev.tessera.trace.ArgSpec;
import dev.tessera.types.DType;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fused matmul as a LoRA forward pass launches it, out = X·Wᵀ + s·(X·Aᵀ)·Bᵀ in bf16 (X and out
 * row-major, W and B given transposed), assembles with the toolkit's ptxas for sm_90a without
 * spilling at the ranks LoRA uses, up to the epilogue's largest (128), on a small and a large
 * blocking of the tuner's; no GPU needed. (ptxas of CUDA 13.0, 2026-12-03: 72 and 116 registers at rank 16
 * on 64×64×32 / 4 warps and 128×128×64 / 8 warps, 176 at rank 64, 254 and 255 at rank 128: the [BM, RANK]
 * tile of X·Aᵀ sits in registers beside the accumulator, so rank 128 is at the limit, without spilling.)
 */
class LoraEpiloguePtxasTest {
    @ParameterizedTest(name = "rank {0}, {1}x{2}x{3} on {4} warps")
    @CsvSource({"16, 64, 64, 32, 4", "16, 128, 128, 64, 8", "64, 128, 128, 64, 8", "128, 64, 64, 32, 4", "128, 128, 128, 64, 8"})
    void theLowRankEpilogueAssemblesWithoutSpills(int rank, int bm, int bn, int bk, int warps) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        ArgSpec stride = i32Div16(), one = new ArgSpec(DType.I32, 1, true);
        List<ArgSpec> args = args(ptr(DType.BF16), ptr(DType.BF16), ptr(DType.BF16), ptr(DType.BF16), ptr(DType.BF16), i32(), i32Div16(), i32Div16(), i32(),
                stride, one, one, stride, stride, one, stride, one, one, stride, scalar(DType.F32), scalar(DType.F32));
        KernelIR ir = ir(MatmulKernel.class, "fused", args, "BM", bm, "BN", bn, "BK", bk, "GROUP", 8, "SPLIT", 1, "RANK", Math.max(16, rank),
                "ACCUMULATE", false, "IEEE", false);
        var target = Ptxas.target(9, 0);
        Ptxas.Report r = Ptxas.assemble(PtxCodegen.generate(ir, new LaunchOptions(warps, 3), target).ptx(), target.ptx().arch());
        assertTrue(r.ok() && r.registers() > 0, r.output());
        assertEquals(0, Math.max(0, r.spillStores()), () -> "spills:\n" + r.output());
    }
}
