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
 * Tensor descriptors' PTX: on sm_90a a load site on its own is one armed mbarrier, one bulk tensor
 * copy and a parity wait; loads that feed wgmma in a pipelined loop are copied into their slots
 * with one mbarrier a slot, one box per 128-byte atom of the tile, and no cp.async at all; each
 * store is one bulk copy with its commit and read wait, the maps passed as 128-byte grid constants;
 * no mbarrier is a static {@code .shared} variable (it would push the dynamic array off its
 * alignment). On sm_80 (and sm_90a with TMA turned off) the same kernels are masked global accesses
 * with no trace of TMA. ptxas assembles all of them, without spills.
 */
class TmaPtxasTest {
    /** A linear layer's product x·Wᵀ: W [N, K] row-major, its block transposed into the dot's B. */
    @Kernel
    static void matmulTransposedB(TensorDesc a, TensorDesc w, Tile c, Tile K, Tile N, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile m = programId(0).mul(BM), n = programId(1).mul(BN);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(K, BK))) acc.set(dot(load(a, m, k.mul(BK)), trans(load(w, n, k.mul(BK))), acc.get()));
        Tile rows = m.add(arange(0, BM)), cols = n.add(arange(0, BN));
        store(c.add(rows.col().mul(N)).add(cols.row()), acc.get().to(BF16));
    }

    /**
     * W's blocks [BN, BK] land K-major, which is B's other major order, so the transpose is never
     * lowered: the same boxes, no data through registers (no ld.shared, no stmatrix in the loop), and
     * wgmma told B is K-major (its transpose bit 0).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"bf16", "f16"})
    void aTransposedBlockFeedsWgmmaAsItLanded(String dtype) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        DType t = DType.parse(dtype);
        Target target = Ptxas.target(9, 0);
        KernelIR ir = ir(TmaPtxasTest.class, "matmulTransposedB", args(desc(t, 128, 64), desc(t, 256, 64), ptr(DType.BF16), i32(), i32Div16()),
                "BM", 128, "BN", 256, "BK", 64);
        String ptx = assembled("matmul_nt_" + dtype, ptx(ir, 8, target), target);
        assertEquals(4, occurrences(ptx, "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes"), "one box each, twice");
        String loop = ptx.substring(ptx.indexOf("\n$L_pipelined_head"), ptx.indexOf("\n$L_pipelined_end"));
        assertEquals(0, occurrences(loop, "ld.shared") + occurrences(loop, "st.shared") + occurrences(loop, "stmatrix"), loop);
        assertTrue(occurrences(loop, "wgmma.mma_async") > 0 && loop.contains(", 1, 1, 0, 0;"), "A and B K-major: " + loop);
    }

    /**
     * Warp specialization (opt-in): a fourth warpgroup, the producer, branches to its own program and
     * issues every copy after its slot's release; the eight consumer warps only wait for their
     * slots, multiply and release them. The consumers' barriers count only them (barrier 0 of 256
     * threads), both sides meet once before the loop (barrier 1 of 384). The block starts with 168
     * registers a thread (.maxnreg), exactly as ptxas allocates them: the producer gives 128 back
     * and the consumers claim 64 each (setmaxnreg), which the pool must hold or they would wait forever.
     */
    @ParameterizedTest(name = "{0} stages")
    @CsvSource({"3", "4"})
    void aProducerWarpIssuesTheCopies(int stages) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target target = Ptxas.target(9, 0).withWarpSpecialization();
        KernelIR ir = ir(DescriptorKernels.class, "matmul", args(desc(DType.BF16, 128, 64), desc(DType.BF16, 64, 256), desc(DType.F32, 128, 256), i32()),
                "BM", 128, "BN", 256, "BK", 64);
        PtxModule m = PtxCodegen.generate(ir, new dev.tessera.backend.LaunchOptions(8, stages), target);
        String ptx = assembled("matmul_specialized_" + stages, m, target);
        assertEquals(384, m.threads(), "eight consumer warps and the producer's warpgroup");
        assertTrue(ptx.contains(".reqntid 384, 1, 1") && ptx.contains(".maxnreg 168"), ptx);
        assertEquals(168, Ptxas.assemble(ptx, "sm_90a").registers(), "the registers the split counts on");
        assertEquals(168, m.splitRegisters(), "what the loader checks the driver's build against");
        assertEquals(1, occurrences(ptx.substring(0, ptx.indexOf("\n$L_producer")), "setmaxnreg.inc.sync.aligned.u32 232;"), "the consumers' claim");
        assertEquals(1, occurrences(ptx.substring(ptx.indexOf("\n$L_producer")), "setmaxnreg.dec.sync.aligned.u32 40;"), "the producer's release");
        assertEquals(2, occurrences(ptx, "setmaxnreg"));
        int producer = ptx.indexOf("\n$L_producer"), exit = ptx.indexOf("\n$L_exit");
        assertTrue(producer > 0 && exit > producer, "the producer's program after the consumers'");
        String consumers = ptx.substring(0, producer), produce = ptx.substring(producer, exit);
        assertEquals(0, occurrences(consumers, "cp.async.bulk.tensor.2d.shared::cluster"), "no copy issued by a consumer");
        assertEquals(5, occurrences(produce, "cp.async.bulk.tensor.2d.shared::cluster"), "A's box and B's four, once, in the producer's loop");
        assertEquals(0, occurrences(produce, "wgmma") + occurrences(produce, "ld.global") + occurrences(produce, "st."), "the producer only copies");
        assertEquals(1, occurrences(produce, "mbarrier.try_wait"), "the producer waits for releases only");
        assertEquals(1, occurrences(produce, "bar.sync 1, 384;"), "the producer meets the consumers once");
        assertEquals(1, occurrences(consumers, "bar.sync 1, 384;"), "and they it");
        assertEquals(0, occurrences(ptx, "bar.sync 0;"), "no barrier of the whole block besides the meeting");
        String loop = consumers.substring(consumers.indexOf("\n$L_pipelined_head"), consumers.indexOf("\n$L_pipelined_end"));
        assertEquals(0, occurrences(loop, "bar.sync"), loop);
        assertEquals(1, occurrences(loop, "mbarrier.try_wait") , "the consumers wait for their slot's copies");
        assertEquals(1, occurrences(loop, "mbarrier.arrive.shared::cta.b64"), "and release it");
        assertTrue(occurrences(consumers, "bar.sync 0, 256;") > 0, "the consumers' barriers count only them");
    }

    /** The block at (row, column) of {@code in}, stored to {@code out}'s block of this program. */
    @Kernel
    static void shiftedBlock(TensorDesc in, TensorDesc out, Tile row, Tile col, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM), n = programId(1).mul(BN);
        store(out, at(m, n), load(in, m.add(row), n.add(col)));
    }

    /**
     * A box must start on a 16-byte column (the copy unit faulted with an illegal instruction on an
     * H100 for a box 20 bytes in): where AxisInfo cannot prove the innermost offset a multiple of
     * 16 bytes that descriptor's loads are masked; where it can, TMA. Rows may start anywhere. The
     * store, at the program's block, stays a bulk copy either way.
     */
    @ParameterizedTest(name = "column offset divisible by 16: {0}")
    @CsvSource({"false", "true"})
    void aBoxOffA16ByteColumnIsNotCopiedByTma(boolean aligned) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target target = Ptxas.target(9, 0);
        KernelIR ir = ir(TmaPtxasTest.class, "shiftedBlock", args(desc(DType.F32, 16, 8), desc(DType.F32, 16, 8), i32(), aligned ? i32Div16() : i32()),
                "BM", 16, "BN", 8);
        String ptx = assembled("shifted_" + aligned, ptx(ir, 4, target), target);
        assertEquals(aligned ? 1 : 0, occurrences(ptx, "cp.async.bulk.tensor.2d.shared::cluster.global"), ptx);
        assertEquals(1, occurrences(ptx, "cp.async.bulk.tensor.2d.global.shared::cta"), "the store: " + ptx);
        assertEquals(aligned ? 0 : 1, occurrences(ptx, "ld.global") > 0 ? 1 : 0, "masked loads instead");
    }

    /** A block of {@code in} at (row, column) stored at (row, column) back from the program's block. */
    @Kernel
    static void shiftedBack(TensorDesc in, TensorDesc out, Tile row, Tile col, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM), n = programId(1).mul(BN);
        store(out, at(m.sub(row), n.sub(col)), load(in, m.add(row), n.add(col)));
    }

    /**
     * A store's box must not start before the tensor (the copy unit faulted with an illegal
     * instruction on an H100 for boxes at row -5 and at column -16; loads there are fine): where
     * AxisInfo cannot prove a store's offsets non-negative, that descriptor's stores are masked,
     * and the loads of the other stay TMA copies.
     */
    @org.junit.jupiter.api.Test
    void aStoreThatMayStartBeforeTheTensorIsMasked() throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target target = Ptxas.target(9, 0);
        KernelIR ir = ir(TmaPtxasTest.class, "shiftedBack", args(desc(DType.F32, 32, 16), desc(DType.F32, 32, 16), i32(), i32Div16()),
                "BM", 32, "BN", 16);
        String ptx = assembled("shifted_back", ptx(ir, 4, target), target);
        assertEquals(1, occurrences(ptx, "cp.async.bulk.tensor.2d.shared::cluster.global"), "the load: " + ptx);
        assertEquals(0, occurrences(ptx, "cp.async.bulk.tensor.2d.global.shared::cta"), "no bulk store: " + ptx);
        assertTrue(occurrences(ptx, "st.global") > 0, "masked stores: " + ptx);
        assertEquals(1, occurrences(ptx, ".param .align 64 .b8"), "one tensor map, for in");
    }

    /**
     * A split-K product's slice added into C through its descriptor, and a loop adding one block a
     * step (as attention's backward pass adds dQ): adds whose offsets AxisInfo proves non-negative
     * and on 16-byte columns.
     */
    @Kernel
    static void sliceAddedIntoC(TensorDesc a, TensorDesc b, TensorDesc c, Tile steps, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile m = programId(0).mul(BM), n = programId(1).mul(BN), k0 = programId(2).mul(steps);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(k0, k0.add(steps))) acc.set(dot(load(a, m, k.mul(BK)), load(b, k.mul(BK), n), acc.get()));
        atomicAdd(c, at(m, n), acc.get());
    }

    @Kernel
    static void addsInALoop(Tile x, TensorDesc sums, Tile rows, @Constexpr int BM, @Constexpr int D) {
        for (Tile i : range(0, cdiv(rows, BM))) {
            Tile r = i.mul(BM).add(arange(0, BM));
            Tile block = load(x.add(r.col().mul(D)).add(arange(0, D).row()), r.col().lt(rows), 0.0);
            atomicAdd(sums, at(i.mul(BM), scalar(0)), block.mul(block));
        }
    }

    /** {@link #addsInALoop} with the blocks moved by a row offset of unknown sign. */
    @Kernel
    static void shiftedAdds(Tile x, TensorDesc sums, Tile rows, Tile shift, @Constexpr int BM, @Constexpr int D) {
        Tile r = programId(0).mul(BM).add(arange(0, BM));
        atomicAdd(sums, at(programId(0).mul(BM).add(shift), scalar(0)), load(x.add(r.col().mul(D)).add(arange(0, D).row()), r.col().lt(rows), 0.0));
    }

    /**
     * A descriptor's atomic add on sm_90a is one bulk reduction from a box of its own: no thread
     * waits for it after issuing it; the issuing thread waits until the unit has read the box only
     * before the box is written again (in a loop, the next step; once, before the first write), and
     * for every reduction at the kernel's end. In the matmul the slots' pipelined loop and the box
     * coexist. On sm_80 the same kernels are relaxed vector-free atomics ({@code red}).
     */
    @ParameterizedTest(name = "sm_{0}0")
    @CsvSource({"9", "8"})
    void anAtomicAddIsOneBulkReductionWaitedForBeforeItsBoxIsWrittenAgain(int major) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target target = Ptxas.target(major, 0);
        String reduce = "cp.reduce.async.bulk.tensor.2d.global.shared::cta.add.tile.bulk_group";
        KernelIR matmul = ir(TmaPtxasTest.class, "sliceAddedIntoC", args(desc(DType.BF16, 128, 64), desc(DType.BF16, 64, 128), desc(DType.F32, 128, 128), i32()),
                "BM", 128, "BN", 128, "BK", 64);
        KernelIR loop = ir(TmaPtxasTest.class, "addsInALoop", args(ptr(DType.F32), desc(DType.F32, 32, 64), i32()), "BM", 32, "D", 64);
        for (var kernel : List.of(java.util.Map.entry("slice", matmul), java.util.Map.entry("loop", loop))) {
            String ptx = assembled("reduce_" + kernel.getKey(), ptx(kernel.getValue(), 8, target), target);
            if (major < 9) {
                assertEquals(0, occurrences(ptx, "cp.reduce") + occurrences(ptx, "cp.async.bulk"), ptx);
                assertTrue(occurrences(ptx, "red.relaxed.gpu.global.add.f32") > 0 && occurrences(ptx, "\tatom.") == 0, "relaxed adds, no old values: " + ptx);
                continue;
            }
            assertEquals(1, occurrences(ptx, reduce), ptx);
            assertEquals(0, occurrences(ptx, "\tred.") + occurrences(ptx, "\tatom."), ptx);
            int issued = ptx.indexOf(reduce), boxWritten = ptx.lastIndexOf("st.shared", issued);
            int readWait = ptx.lastIndexOf("cp.async.bulk.wait_group.read 0", boxWritten);
            assertTrue(readWait >= 0 && ptx.indexOf("bar.sync", readWait) < boxWritten, "the box's last read waited for, then a barrier, before it is written: " + ptx);
            assertEquals(1, occurrences(ptx, "cp.async.bulk.wait_group.read 0"), "no wait after issuing: " + ptx);
            assertTrue(ptx.indexOf("cp.async.bulk.commit_group", issued) > issued, ptx);
            int end = ptx.indexOf("cp.async.bulk.wait_group 0");
            assertTrue(end > issued && ptx.indexOf("ret;", end) > end && occurrences(ptx, "cp.async.bulk.wait_group 0") == 1, "the kernel's end waits for the sums: " + ptx);
        }
        KernelIR shifted = ir(TmaPtxasTest.class, "shiftedAdds", args(ptr(DType.F32), desc(DType.F32, 32, 64), i32(), i32()), "BM", 32, "D", 64);
        String ptx = assembled("reduce_shifted", ptx(shifted, 8, target), target);
        assertEquals(0, occurrences(ptx, "cp.reduce"), "a block that may start before the tensor is added by masked atomics: " + ptx);
        assertTrue(occurrences(ptx, "red.relaxed.gpu.global") > 0, ptx);
    }

    /** Each program sums its rows' blocks of BN columns: a reduction over a row, no dot. */
    @Kernel
    static void rowSums(TensorDesc x, Tile out, Tile cols, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(cols, BN))) acc.set(acc.get().add(load(x, m, k.mul(BN)).to(F32)));
        store(out.add(m.add(arange(0, BM))), sum(acc.get(), 1));
    }

    /**
     * A loop that only reads descriptor blocks for other ops than wgmma (a reduction over a row) is
     * pipelined too: each block copied by the unit into a row-major slot {@code stages − 1}
     * iterations ahead (one box a block), every thread waiting only for its slot's mbarrier and
     * reading its elements from there, each warp releasing the slot after its reads; no barrier of
     * the whole block in the loop. With one stage a single load per iteration, waited for at once.
     */
    @ParameterizedTest(name = "{0} stages")
    @CsvSource({"1", "3", "4"})
    void aLoopReadingBlocksForOtherOpsCopiesThemAhead(int stages) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target target = Ptxas.target(9, 0);
        KernelIR ir = ir(TmaPtxasTest.class, "rowSums", args(desc(DType.BF16, 16, 256), ptr(DType.F32), i32()), "BM", 16, "BN", 256);
        PtxModule m = PtxCodegen.generate(ir, new dev.tessera.backend.LaunchOptions(4, stages), target);
        String ptx = assembled("row_sums_" + stages, m, target);
        String box = "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes";
        if (stages == 1) {
            assertEquals(-1, ptx.indexOf("$L_pipelined_head"), ptx);
            assertEquals(1, occurrences(ptx, box), ptx);
            return;
        }
        String loop = ptx.substring(ptx.indexOf("\n$L_pipelined_head"), ptx.indexOf("\n$L_pipelined_end"));
        assertEquals(stages, occurrences(ptx, box), "the prologue's " + (stages - 1) + " copies and the loop's one: " + ptx);
        assertEquals(1, occurrences(loop, box), loop);
        assertEquals(0, occurrences(loop, "bar.sync"), "no barrier of the whole block: " + loop);
        assertTrue(occurrences(loop, "ld.shared.v4") > 0 && occurrences(loop, "mbarrier.try_wait.parity") >= 2, "its slot waited for, read in vectors; its release waited for: " + loop);
        assertEquals(1, occurrences(loop, "mbarrier.arrive.shared::cta.b64"), "each warp releases the slot: " + loop);
        assertTrue(loop.indexOf("bar.warp.sync -1") < loop.indexOf("mbarrier.arrive.shared::cta.b64"), "the warp's reads before its release");
        assertEquals(2 * stages, occurrences(ptx, "mbarrier.init.shared::cta.b64"), "a landed and a released mbarrier a slot");
        assertEquals(new PtxModule.MapBox(List.of(16, 256), 0), m.maps().get(0), "the map's box: the block, unswizzled");
        assertTrue(m.sharedBytes() >= stages * 16 * 256 * 2, "a slot a stage");
    }

    /** A loop whose second load's column comes from the first load's values. */
    @Kernel
    static void chasedBlocks(TensorDesc x, Tile out, Tile cols, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(cols, BN))) {
            Tile first = load(x, m, k.mul(BN)).to(F32);
            Tile column = minimum(maximum(max(max(first, 1), 0).to(I32), 0), k).mul(BN);
            acc.set(acc.get().add(first).add(load(x, m, column).to(F32)));
        }
        store(out.add(m.add(arange(0, BM))), sum(acc.get(), 1));
    }

    /** Stage 0 would need a copied block's values for the next copy's offsets, which land only in a slot: the loop stays as it is. */
    @org.junit.jupiter.api.Test
    void aCopyWhoseOffsetsComeFromAnotherCopiedBlockIsNotPipelined() throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target target = Ptxas.target(9, 0);
        KernelIR ir = ir(TmaPtxasTest.class, "chasedBlocks", args(desc(DType.BF16, 16, 256), ptr(DType.F32), i32()), "BM", 16, "BN", 256);
        String ptx = assembled("chased_blocks", PtxCodegen.generate(ir, new dev.tessera.backend.LaunchOptions(4, 3), target), target);
        assertEquals(-1, ptx.indexOf("$L_pipelined_head"), ptx);
        assertEquals(2, occurrences(ptx, "cp.async.bulk.tensor.2d.shared::cluster.global"), "two single loads: " + ptx);
    }

    /** Each program writes its block through pointers, then (after a barrier) reads a neighbour's through the descriptor. */
    @Kernel
    static void writtenThenCopied(TensorDesc x, Tile base, Tile out, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM), rows = m.add(arange(0, BM)), cols = arange(0, BN);
        store(base.add(rows.col().mul(BN)).add(cols.row()), full(F32, 1.0, BM, BN));
        debugBarrier();
        store(out.add(rows.col().mul(BN)).add(cols.row()), load(x, m, scalar(0)));
    }

    /**
     * Generic writes and the copy unit's reads go through different proxies: where a kernel does both,
     * its barriers also fence each thread's writes before the async proxy ({@code fence.proxy.async.global}
     * before {@code bar.sync}); a kernel that only reads through descriptors keeps plain barriers.
     */
    @org.junit.jupiter.api.Test
    void aBarrierOrdersGenericWritesBeforeTheCopyUnitsReads() throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Target target = Ptxas.target(9, 0);
        KernelIR ir = ir(TmaPtxasTest.class, "writtenThenCopied", args(desc(DType.F32, 16, 64), ptr(DType.F32), ptr(DType.F32)), "BM", 16, "BN", 64);
        String ptx = assembled("written_then_copied", ptx(ir, 4, target), target);
        int fence = ptx.indexOf("fence.proxy.async.global"), copy = ptx.indexOf("cp.async.bulk.tensor.2d.shared::cluster.global");
        assertTrue(fence > ptx.indexOf("st.global") && fence < copy && ptx.indexOf("bar.sync", fence) < copy, ptx);
        KernelIR reads = ir(TmaPtxasTest.class, "rowSums", args(desc(DType.BF16, 16, 256), ptr(DType.F32), i32()), "BM", 16, "BN", 256);
        assertEquals(-1, ptx(reads, 4, target).ptx().indexOf("fence.proxy.async.global"), "no generic write before the reads: no fence");
    }

    /** A 3-d block (heads × rows × columns) copied with a shift. */
    @Kernel
    static void copy3d(TensorDesc in, TensorDesc out, @Constexpr int BH, @Constexpr int BM, @Constexpr int BN) {
        Tile h = programId(0).mul(BH), m = programId(1).mul(BM), n = programId(2).mul(BN);
        store(out, at(h, m, n), load(in, h, m.sub(1), n).mul(3));
    }

    static ArgSpec desc(DType t, Integer... block) { return new ArgSpec(new DescriptorType(t, List.of(block)), 16, false); }

    /**
     * {@code copies}: the bulk tensor copies in the text. Pipelined (3 stages, one wgmma group in
     * flight, so stage 0 runs one iteration ahead): a prologue's and the loop's, each one box for A
     * and one per 64-element atom of B's N (f16 128×128×64: (1 + 2) × 2). fp8 runs on mma.sync here,
     * its two loads on their own.
     */
    @ParameterizedTest(name = "{0} {1}x{2}x{3} on {4} warps, sm_{5}0, TMA {6}")
    @CsvSource({"f16, 128, 128, 64, 8, 9, true, true, 6", "bf16, 128, 256, 64, 8, 9, true, true, 10", "bf16, 64, 64, 64, 4, 9, true, true, 4", "fp8e4m3, 64, 64, 64, 4, 9, true, false, 2",
            "f16, 64, 64, 32, 4, 8, false, false, 0", "f16, 64, 64, 32, 4, 9, false, false, 0"})
    void matmulLoop(String dtype, int bm, int bn, int bk, int warps, int major, boolean tma, boolean pipelined, int copies) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        DType t = DType.parse(dtype);
        Target target = Ptxas.target(major, 0);
        if (!tma) target = target.withoutTma();
        KernelIR ir = ir(DescriptorKernels.class, "matmul", args(desc(t, bm, bk), desc(t, bk, bn), desc(DType.F32, bm, bn), i32()),
                "BM", bm, "BN", bn, "BK", bk);
        String ptx = assembled("matmul_" + dtype + "_" + bm + "x" + bn + "x" + bk, ptx(ir, warps, target), target);
        if (tma) {
            assertEquals(copies, occurrences(ptx, "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes"), ptx);
            assertEquals(pipelined ? 6 : 2, occurrences(ptx, "mbarrier.init.shared::cta.b64"), "two barriers a slot (landed, released), or one a load site");
            assertEquals(pipelined ? 2 : 2, occurrences(ptx, "mbarrier.try_wait.parity.shared::cta.b64"), ptx);
            assertEquals(pipelined ? 6 : 0, occurrences(ptx, "mbarrier.inval.shared::cta.b64"), "a loop's barriers are invalidated after it");
            if (pipelined) {
                // no barrier of the whole block in the loop: each warp releases the slot it read, thread 0 waits for that
                String loop = ptx.substring(ptx.indexOf("\n$L_pipelined_head"), ptx.indexOf("\n$L_pipelined_end"));
                assertEquals(0, occurrences(loop, "bar.sync"), loop);
                assertEquals(1, occurrences(loop, "mbarrier.arrive.shared::cta.b64"), loop);
                assertTrue(ptx.contains("mbarrier.init.shared::cta.b64 [%r") && ptx.contains("], " + warps + ";"), "a release takes every warp's arrival");
            }
            assertEquals(0, occurrences(ptx, "cp.async.cg") + occurrences(ptx, "cp.async.ca") + occurrences(ptx, "cp.async.commit_group"), ptx);
            assertTrue(ptx.lines().noneMatch(l -> l.startsWith(".shared")), "no static shared memory");
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
