package dev.tessera.cuda.codegen;

import static dev.tessera.cuda.codegen.Kernels.*;
import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.backend.LaunchOptions;
import dev.tessera.cuda.codegen.gpu.GpuOp;
import dev.tessera.cuda.codegen.gpu.GpuProgram;
import dev.tessera.cuda.codegen.gpu.SharedBuffer;
import dev.tessera.cuda.codegen.layout.LayoutAssignment;
import dev.tessera.cuda.codegen.layout.Rematerialization;
import dev.tessera.cuda.driver.PtxTarget;
import dev.tessera.ir.KernelIR;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.passes.AxisInfo;
import dev.tessera.trace.ArgSpec;
import dev.tessera.types.DType;
import dev.tessera.types.DescriptorType;
import java.util.List;
import org.junit.jupiter.api.Test;
import dev.tessera.lang.Precision;

/** The GPU IR's passes on traced kernels: which loops are pipelined, how their ops split into stages, and which are left alone. */
class GpuIrPassesTest {
    static final Target SM90A = Target.of(PtxTarget.of(9, 0, 13000));
    /** The same GPU with dots on mma.sync: what the pipelining tests below were written for. */
    static final Target SM90 = SM90A.withoutWgmma();

    /** The library's shape: pointers carried in Vars and advanced each iteration. */
    @Kernel
    public static void carriedPointers(Tile a, Tile b, Tile c, Tile K, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK,
                                       @Constexpr boolean STORE_LAST_POINTER) {
        Tile rm = arange(0, BM), rn = arange(0, BN), rk = arange(0, BK);
        Var aPtr = var(a.add(rm.col().mul(K)).add(rk.row()));
        Var bPtr = var(b.add(rk.col().mul(BN)).add(rn.row()));
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(K, BK))) {
            Tile left = K.sub(k.mul(BK));
            acc.set(dot(load(aPtr.get(), rk.row().lt(left), 0.0), load(bPtr.get(), rk.col().lt(left), 0.0), acc.get()));
            aPtr.set(aPtr.get().add(BK));
            bPtr.set(bPtr.get().add(BK * BN));
        }
        store(c.add(rm.col().mul(BN)).add(rn.row()), acc.get());
        if (STORE_LAST_POINTER) store(c.add(rm.col().mul(BN)).add(rk.row()), load(aPtr.get()).to(F32));
    }

    /** A loaded tile that a store reads besides the dot: it must stay a register load. */
    @Kernel
    public static void tileAlsoStored(Tile a, Tile b, Tile c, Tile K, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile rm = arange(0, BM), rn = arange(0, BN), rk = arange(0, BK);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, K, BK)) {
            Tile at = load(a.add(rm.col().mul(K)).add(k.add(rk).row()));
            Tile bt = load(b.add(k.add(rk).col().mul(BN)).add(rn.row()));
            acc.set(dot(at, bt, acc.get()));
            store(c.add(rm.col().mul(BK)).add(rk.row()), at.to(F32));
        }
        store(c.add(rm.col().mul(BN)).add(rn.row()), acc.get());
    }

    /** A K loop of fp8 dots, each allowed the tensor cores' own sums or not. */
    @Kernel
    public static void fp8Blocks(Tile a, Tile b, Tile c, Tile K, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr boolean FAST) {
        Tile rm = arange(0, BM), rn = arange(0, BN), rk = arange(0, BK);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, K, BK)) {
            Tile at = load(a.add(rm.col().mul(K)).add(k.add(rk).row()));
            Tile bt = load(b.add(rn.row().mul(K)).add(k.add(rk).col()));
            // each block's sum joins acc in f32 (the promotion a fast accumulation wants)
            acc.set(acc.get().add(FAST ? dot(at, bt, null, dev.tessera.lang.Precision.FAST_ACCUMULATION) : dot(at, bt)));
        }
        store(c.add(rm.col().mul(BN)).add(rn.row()), acc.get());
    }

    /** A matmul through descriptors whose A descriptor is also written after the loop: A has two uses. */
    @Kernel
    public static void descriptorAlsoStored(TensorDesc a, TensorDesc b, TensorDesc c, Tile K, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile m = programId(0).mul(BM), n = programId(1).mul(BN);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(K, BK))) acc.set(dot(load(a, m, k.mul(BK)), load(b, k.mul(BK), n), acc.get()));
        store(c, at(m, n), acc.get());
        store(a, at(m, scalar(0)), zeros(BF16, BM, BK));
    }

    /** The matmul through descriptors with one more load of A's first block after the loop, on its own. */
    @Kernel
    public static void descriptorAlsoLoadedAlone(TensorDesc a, TensorDesc b, TensorDesc c, Tile K, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile m = programId(0).mul(BM), n = programId(1).mul(BN);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(K, BK))) acc.set(dot(load(a, m, k.mul(BK)), load(b, k.mul(BK), n), acc.get()));
        store(c, at(m, n), acc.get().add(sum(load(a, m, scalar(0)).to(F32), 1).col()));
    }

    static GpuProgram gpu(KernelIR ir, int warps, int stages) { return gpu(ir, warps, stages, SM90); }

    static GpuProgram gpu(KernelIR ir, int warps, int stages, Target target) {
        AxisInfo axis = AxisInfo.analyze(ir);
        Rematerialization remat = new Rematerialization(ir);
        LayoutAssignment layouts = new LayoutAssignment(ir, warps, target, axis, remat);
        return PtxCodegen.gpuProgram(ir, new LaunchOptions(warps, stages), target, layouts, remat);
    }

    static KernelIR matmul(DType t) {
        return ir(DemoKernels.class, "matmul", args(ptr(t), ptr(t), ptr(DType.F32), i32Div16(), i32Div16(), i32Div16()), "BM", 128, "BN", 128, "BK", 32);
    }

    @Test
    void aMatmulLoopIsPipelinedWithBothOperandsCopied() {
        GpuProgram p = gpu(matmul(DType.BF16), 8, 3);
        GpuOp.PipelinedFor loop = only(p, GpuOp.PipelinedFor.class);
        assertEquals(3, loop.stages());
        assertEquals(2, loop.distance(), "mma.sync is done with its slot when its rule ends");
        List<SharedBuffer> buffers = loop.ahead().stream().filter(o -> o instanceof GpuOp.AsyncCopy).map(o -> ((GpuOp.AsyncCopy) o).buffer()).toList();
        assertEquals(2, buffers.size());
        assertTrue(buffers.get(0).isA() && buffers.get(0).kContiguous(), "A [BM, BK] row-major is K-contiguous");
        assertTrue(!buffers.get(1).isA() && !buffers.get(1).kContiguous(), "B [BK, BN] row-major is N-contiguous (read with ldmatrix.trans)");
        GpuOp.Mma dot = (GpuOp.Mma) loop.current().stream().filter(o -> o instanceof GpuOp.Mma).findFirst().orElseThrow();
        assertTrue(dot.a() == buffers.get(0) && dot.b() == buffers.get(1));
        assertTrue(loop.current().stream().noneMatch(o -> o instanceof GpuOp.Core(dev.tessera.ir.Op.Load l)), "no load is left in stage 1");
        assertEquals(List.of(), loop.aheadCarried());
        // the buffers: 3 slots each, A's at 0, B's after it; scratch gets the space back after the loop
        assertEquals(0, p.offset(buffers.get(0)));
        assertEquals(buffers.get(0).bytes(), p.offset(buffers.get(1)));
        assertEquals(3 * (128 * 32 * 2 + 32 * 128 * 2), p.reservedBytes(loop));
    }

    @Test
    void carriedPointersRunAheadWithTheirCopies() {
        KernelIR ir = ir(GpuIrPassesTest.class, "carriedPointers", args(ptr(DType.F16), ptr(DType.F16), ptr(DType.F32), i32Div16()),
                "BM", 64, "BN", 64, "BK", 32, "STORE_LAST_POINTER", false);
        GpuOp.PipelinedFor loop = only(gpu(ir, 4, 4), GpuOp.PipelinedFor.class);
        assertEquals(2, loop.aheadCarried().size(), "both pointers are updated in stage 0: " + loop.aheadCarried());
        long dotsInStage0 = loop.ahead().stream().filter(o -> o instanceof GpuOp.Core(dev.tessera.ir.Op.Dot d)).count();
        assertEquals(0, dotsInStage0);
    }

    @Test
    void aLoopWhoseAheadValuesAreUsedAfterItIsNotPipelined() {
        KernelIR ir = ir(GpuIrPassesTest.class, "carriedPointers", args(ptr(DType.F16), ptr(DType.F16), ptr(DType.F32), i32Div16()),
                "BM", 64, "BN", 64, "BK", 32, "STORE_LAST_POINTER", true);
        assertTrue(gpu(ir, 4, 3).body().stream().noneMatch(o -> o instanceof GpuOp.PipelinedFor));
    }

    @Test
    void aLoadWithAnotherUseStaysInRegisters() {
        KernelIR ir = ir(GpuIrPassesTest.class, "tileAlsoStored", args(ptr(DType.BF16), ptr(DType.BF16), ptr(DType.F32), i32Div16()),
                "BM", 64, "BN", 64, "BK", 32);
        GpuOp.PipelinedFor loop = only(gpu(ir, 4, 3), GpuOp.PipelinedFor.class);
        long copies = loop.ahead().stream().filter(o -> o instanceof GpuOp.AsyncCopy).count();
        assertEquals(1, copies, "only B is copied asynchronously");
        assertTrue(loop.current().stream().anyMatch(o -> o instanceof GpuOp.Core(dev.tessera.ir.Op.Load l)), "A's load stays in stage 1");
        // k + rk feeds both loads: stage 1 computes it again for its own iteration
        assertTrue(loop.ahead().stream().anyMatch(o -> loop.current().contains(o) && o instanceof GpuOp.Core), "an op of both stages");
        GpuOp.Mma dot = (GpuOp.Mma) loop.current().stream().filter(o -> o instanceof GpuOp.Mma).findFirst().orElseThrow();
        assertTrue(dot.a() == null && dot.b() != null);
    }

    @Test
    void tensorCoreDotsBecomeMmaOpsInsideUnpipelinedLoopsToo() {
        GpuProgram p = gpu(matmul(DType.BF16), 4, 1);
        GpuOp.For loop = only(p, GpuOp.For.class);
        GpuOp.Mma mma = (GpuOp.Mma) loop.body().ops().stream().filter(o -> o instanceof GpuOp.Mma).findFirst().orElseThrow();
        assertEquals("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32", mma.instr().instruction());
        assertTrue(mma.a() == null && mma.b() == null, "operands in registers");
        assertEquals(4, mma.tiling().wm() * mma.tiling().wn());
    }

    @Test
    void onSm90aTheMatmulRunsOnWarpgroupsWithCanonicalBuffers() {
        GpuProgram p = gpu(matmul(DType.BF16), 8, 3, SM90A);
        GpuOp.PipelinedFor loop = only(p, GpuOp.PipelinedFor.class);
        GpuOp.Wgmma dot = (GpuOp.Wgmma) loop.current().stream().filter(o -> o instanceof GpuOp.Wgmma).findFirst().orElseThrow();
        assertEquals("wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16", dot.instr().instruction(dot.groups().instrN()));
        assertEquals(List.of(2, 1, 1, 1), List.of(dot.groups().gm(), dot.groups().gn(), dot.groups().repM(), dot.groups().repN()));
        // A [128, 32] bf16 is K-major in 64-byte rows (the 64-byte swizzle); B [32, 128] is N-major in
        // two atoms of 128 bytes, one after the other; every slot starts on its swizzle's pattern
        SharedBuffer a = dot.a(), b = dot.b();
        assertTrue(a.kContiguous() && a.tile().atomBytes() == 64 && a.tile().alignment() == 512);
        assertTrue(!b.kContiguous() && b.tile().atomBytes() == 128 && b.tile().alignment() == 1024 && b.tile().rowBytes() == 256);
        assertEquals(0, p.offset(a) % 512);
        assertEquals(0, p.offset(b) % 1024);
        assertEquals(0, a.slotBytes() % 512);
        assertEquals(0, b.slotBytes() % 1024);
        // one wgmma group stays in flight into the next iteration, so the copies run one iteration less ahead
        assertEquals(GpuOp.Wgmma.Completion.NEXT_ITERATION, dot.completion(), "the accumulator is carried and read by nothing else");
        assertEquals(1, loop.distance());
        GpuOp.PipelinedFor twoStages = only(gpu(matmul(DType.BF16), 8, 2, SM90A), GpuOp.PipelinedFor.class);
        assertEquals(1, twoStages.distance());
        assertTrue(twoStages.current().stream().noneMatch(o -> o instanceof GpuOp.Wgmma w && w.completion() == GpuOp.Wgmma.Completion.NEXT_ITERATION), "two slots leave none for a pending dot");
        // the accumulator: warp w of a group owns rows 16w.., groups split the rows
        assertEquals(dot.groups().accumulator(), new LayoutAssignment(matmul(DType.BF16), 8, SM90A, AxisInfo.analyze(matmul(DType.BF16)),
                new Rematerialization(matmul(DType.BF16))).dotLayout(dot.dot()));
    }

    @Test
    void aWgmmaReadingItsLoopsBuffersIsWaitedForAtItsFirstReader() {
        // two stages leave no slot for a group in flight into the next iteration; the dot reads both operands
        // from slots, which nothing overwrites before the iteration's end, so only the yield waits for it
        GpuOp.PipelinedFor loop = only(gpu(matmul(DType.BF16), 8, 2, SM90A), GpuOp.PipelinedFor.class);
        GpuOp.Wgmma dot = (GpuOp.Wgmma) loop.current().stream().filter(o -> o instanceof GpuOp.Wgmma).findFirst().orElseThrow();
        assertEquals(GpuOp.Wgmma.Completion.AT_FIRST_READ, dot.completion());
        assertEquals(new GpuOp.WgmmaWait(0), loop.current().getLast(), "waited for before the yield copies its result");
        assertEquals(1, loop.current().stream().filter(o -> o instanceof GpuOp.WgmmaWait).count());
        // on mma.sync nothing is deferred, nor with the deferral turned off
        GpuOp.PipelinedFor mma = only(gpu(matmul(DType.BF16), 8, 2, SM90A.withoutWgmma()), GpuOp.PipelinedFor.class);
        assertTrue(mma.current().stream().noneMatch(o -> o instanceof GpuOp.WgmmaWait));
        GpuOp.PipelinedFor plain = only(gpu(matmul(DType.BF16), 8, 2, SM90A.withoutDeferredWaits()), GpuOp.PipelinedFor.class);
        assertTrue(plain.current().stream().noneMatch(o -> o instanceof GpuOp.WgmmaWait));
    }

    static ArgSpec desc(DType t, Integer... block) { return new ArgSpec(new DescriptorType(t, List.of(block)), 16, false); }

    @Test
    void descriptorLoadsFeedingWgmmaBecomeTmaCopiesIntoSwizzledSlots() {
        KernelIR ir = ir(DescriptorKernels.class, "matmul", args(desc(DType.BF16, 128, 64), desc(DType.BF16, 64, 256), desc(DType.F32, 128, 256), i32()),
                "BM", 128, "BN", 256, "BK", 64);
        GpuProgram p = gpu(ir, 8, 4, SM90A);
        GpuOp.PipelinedFor loop = only(p, GpuOp.PipelinedFor.class);
        List<GpuOp.TmaCopy> copies = loop.ahead().stream().filter(o -> o instanceof GpuOp.TmaCopy).map(o -> (GpuOp.TmaCopy) o).toList();
        assertEquals(2, copies.size());
        assertTrue(loop.ahead().stream().noneMatch(o -> o instanceof GpuOp.AsyncCopy));
        GpuOp.Wgmma dot = (GpuOp.Wgmma) loop.current().stream().filter(o -> o instanceof GpuOp.Wgmma).findFirst().orElseThrow();
        assertTrue(dot.a() == copies.get(0).buffer() && dot.b() == copies.get(1).buffer(), "wgmma reads the slots the copies fill");
        assertEquals(4, loop.barriers().count(), "one mbarrier a slot for its copies");
        assertEquals(4, loop.released().count(), "and one for its release: stage 0 copies only by TMA");
        // the mbarriers lie above the buffers, inside what the loop holds, not in static shared memory
        int buffersEnd = Math.max(p.offset(dot.a()) + dot.a().bytes(), p.offset(dot.b()) + dot.b().bytes());
        assertTrue(p.offset(loop.barriers()) >= buffersEnd && p.offset(loop.released()) == p.offset(loop.barriers()) + 32
                && p.reservedBytes(loop) == p.offset(loop.released()) + 32);
        assertEquals(0, p.keptBytes(), "no single load keeps a word for the whole kernel");
        // A [128, 64] bf16 is one 128-byte atom a row; B [64, 256] four, each its own box
        var maps = dev.tessera.cuda.codegen.memory.TmaRules.mapBoxes(ir, p);
        assertEquals(new PtxModule.MapBox(List.of(128, 64), 128), maps.get(0));
        assertEquals(new PtxModule.MapBox(List.of(64, 64), 128), maps.get(1));
        assertEquals(new PtxModule.MapBox(List.of(128, 256), 0), maps.get(2), "the store's map: its block, unswizzled");
    }

    /** One of the descriptor matmul kernels above, bf16 128×128×64. */
    static KernelIR descriptorMatmul(String kernel) {
        return ir(GpuIrPassesTest.class, kernel, args(desc(DType.BF16, 128, 64), desc(DType.BF16, 64, 128), desc(DType.F32, 128, 128), i32()),
                "BM", 128, "BN", 128, "BK", 64);
    }

    @Test
    void aDescriptorWithAnotherUseIsLoadedOnItsOwn() {
        KernelIR ir = descriptorMatmul("descriptorAlsoStored");
        GpuProgram p = gpu(ir, 8, 3, SM90A);
        GpuOp.PipelinedFor loop = only(p, GpuOp.PipelinedFor.class);
        assertEquals(1, loop.ahead().stream().filter(o -> o instanceof GpuOp.TmaCopy).count(), "B is copied ahead");
        GpuOp.TmaLoad a = (GpuOp.TmaLoad) loop.current().stream().filter(o -> o instanceof GpuOp.TmaLoad).findFirst().orElseThrow();
        assertEquals(0, p.offset(a.barrier()), "the single load's mbarrier: the kernel's first word");
        assertEquals(16, p.keptBytes());
        assertEquals(0, dev.tessera.cuda.codegen.memory.TmaRules.mapBoxes(ir, p).get(0).swizzleBytes(), "A's map is its block");
    }

    /** One tensor map per descriptor: a descriptor also loaded on its own (unswizzled, its whole block) has none of its loads copied into slots. */
    @Test
    void aDescriptorLoadedBothWaysIsNeverCopiedIntoSlots() {
        KernelIR ir = descriptorMatmul("descriptorAlsoLoadedAlone");
        GpuProgram p = gpu(ir, 8, 3, SM90A);
        GpuOp.PipelinedFor loop = only(p, GpuOp.PipelinedFor.class);
        List<GpuOp.TmaCopy> copies = loop.ahead().stream().filter(o -> o instanceof GpuOp.TmaCopy).map(o -> (GpuOp.TmaCopy) o).toList();
        assertEquals(1, copies.size(), "B only");
        assertEquals(ir.params().get(1).value(), copies.getFirst().load().descriptor());
        var maps = dev.tessera.cuda.codegen.memory.TmaRules.mapBoxes(ir, p);
        assertEquals(new PtxModule.MapBox(List.of(128, 64), 0), maps.get(0), "A's map: its block, as both of its loads read it");
        assertEquals(128, maps.get(1).swizzleBytes());
    }

    /** A row of blocks summed: a loop of descriptor loads and no dot. */
    @Kernel
    public static void blockSums(TensorDesc x, Tile out, Tile cols, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(cols, BN))) acc.set(acc.get().add(load(x, m, k.mul(BN)).to(F32)));
        store(out.add(m.add(arange(0, BM))), sum(acc.get(), 1));
    }

    /** {@link #blockSums} storing each block's sums as it goes: a loop that writes memory. */
    @Kernel
    public static void blockSumsStored(TensorDesc x, Tile out, Tile cols, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM);
        for (Tile k : range(0, cdiv(cols, BN))) store(out.add(k.mul(BM)).add(arange(0, BM)), sum(load(x, m, k.mul(BN)).to(F32), 1));
    }

    @Test
    void descriptorBlocksOtherOpsReadAreCopiedAheadIntoRowMajorSlots() {
        KernelIR ir = ir(GpuIrPassesTest.class, "blockSums", args(desc(DType.BF16, 16, 256), ptr(DType.F32), i32()), "BM", 16, "BN", 256);
        GpuProgram p = gpu(ir, 4, 3, SM90A);
        GpuOp.PipelinedFor loop = only(p, GpuOp.PipelinedFor.class);
        GpuOp.TmaCopy copy = (GpuOp.TmaCopy) loop.ahead().stream().filter(o -> o instanceof GpuOp.TmaCopy).findFirst().orElseThrow();
        GpuOp.SlotLoad read = (GpuOp.SlotLoad) loop.current().stream().filter(o -> o instanceof GpuOp.SlotLoad).findFirst().orElseThrow();
        assertTrue(read.buffer() == copy.buffer() && read.load() == copy.load(), "stage 1 reads the slot stage 0 fills");
        assertEquals(SharedBuffer.Role.BLOCK, copy.buffer().role());
        assertTrue(!copy.buffer().tile().swizzled() && copy.buffer().tile().bytes() == 16 * 256 * 2 && copy.buffer().slots() == 3);
        assertEquals(2, loop.distance(), "copies two iterations ahead");
        assertTrue(loop.released() != null, "slots released through mbarriers: no block-wide barrier");
        assertEquals(new PtxModule.MapBox(List.of(16, 256), 0), dev.tessera.cuda.codegen.memory.TmaRules.mapBoxes(ir, p).get(0), "the block, unswizzled");
        assertTrue(dev.tessera.cuda.codegen.gpu.GpuPrinter.print(p, "test", v -> "").contains("slot_load"), "the GPU IR prints the read");
        GpuProgram stored = gpu(ir(GpuIrPassesTest.class, "blockSumsStored", args(desc(DType.BF16, 16, 256), ptr(DType.F32), i32()), "BM", 16, "BN", 256),
                4, 3, SM90A);
        assertTrue(stored.allOps().stream().noneMatch(o -> o instanceof GpuOp.PipelinedFor), "a loop that writes memory runs no copy ahead of its stores");
    }

    /** One block as A of one product and, transposed, B of another (as attention's backward reads q). */
    @Kernel
    public static void blockBothWays(TensorDesc x, TensorDesc w, Tile out, Tile K, @Constexpr int BM, @Constexpr int BK) {
        Tile m = programId(0).mul(BM);
        Var acc = var(zeros(F32, BM, BM)), back = var(zeros(F32, BK, BK));
        for (Tile k : range(0, cdiv(K, BK))) {
            Tile block = load(x, m, k.mul(BK)).reshape(BM, BK), other = load(w, m, k.mul(BK)).reshape(BM, BK);
            acc.set(dot(block, other.trans(), acc.get()));
            back.set(dot(other.trans(), block, back.get()));
        }
        store(out.add(arange(0, BM).col().mul(BM)).add(arange(0, BM).row()), acc.get().add(sum(back.get(), 0).row().mul(0.0)));
    }

    @Test
    void aBlockTwoDotsReadInTwoOrientationsIsCopiedOnce() {
        KernelIR ir = ir(GpuIrPassesTest.class, "blockBothWays", args(desc(DType.BF16, 64, 64), desc(DType.BF16, 64, 64), ptr(DType.F32), i32()),
                "BM", 64, "BK", 64);
        GpuProgram p = gpu(ir, 4, 3, SM90A);
        GpuOp.PipelinedFor loop = only(p, GpuOp.PipelinedFor.class);
        assertEquals(2, loop.ahead().stream().filter(o -> o instanceof GpuOp.TmaCopy).count(), "x and w, each once");
        List<GpuOp.Wgmma> dots = loop.current().stream().filter(o -> o instanceof GpuOp.Wgmma).map(o -> (GpuOp.Wgmma) o).toList();
        assertEquals(2, dots.size());
        // w's block: B of the first product read K-major, A of the second read from the same slots MN-major
        SharedBuffer wFirst = dots.get(0).b(), wSecond = dots.get(1).a();
        assertTrue(wFirst.storage() == null && wSecond.placed() == wFirst, "the second reader shares the first's slots");
        assertTrue(wFirst.kContiguous() && !wSecond.kContiguous(), "each in its own orientation");
        assertEquals(p.offset(wFirst), p.offset(wSecond));
        assertEquals(2, p.buffers().size(), "two buffers placed, not three");
        String printed = dev.tessera.cuda.codegen.gpu.GpuPrinter.print(p, "test", v -> "");
        assertTrue(wSecond.id() != wFirst.id() && !printed.contains("%smem" + wSecond.id() + "[current slot]")
                && printed.contains("%smem" + wFirst.id() + "[current slot]"), "a sharing reader prints the slots it reads: " + printed);
    }

    @Test
    void fp8DotsRunOnWarpgroupsOnlyWhereFastAccumulationIsAllowed() {
        for (boolean fast : new boolean[] {true, false}) {
            KernelIR ir = ir(GpuIrPassesTest.class, "fp8Blocks", args(ptr(DType.FP8E4M3), ptr(DType.FP8E4M3), ptr(DType.F32), i32Div16()),
                    "BM", 128, "BN", 128, "BK", 64, "FAST", fast);
            List<GpuOp> ops = only(gpu(ir, 8, 3, SM90A), GpuOp.PipelinedFor.class).current();
            if (fast) {
                GpuOp.Wgmma dot = (GpuOp.Wgmma) ops.stream().filter(o -> o instanceof GpuOp.Wgmma).findFirst().orElseThrow();
                assertEquals("wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3", dot.instr().instruction(dot.groups().instrN()));
            } else {
                assertTrue(ops.stream().noneMatch(o -> o instanceof GpuOp.Wgmma) && ops.stream().anyMatch(o -> o instanceof GpuOp.Mma),
                        "exact fp8 sums stay on mma.sync");
            }
        }
    }

    @Test
    void warpgroupsNeedWholeGroupsAndSixtyFourRows() {
        KernelIR small = ir(DemoKernels.class, "matmul", args(ptr(DType.F16), ptr(DType.F16), ptr(DType.F32), i32Div16(), i32Div16(), i32Div16()),
                "BM", 32, "BN", 64, "BK", 32);
        assertTrue(only(gpu(small, 4, 3, SM90A), GpuOp.PipelinedFor.class).current().stream().anyMatch(o -> o instanceof GpuOp.Mma), "32 rows: mma.sync");
        assertTrue(only(gpu(matmul(DType.F16), 2, 3, SM90A), GpuOp.PipelinedFor.class).current().stream().anyMatch(o -> o instanceof GpuOp.Mma),
                "2 warps: mma.sync");
    }

    @Test
    void attentionOnWarpgroupsStagesQOnceAndKeepsPInRegisters() {
        KernelIR ir = ir(DemoKernels.class, "attention", args(ptr(DType.BF16), ptr(DType.BF16), ptr(DType.BF16), ptr(DType.BF16), i32Div16(),
                scalar(DType.F32)), "D", 64, "BM", 128, "BN", 64);
        for (Target target : List.of(SM90A, SM90)) {
            GpuOp.PipelinedFor loop = only(gpu(ir, 8, 3, target), GpuOp.PipelinedFor.class);
            assertEquals(1, loop.invariants().size(), "Q, loaded before the loop, is written to shared memory once");
            SharedBuffer q = loop.invariants().getFirst().buffer();
            assertTrue(q.isA() && q.slots() == 1);
            List<GpuOp.TensorCoreDot> dots = loop.current().stream().filter(o -> o instanceof GpuOp.TensorCoreDot).map(o -> (GpuOp.TensorCoreDot) o).toList();
            assertEquals(2, dots.size());
            assertTrue(dots.get(0).a() == q && dots.get(0).b() != null, "Q·Kᵀ reads Q's buffer and K's slots");
            assertTrue(dots.get(1).a() == null && dots.get(1).b() != null, "P·V takes P from registers");
            assertTrue(dots.stream().allMatch(d -> d instanceof GpuOp.Wgmma == target.wgmma()), "wgmma exactly where the target has it");
        }
    }

    @Test
    void oneStageOrFmaDotsLeaveLoopsAlone() {
        assertTrue(gpu(matmul(DType.BF16), 4, 1).body().stream().noneMatch(o -> o instanceof GpuOp.PipelinedFor), "num_stages = 1");
        assertTrue(gpu(matmul(DType.F32), 4, 3).body().stream().noneMatch(o -> o instanceof GpuOp.PipelinedFor), "ieee f32 dots run on FMAs");
    }

    /** Persistent over output tiles: the TMA loop sits inside another loop. */
    @Kernel
    public static void persistentMatmul(TensorDesc a, TensorDesc b, Tile c, Tile K, Tile tilesN, Tile tiles, @Constexpr int BM, @Constexpr int BN,
                                        @Constexpr int BK) {
        for (Tile t : range(programId(0), tiles, numPrograms(0))) {
            Tile m = t.div(tilesN).mul(BM), n = t.rem(tilesN).mul(BN);
            Var acc = var(zeros(F32, BM, BN));
            for (Tile k : range(0, cdiv(K, BK))) acc.set(dot(load(a, m, k.mul(BK)), load(b, k.mul(BK), n), acc.get()));
            store(c.add(m.add(arange(0, BM)).col().mul(tilesN.mul(BN))).add(n.add(arange(0, BN)).row()), acc.get());
        }
    }

    /**
     * With warp specialization on, a kernel whose TMA loop is at its top level gets a producer: the
     * scalars the loop's bounds and coordinates need (computed again), then the loop's copies; the
     * consumers run the kernel with the loop as a consumer; a persistent kernel's TMA loop, in a
     * loop over tiles, has the producer walk the tiles too. A loop of pointer loads (cp.async)
     * leaves the kernel as it was.
     */
    @Test
    void aTopLevelTmaLoopGetsAProducerWarp() {
        Target ws = SM90A.withWarpSpecialization();
        KernelIR matmul = ir(DescriptorKernels.class, "matmul", args(desc(DType.BF16, 128, 64), desc(DType.BF16, 64, 256), desc(DType.F32, 128, 256), i32()),
                "BM", 128, "BN", 256, "BK", 64);
        GpuOp.Specialized s = only(gpu(matmul, 8, 4, ws), GpuOp.Specialized.class);
        assertEquals(4, s.producerWarps(), "a warpgroup");
        GpuOp.Produce produce = assertInstanceOf(GpuOp.Produce.class, s.producer().getLast());
        assertTrue(s.producer().subList(0, s.producer().size() - 1).stream()
                .allMatch(o -> o instanceof GpuOp.Core(var core) && core.results().stream().allMatch(v -> v.type().isScalar())), "scalars only");
        GpuOp.Consume consume = (GpuOp.Consume) s.consumers().stream().filter(o -> o instanceof GpuOp.Consume).findFirst().orElseThrow();
        assertTrue(consume.loop() == produce.loop() && produce.loop().released() != null, "both sides of one loop");
        assertEquals(1, gpu(matmul, 8, 4, SM90A).body().stream().filter(o -> o instanceof GpuOp.PipelinedFor).count(), "opt-in");
        // 16 consumer warps and a warpgroup more: the split of 168 registers is measured at two consumer warpgroups only
        assertTrue(gpu(matmul, 16, 4, ws).body().stream().noneMatch(o -> o instanceof GpuOp.Specialized), "no producer beside 16 warps");

        KernelIR pointers = ir(GpuIrPassesTest.class, "carriedPointers", args(ptr(DType.F16), ptr(DType.F16), ptr(DType.F32), i32Div16()),
                "BM", 64, "BN", 64, "BK", 32, "STORE_LAST_POINTER", false);
        assertTrue(gpu(pointers, 4, 3, ws).body().stream().noneMatch(o -> o instanceof GpuOp.Specialized), "cp.async copies: no producer");
        KernelIR persistent = ir(GpuIrPassesTest.class, "persistentMatmul", args(desc(DType.BF16, 128, 64), desc(DType.BF16, 64, 128), ptr(DType.F32),
                i32(), i32(), i32()), "BM", 128, "BN", 128, "BK", 64);
        GpuOp.Specialized nested = only(gpu(persistent, 4, 4, ws), GpuOp.Specialized.class);
        GpuOp.ProducerFor tiles = assertInstanceOf(GpuOp.ProducerFor.class, nested.producer().getLast());
        assertInstanceOf(GpuOp.Produce.class, tiles.body().getLast(), "the tile's K loop, produced");
        GpuOp.For consumerTiles = (GpuOp.For) nested.consumers().stream().filter(o -> o instanceof GpuOp.For).findFirst().orElseThrow();
        assertTrue(consumerTiles.body().ops().stream().anyMatch(o -> o instanceof GpuOp.Consume), "consumed inside the consumers' tile loop");
    }

    private static <T extends GpuOp> T only(GpuProgram p, Class<T> kind) {
        List<GpuOp> found = p.body().stream().filter(kind::isInstance).toList();
        assertEquals(1, found.size(), () -> "expected one " + kind.getSimpleName() + " in " + p.body());
        return assertInstanceOf(kind, found.getFirst());
    }
}
