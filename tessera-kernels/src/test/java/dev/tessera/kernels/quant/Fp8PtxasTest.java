package dev.tessera.kernels.quant;

import static dev.tessera.cuda.codegen.Kernels.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.backend.LaunchOptions;
import dev.tessera.cuda.codegen.PtxCodegen;
import dev.tessera.cuda.codegen.PtxModule;
import dev.tessera.cuda.codegen.Ptxas;
import dev.tessera.ir.KernelIR;
import dev.tessera.trace.ArgSpec;
import dev.tessera.types.DType;
import dev.tessera.types.DescriptorType;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The library's block-scaled FP8 GEMM through descriptors on sm_90a: A's and W's boxes by TMA
 * straight into wgmma's slots, no barrier and no shared memory in the loop, and with UNROLL = 2 the
 * second K step's wgmma group still running while the first step's product is scaled (the wait
 * before the first promotion leaves one group in flight). ptxas assembles both without spills.
 */
class Fp8PtxasTest {
    static ArgSpec desc(DType t, Integer... block) { return new ArgSpec(new DescriptorType(t, List.of(block)), 16, false); }

    @ParameterizedTest(name = "{0}x{1}x{2}, {3} stages, unrolled {4}, zeros overwritten {5}")
    @CsvSource({"128, 128, 128, 4, 1, false", "128, 128, 128, 3, 2, false", "128, 128, 128, 2, 2, false", "64, 128, 128, 4, 1, false",
            "64, 128, 128, 2, 2, false", "128, 128, 128, 4, 1, true", "128, 128, 128, 3, 2, true"})
    void theBlockScaledLoopPromotesWhileTheTensorCoresMultiply(int bm, int bn, int bk, int stages, int unroll, boolean overwrite) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        DType t = DType.FP8E4M3;
        KernelIR ir = ir(Fp8.class, "matmulBlockScaledThroughDescriptors", args(desc(t, bm, bk), desc(t, bn, bk), ptr(DType.F32), ptr(DType.F32),
                ptr(DType.BF16), i32(), i32Div16(), i32Div16(), i32()), "BM", bm, "BN", bn, "BK", bk, "GROUP", 8, "UNROLL", unroll);
        var target = overwrite ? Ptxas.target(9, 0).withOverwrittenZeros() : Ptxas.target(9, 0);
        PtxModule m = PtxCodegen.generate(ir, new LaunchOptions(bm / 16, stages), target);   // a warpgroup a 64 rows
        Ptxas.Report r = Ptxas.assemble(m.ptx(), target.ptx().arch());
        System.out.println("fp8 block-scaled, unrolled " + unroll + ", " + stages + " stages: " + r.registers() + " registers");
        assertTrue(r.ok() && r.registers() > 0, r.output());
        assertFalse(r.output().contains("serialized"), r::output);   // ptxas's C7514: a wgmma it could not leave in flight
        assertEquals(0, Math.max(0, r.spillStores()), () -> "spills:\n" + r.output());
        String ptx = m.ptx(), loop = ptx.substring(ptx.indexOf("\n$L_pipelined_head"), ptx.indexOf("\n$L_pipelined_end"));
        assertEquals(4 * unroll, occurrences(loop, "wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3 {"), loop);
        assertEquals(0, occurrences(loop, "bar.sync") + occurrences(loop, "ld.shared") + occurrences(loop, "st.shared"), loop);
        assertEquals(3 * unroll, occurrences(loop, "ld.global.f32"), "a thread's two rows' scales and the block's, each K step");
        if (unroll == 2) assertTrue(loop.contains("wgmma.wait_group.sync.aligned 1;"), "the second step's group in flight: " + loop);
        // each step's product starts from zeros: overwritten, its first K32 instruction writes (scale-d false) and no zeros
        // are moved into its registers; else it accumulates onto them
        java.util.regex.Matcher overwriting = java.util.regex.Pattern.compile("setp.ne.u32 (%p\\d+), 0, 0;").matcher(ptx);
        String scaleDFalse = overwriting.find() ? overwriting.group(1) : null;
        int first = scaleDFalse == null ? 0 : (int) loop.lines().filter(l -> l.contains("wgmma.mma_async") && l.contains(", " + scaleDFalse + ",")).count();
        assertEquals(overwrite ? unroll : 0, first, "wgmma instructions that overwrite: one a step's product\n" + loop);
        if (overwrite) {
            String accumulating = PtxCodegen.generate(ir, new LaunchOptions(bm / 16, stages), Ptxas.target(9, 0)).ptx();
            String before = accumulating.substring(accumulating.indexOf("\n$L_pipelined_head"), accumulating.indexOf("\n$L_pipelined_end"));
            int products = bm * bn / (32 * bm / 16) * unroll;   // a thread's registers of the step's products
            assertEquals(products, occurrences(before, "mov.f32") - occurrences(loop, "mov.f32"), "zeros no longer moved into the products");
        }
    }
}
