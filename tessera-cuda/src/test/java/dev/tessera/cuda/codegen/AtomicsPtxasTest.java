package dev.tessera.cuda.codegen;

import static dev.tessera.cuda.codegen.Kernels.*;
import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.backend.LaunchOptions;
import dev.tessera.ir.KernelIR;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.MemoryOrder;
import dev.tessera.lang.Tile;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;

/**
 * How atomics reach PTX: an add whose old values nothing reads is a reduction ({@code red}) when
 * relaxed or release, an {@code atom} when it must acquire; f32 adds over contiguous, aligned
 * elements are vectors of 4 on sm_90 (PTX 8.1+), one element an instruction on sm_80 and where a
 * mask or the pointers forbid; ptxas assembles every form.
 */
class AtomicsPtxasTest {

    /** Adds x into acc, [BLOCK] a program; with KEEP the old values are stored to old. */
    @Kernel
    static void accumulate(Tile x, Tile acc, Tile old, Tile n, @Constexpr int BLOCK, @Constexpr boolean RELAXED, @Constexpr boolean KEEP,
                           @Constexpr boolean MASKED) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK)), in = MASKED ? offs.lt(n) : null;
        Tile v = MASKED ? load(x.add(offs), in, 0.0) : load(x.add(offs));
        Tile was = RELAXED ? atomicAdd(acc.add(offs), v, in, MemoryOrder.Semantic.RELAXED, MemoryOrder.Scope.GPU) : atomicAdd(acc.add(offs), v, in);
        if (KEEP) store(old.add(offs), was, in);
    }

    private static String ptx(Target target, DType t, boolean relaxed, boolean keep, boolean masked) throws Exception {
        KernelIR ir = ir(AtomicsPtxasTest.class, "accumulate", args(ptr(t), ptr(t), ptr(t), i32Div16()), "BLOCK", 1024, "RELAXED", relaxed, "KEEP", keep,
                "MASKED", masked);
        PtxModule m = PtxCodegen.generate(ir, new LaunchOptions(4, 1), target);
        Ptxas.Report r = Ptxas.assemble(m.ptx(), target.ptx().arch());
        assertTrue(r.ok(), r.output());
        return m.ptx();
    }

    private static int count(String ptx, String needle) { return ptx.split(java.util.regex.Pattern.quote(needle), -1).length - 1; }

    @Test
    void unreadRelaxedF32AddsAreVectorReductionsOnHopper() throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target hopper = Ptxas.target(9, 0);
        assumeTrue(hopper.vectorAtomics(), "this toolkit's PTX is older than 8.1");
        // 1024 elements on 128 threads: 8 a thread, two vectors of 4
        String p = ptx(hopper, DType.F32, true, false, false);
        assertEquals(2, count(p, "red.relaxed.gpu.global.add.v4.f32"), p);
        assertEquals(0, count(p, "atom."), p);
        // masked by offs < n with n a multiple of 16: a run of 4 is under one mask bit
        String masked = ptx(hopper, DType.F32, true, false, true);
        assertEquals(2, count(masked, "red.relaxed.gpu.global.add.v4.f32"), masked);
        // the old values read: atom, still vectors
        String kept = ptx(hopper, DType.F32, true, true, false);
        assertEquals(2, count(kept, "atom.relaxed.gpu.global.add.v4.f32"), kept);
        // acq_rel (the language's default) cannot be a red: atom, vectors
        String acqRel = ptx(hopper, DType.F32, false, false, false);
        assertEquals(2, count(acqRel, "atom.acq_rel.gpu.global.add.v4.f32"), acqRel);
        assertEquals(0, count(acqRel, "red."), acqRel);
    }

    @Test
    void elsewhereEachElementIsOneInstruction() throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        String ampere = ptx(Ptxas.target(8, 0), DType.F32, true, false, false);
        assertEquals(8, count(ampere, "red.relaxed.gpu.global.add.f32"), ampere);
        String noVectors = ptx(Ptxas.target(9, 0).withoutVectorAtomics(), DType.F32, true, false, false);
        assertEquals(8, count(noVectors, "red.relaxed.gpu.global.add.f32"), noVectors);
        // i32 adds are not vectors in PTX: red, one element each
        String ints = ptx(Ptxas.target(9, 0), DType.I32, true, false, false);
        assertEquals(8, count(ints, "red.relaxed.gpu.global.add.u32"), ints);
        // bf16 adds reduce natively on sm_90
        String bf16 = ptx(Ptxas.target(9, 0), DType.BF16, true, false, false);
        assertEquals(8, count(bf16, "red.relaxed.gpu.global.add.noftz.bf16"), bf16);
    }
}
