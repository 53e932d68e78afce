package dev.tessera.cuda.codegen;

import static dev.tessera.cuda.codegen.Kernels.*;
import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.ir.KernelIR;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.trace.ArgSpec;
import dev.tessera.types.DType;
import dev.tessera.types.DescriptorType;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Tensor descriptors' PTX: on sm_90a each load site is one armed mbarrier, one bulk tensor copy
 * and a parity wait, each store one bulk copy with its commit and read wait, the maps passed as
 * 128-byte grid constants; on sm_80 (and sm_90a with TMA turned off) the same kernels are masked
 * global accesses with no trace of TMA. ptxas assembles all of them, without spills.
 */
class TmaPtxasTest {
    /** A GEMM-shaped loop: both operands through descriptors, the product stored through one. */
    @Kernel
    static void matmul(TensorDesc a, TensorDesc b, TensorDesc c, Tile K, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile m = programId(0).mul(BM), n = programId(1).mul(BN);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(K, BK))) acc.set(dot(load(a, m, k.mul(BK)), load(b, k.mul(BK), n), acc.get()));
        store(c, at(m, n), acc.get());
    }

    /** A 3-d block (heads × rows × columns) copied with a shift. */
    @Kernel
    static void copy3d(TensorDesc in, TensorDesc out, @Constexpr int BH, @Constexpr int BM, @Constexpr int BN) {
        Tile h = programId(0).mul(BH), m = programId(1).mul(BM), n = programId(2).mul(BN);
        store(out, at(h, m, n), load(in, h, m.sub(1), n).mul(3));
    }

    static ArgSpec desc(DType t, Integer... block) { return new ArgSpec(new DescriptorType(t, List.of(block)), 16, false); }

    @ParameterizedTest(name = "{0} {1}x{2}x{3} on {4} warps, sm_{5}0, TMA {6}")
    @CsvSource({"f16, 128, 128, 64, 8, 9, true", "bf16, 64, 64, 64, 4, 9, true", "fp8e4m3, 64, 64, 64, 4, 9, true",
            "f16, 64, 64, 32, 4, 8, false", "f16, 64, 64, 32, 4, 9, false"})
    void matmulLoop(String dtype, int bm, int bn, int bk, int warps, int major, boolean tma) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        DType t = DType.parse(dtype);
        Target target = Ptxas.target(major, 0);
        if (!tma) target = target.withoutTma();
        KernelIR ir = ir(TmaPtxasTest.class, "matmul", args(desc(t, bm, bk), desc(t, bk, bn), desc(DType.F32, bm, bn), i32()),
                "BM", bm, "BN", bn, "BK", bk);
        String ptx = assembled("matmul_" + dtype + "_" + bm + "x" + bn + "x" + bk, ptx(ir, warps, target), target);
        if (tma) {
            assertEquals(2, occurrences(ptx, "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes"), "a copy per load site");
            assertEquals(2, occurrences(ptx, "mbarrier.init.shared::cta.b64"), "a barrier per load site");
            assertEquals(2, occurrences(ptx, "mbarrier.try_wait.parity.shared::cta.b64"), ptx);
            assertEquals(1, occurrences(ptx, "cp.async.bulk.tensor.2d.global.shared::cta.bulk_group"), "the store");
            assertEquals(1, occurrences(ptx, "cp.async.bulk.wait_group.read 0"), "the store's box is read before reuse");
            assertEquals(3, occurrences(ptx, ".param .align 64 .b8"), "three tensor maps");
            assertTrue(ptx.contains(".extern .shared .align 1024") || ptx.contains(".extern .shared .align 128"), "boxes on 128 bytes");
            assertEquals(0, occurrences(ptx, "ld.global"), "every read is a TMA copy");
        } else {
            assertEquals(0, occurrences(ptx, "cp.async.bulk") + occurrences(ptx, "mbarrier"), "no TMA without the target's or with it off");
            assertEquals(0, occurrences(ptx, ".b8 param"), "descriptors are base, shape and strides");
            assertTrue(occurrences(ptx, "st.global") > 0, ptx);
        }
    }

    @ParameterizedTest(name = "sm_{0}0")
    @CsvSource({"9", "8"})
    void threeDimensionalBlocks(int major) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target target = Ptxas.target(major, 0);
        KernelIR ir = ir(TmaPtxasTest.class, "copy3d", args(desc(DType.BF16, 2, 16, 64), desc(DType.BF16, 2, 16, 64)), "BH", 2, "BM", 16, "BN", 64);
        String ptx = assembled("copy3d", ptx(ir, 4, target), target);
        assertEquals(major >= 9 ? 1 : 0, occurrences(ptx, "cp.async.bulk.tensor.3d.shared::cluster.global"), ptx);
        assertEquals(major >= 9 ? 1 : 0, occurrences(ptx, "cp.async.bulk.tensor.3d.global.shared::cta.bulk_group"), ptx);
    }

    private static String assembled(String name, PtxModule m, Target target) throws Exception {
        Ptxas.Report r = Ptxas.assemble(m.ptx(), target.ptx().arch());
        Dumps.write("tma_" + name + "_" + target.ptx().arch() + (target.tma() ? "" : "_no_tma"), m.ptx(), r.output());
        assertTrue(r.ok(), r::output);
        assertEquals(0, Math.max(0, r.spillStores()) + Math.max(0, r.spillLoads()), r::output);
        return m.ptx();
    }
}
