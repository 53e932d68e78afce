package dev.tessera.kernels.matmul;

import static dev.tessera.cuda.codegen.Kernels.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * The library's matmul through descriptors on sm_90a, as the H200 would run it: both operands are
 * TMA copies into wgmma's slots (no cp.async, no per-thread addresses in the loop), the maps' boxes
 * one 128-byte atom wide with the 128-byte swizzle, and ptxas assembles it without spills.
 */
class MatmulDescriptorsPtxasTest {

    static ArgSpec desc(DType t, Integer... block) { return new ArgSpec(new DescriptorType(t, List.of(block)), 16, false); }

    @ParameterizedTest(name = "{0}x{1}x{2} on {3} warps, {4} stages, B transposed {5}")
    @CsvSource({"128, 256, 64, 8, 4, false", "128, 256, 64, 8, 4, true", "256, 128, 64, 8, 4, true", "128, 128, 64, 4, 5, false"})
    void bothOperandsAreCopiedIntoTheirSlots(int bm, int bn, int bk, int warps, int stages, boolean transposed) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        ArgSpec b = transposed ? desc(DType.BF16, bn, bk) : desc(DType.BF16, bk, bn);
        KernelIR ir = ir(MatmulKernel.class, "descriptors", args(desc(DType.BF16, bm, bk), b, ptr(DType.BF16), i32(), i32Div16(), i32Div16(),
                i32Div16(), new ArgSpec(DType.I32, 1, true)), "BM", bm, "BN", bn, "BK", bk, "GROUP", 8, "B_TRANSPOSED", transposed);
        var target = Ptxas.target(9, 0);
        PtxModule m = PtxCodegen.generate(ir, new LaunchOptions(warps, stages), target);
        Ptxas.Report r = Ptxas.assemble(m.ptx(), target.ptx().arch());
        assertTrue(r.ok() && r.registers() > 0, r.output());
        assertEquals(0, Math.max(0, r.spillStores()), () -> "spills:\n" + r.output());
        String ptx = m.ptx();
        assertEquals(0, occurrences(ptx, "cp.async.cg") + occurrences(ptx, "cp.async.ca"), "every operand through TMA");
        // a wait for the slot's copies, and thread 0's for its release; no barrier of the whole block in the loop
        assertTrue(occurrences(ptx, "wgmma.mma_async") > 0 && occurrences(ptx, "mbarrier.try_wait.parity") == 2, ptx);
        assertEquals(0, occurrences(ptx.substring(ptx.indexOf("\n$L_pipelined_head"), ptx.indexOf("\n$L_pipelined_end")), "bar.sync"), "a barrier in the loop");
        assertEquals(new PtxModule.MapBox(List.of(bm, bk), 128), m.maps().get(0));
        assertEquals(transposed ? new PtxModule.MapBox(List.of(bn, bk), 128) : new PtxModule.MapBox(List.of(bk, 64), 128), m.maps().get(1));
    }

    /**
     * The persistent matmul (a loop over output tiles around the K loop) on sm_90a: the K loop's
     * copies by TMA, released through mbarriers; with warp specialization the producer walks the
     * tiles too and issues every copy. With stream-K the last waves' K loop is a second pipelined
     * loop over a run of steps, its partial tiles summed through the workspace. ptxas assembles
     * every variant without spills.
     */
    @ParameterizedTest(name = "warp specialized {0}, stream-K {1}")
    @CsvSource({"false, false", "true, false", "false, true", "true, true"})
    void thePersistentMatmulCopiesEachTilesBlocks(boolean specialized, boolean streamK) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        KernelIR ir = ir(MatmulKernel.class, "persistentDescriptors", args(desc(DType.BF16, 128, 64), desc(DType.BF16, 64, 256), ptr(DType.BF16), i32(),
                i32Div16(), i32Div16(), i32Div16(), new ArgSpec(DType.I32, 1, true), ptr(DType.F32), ptr(DType.I32)),
                "BM", 128, "BN", 256, "BK", 64, "GROUP", 8, "B_TRANSPOSED", false, "STREAM_K", streamK);
        var target = specialized ? Ptxas.target(9, 0).withWarpSpecialization() : Ptxas.target(9, 0);
        PtxModule m = PtxCodegen.generate(ir, new LaunchOptions(8, 4), target);
        Ptxas.Report r = Ptxas.assemble(m.ptx(), target.ptx().arch());
        System.out.println("persistent matmul, specialized " + specialized + ", stream-K " + streamK + ": " + r.registers() + " registers, " + Math.max(0, r.spillStores()) + " bytes spilled");
        assertTrue(r.ok() && r.registers() > 0, r.output());
        assertEquals(0, Math.max(0, r.spillStores()), () -> "spills:\n" + r.output());
        String ptx = m.ptx();
        assertEquals(0, occurrences(ptx, "cp.async.cg") + occurrences(ptx, "cp.async.ca"), "every operand through TMA");
        assertEquals(specialized ? 384 : 256, m.threads());
        if (specialized) {
            String produce = ptx.substring(ptx.indexOf("\n$L_producer"));
            assertTrue(produce.contains("$L_producer_for_head") && produce.contains("$L_produce_head"), "the producer walks the tiles and their K steps");
            // stream-K: the whole tiles' K loop and the shared runs' each copy A's box and B's four
            assertEquals(streamK ? 10 : 5, occurrences(produce, "cp.async.bulk.tensor.2d.shared::cluster"), "A's box and B's four a K loop");
        }
    }

    /** Every blocking the tuner tries with stream-K assembles without spills (both K loops, the partial store and the chunked sum). */
    @ParameterizedTest(name = "stream-K {0}")
    @org.junit.jupiter.params.provider.MethodSource("streamKConfigs")
    void everyStreamKBlockingAssemblesWithoutSpills(MatmulConfig c) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        KernelIR ir = ir(MatmulKernel.class, "persistentDescriptors", args(desc(DType.BF16, c.bm(), c.bk()), desc(DType.BF16, c.bn(), c.bk()), ptr(DType.BF16), i32(),
                i32Div16(), i32Div16(), i32Div16(), new ArgSpec(DType.I32, 1, true), ptr(DType.F32), ptr(DType.I32)),
                "BM", c.bm(), "BN", c.bn(), "BK", c.bk(), "GROUP", c.group(), "B_TRANSPOSED", true, "STREAM_K", true);
        var target = Ptxas.target(9, 0);
        PtxModule m = PtxCodegen.generate(ir, new LaunchOptions(c.warps(), c.stages()), target);
        Ptxas.Report r = Ptxas.assemble(m.ptx(), target.ptx().arch());
        System.out.println("stream-K " + c + ": " + r.registers() + " registers, " + Math.max(0, r.spillStores()) + " bytes spilled");
        assertTrue(r.ok() && r.registers() > 0, r.output());
        assertEquals(0, Math.max(0, r.spillStores()), () -> "spills:\n" + r.output());
    }

    static List<MatmulConfig> streamKConfigs() { return MatmulTuning.STREAM_K_CONFIGS; }
}
