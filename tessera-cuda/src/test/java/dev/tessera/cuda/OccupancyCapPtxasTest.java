package dev.tessera.cuda;

import static dev.tessera.cuda.codegen.Kernels.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.backend.LaunchOptions;
import dev.tessera.cuda.codegen.DemoKernels;
import dev.tessera.cuda.codegen.Occupancy;
import dev.tessera.cuda.codegen.Ptxas;
import dev.tessera.cuda.codegen.PtxCodegen;
import dev.tessera.cuda.codegen.PtxModule;
import dev.tessera.cuda.codegen.Target;
import dev.tessera.ir.KernelIR;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;

/**
 * The occupancy floor of 512-thread blocks: ptxas keeps a long-row softmax within 64 registers
 * without spilling, and a kernel far too large for 64 registers spills much when capped, which is
 * why the CUDA compiler falls back to the uncapped PTX when the loaded kernel uses more local
 * memory than {@link Occupancy#CAPPED_LOCAL_ALLOWANCE} ({@code OccupancyCapGpuTest} checks that
 * on a GPU).
 */
class OccupancyCapPtxasTest {

    @Test
    void capOnlyForLargeBlocks() {
        assertEquals(0, Occupancy.minBlocksPerSm(128));
        assertEquals(0, Occupancy.minBlocksPerSm(256));
        assertEquals(2, Occupancy.minBlocksPerSm(512));
        assertEquals(0, Occupancy.minBlocksPerSm(1024));
    }

    @Test
    void longRowSoftmaxFitsTheCap() throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        KernelIR ir = ir(DemoKernels.class, "softmax", args(ptr(DType.F32), ptr(DType.F32), i32Div16(), i32Div16()), "BLOCK", 16384);
        Target target = Ptxas.target(9, 0);
        PtxModule m = PtxCodegen.generate(ir, new LaunchOptions(16, 1), target);
        assertTrue(m.ptx().contains(".minnctapersm 2"), "512-thread blocks carry the occupancy floor");
        Ptxas.Report r = Ptxas.assemble(m.ptx(), target.ptx().arch());
        assertTrue(r.ok(), r.output());
        assertTrue(r.registers() <= 64, () -> "capped at 64 registers:\n" + r.output());
        assertEquals(0, r.spillStores(), r.output());
    }

    @Test
    void aLargeTileSpillsMuchUnderTheCapButNotWithout() throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        KernelIR ir = bigMatmul();
        Target target = Ptxas.target(9, 0);
        Ptxas.Report capped = Ptxas.assemble(PtxCodegen.generate(ir, new LaunchOptions(16, 1), target, Occupancy.minBlocksPerSm(512)).ptx(), target.ptx().arch());
        Ptxas.Report free = Ptxas.assemble(PtxCodegen.generate(ir, new LaunchOptions(16, 1), target, 0).ptx(), target.ptx().arch());
        assertTrue(capped.ok() && free.ok(), capped.output() + free.output());
        assertTrue(capped.stackFrame() > Occupancy.CAPPED_LOCAL_ALLOWANCE, () -> "expected the capped kernel to spill much:\n" + capped.output());
        assertEquals(0, free.spillStores(), free.output());
    }

    /** A 256x128 f32 FMA matmul tile on 512 threads: 64 accumulators a thread, more than 64 registers in all. */
    static KernelIR bigMatmul() {
        return ir(DemoKernels.class, "matmul", args(ptr(DType.F32), ptr(DType.F32), ptr(DType.F32), i32Div16(), i32Div16(), i32Div16()),
                "BM", 256, "BN", 128, "BK", 32);
    }
}
