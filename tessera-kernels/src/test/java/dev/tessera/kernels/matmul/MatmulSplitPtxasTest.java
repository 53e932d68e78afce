package dev.tessera.kernels.matmul;

import static dev.tessera.cuda.codegen.Kernels.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.backend.LaunchOptions;
import dev.tessera.cuda.codegen.PtxCodegen;
import dev.tessera.cuda.codegen.Ptxas;
import dev.tessera.ir.KernelIR;
import dev.tessera.trace.ArgSpec;
import dev.tessera.types.DType;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every split-K candidate of the tuner assembles for sm_90a without spilling, as the GPU runs it
 * for a linear layer (bf16, A row-major, B given as Wᵀ): a config that spills is one the tuner
 * would time and never pick, at the cost of its trial. No GPU needed.
 */
class MatmulSplitPtxasTest {

    static Stream<MatmulConfig> splitConfigs() {
        return MatmulTuning.CONFIGS.stream().filter(c -> c.intValue("SPLIT") > 1).map(MatmulConfig::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("splitConfigs")
    void assemblesWithoutSpills(MatmulConfig cfg) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        ArgSpec stride = i32Div16(), one = new ArgSpec(DType.I32, 1, true);
        List<ArgSpec> args = args(ptr(DType.BF16), ptr(DType.BF16), ptr(DType.BF16), i32(), i32Div16(), i32Div16(),
                stride, one, one, stride, stride, one, ptr(DType.F32), ptr(DType.I64));
        KernelIR ir = ir(MatmulKernel.class, "matmul", args, "BM", cfg.bm(), "BN", cfg.bn(), "BK", cfg.bk(), "GROUP", cfg.group(),
                "SPLIT", cfg.split(), "IEEE", false);
        var target = Ptxas.target(9, 0);
        Ptxas.Report r = Ptxas.assemble(PtxCodegen.generate(ir, new LaunchOptions(cfg.warps(), cfg.stages()), target).ptx(), target.ptx().arch());
        assertTrue(r.ok() && r.registers() > 0, r.output());
        assertEquals(0, Math.max(0, r.spillStores()), () -> cfg + " spills:\n" + r.output());
    }
}
