package dev.tessera.cuda.codegen;

import static dev.tessera.cuda.codegen.Kernels.*;
import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.ir.KernelIR;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Precision;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.trace.ArgSpec;
import dev.tessera.types.DType;
import dev.tessera.types.DescriptorType;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * FP8 GEMMs through tensor descriptors on sm_90a (the library's, in {@code dev.tessera.kernels.quant.Fp8}):
 * W's [BN, BK] blocks land K-major, the only order wgmma reads 8-bit operands in, so both
 * operands go from their TMA slots straight into {@code wgmma ... e4m3.e4m3} with no data through
 * registers. In the block-scaled loop the scaled product meets an accumulator kept in the dot's
 * own layout, and each row's scale is loaded in the rows of that layout: no conversion through
 * shared memory and no barrier in the loop (before, a [128, 128] f32 tile and the scales went
 * through shared memory every K step, with four barriers).
 */
class Fp8WgmmaPtxasTest {
    /** DeepSeek-V3's block-scaled GEMM: a K step's product, scaled by its rows' and its block's scales, added to the accumulator. */
    @Kernel
    static void blockScaled(TensorDesc a, TensorDesc w, Tile sa, Tile sw, Tile y, Tile m, Tile n, Tile k, Tile kBlocks,
                            @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile pm = programId(0).mul(BM), pn = programId(1).mul(BN);
        Tile rm = pm.add(arange(0, BM)), rn = pn.add(arange(0, BN));
        Tile aScales = sa.add(rm.mul(kBlocks)), wScales = sw.add(pn.div(128).mul(kBlocks));
        Var acc = var(zeros(F32, BM, BN));
        for (Tile step : range(0, cdiv(k, BK))) {
            Tile kb = step.mul(BK).div(128);
            Tile scale = load(aScales.add(kb), rm.lt(m), 0.0).mul(load(wScales.add(kb)));
            acc.set(fma(dot(load(a, pm, step.mul(BK)), trans(load(w, pn, step.mul(BK))), null, Precision.FAST_ACCUMULATION), scale.col(), acc.get()));
        }
        store(y.add(rm.col().mul(n)).add(rn.row()), acc.get().to(BF16), rm.col().lt(m).and(rn.row().lt(n)));
    }

    /** One scale each: the products accumulate in place over K. */
    @Kernel
    static void perTensor(TensorDesc a, TensorDesc w, Tile y, Tile m, Tile n, Tile k, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile pm = programId(0).mul(BM), pn = programId(1).mul(BN);
        Tile rm = pm.add(arange(0, BM)), rn = pn.add(arange(0, BN));
        Var acc = var(zeros(F32, BM, BN));
        for (Tile step : range(0, cdiv(k, BK)))
            acc.set(dot(load(a, pm, step.mul(BK)), trans(load(w, pn, step.mul(BK))), acc.get(), Precision.FAST_ACCUMULATION));
        store(y.add(rm.col().mul(n)).add(rn.row()), acc.get().to(BF16), rm.col().lt(m).and(rn.row().lt(n)));
    }

    static ArgSpec desc(DType t, Integer... block) { return new ArgSpec(new DescriptorType(t, List.of(block)), 16, false); }

    @Test
    void theBlockScaledLoopHoldsNoConversionAndNoBarrier() throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target target = Ptxas.target(9, 0);
        DType t = DType.FP8E4M3;
        KernelIR ir = ir(Fp8WgmmaPtxasTest.class, "blockScaled", args(desc(t, 128, 128), desc(t, 128, 128), ptr(DType.F32), ptr(DType.F32),
                ptr(DType.BF16), i32(), i32Div16(), i32Div16(), i32()), "BM", 128, "BN", 128, "BK", 128);
        String ptx = assembled("fp8_block_scaled", ptx(ir, 8, target), target);
        String loop = ptx.substring(ptx.indexOf("\n$L_pipelined_head"), ptx.indexOf("\n$L_pipelined_end"));
        assertEquals(4, occurrences(loop, "wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3 {"), "a K step of 128 is four k32 steps a warpgroup");
        assertEquals(2, occurrences(loop, "cp.async.bulk.tensor.2d.shared::cluster"), "A's box and W's, by TMA");
        assertEquals(0, occurrences(loop, "bar.sync") + occurrences(loop, "ld.shared") + occurrences(loop, "st.shared"), loop);
        assertEquals(64, occurrences(loop, "fma.rn.f32"), "the promotion: one fma an accumulator");
        assertEquals(3, occurrences(loop, "ld.global.f32"), "a thread's two rows' scales and the block's");
    }

    @Test
    void thePerTensorLoopOnlyCopiesAndMultiplies() throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target target = Ptxas.target(9, 0);
        DType t = DType.FP8E4M3;
        KernelIR ir = ir(Fp8WgmmaPtxasTest.class, "perTensor", args(desc(t, 128, 128), desc(t, 256, 128), ptr(DType.BF16), i32(), i32Div16(), i32Div16()),
                "BM", 128, "BN", 256, "BK", 128);
        String ptx = assembled("fp8_per_tensor", ptx(ir, 8, target), target);
        String loop = ptx.substring(ptx.indexOf("\n$L_pipelined_head"), ptx.indexOf("\n$L_pipelined_end"));
        assertEquals(4, occurrences(loop, "wgmma.mma_async.sync.aligned.m64n256k32.f32.e4m3.e4m3 {"), loop);
        assertEquals(0, occurrences(loop, "bar.sync") + occurrences(loop, "ld.shared") + occurrences(loop, "st.shared") + occurrences(loop, "ld.global"), loop);
    }

    private static String assembled(String name, PtxModule m, Target target) throws Exception {
        Ptxas.Report r = Ptxas.assemble(m.ptx(), target.ptx().arch());
        Dumps.write(name + "_" + target.ptx().arch(), m.ptx(), r.output());
        assertTrue(r.ok(), r::output);
        assertEquals(0, Math.max(0, r.spillStores()) + Math.max(0, r.spillLoads()), r::output);
        return m.ptx();
    }
}
