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
import dev.tessera.lang.Var;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Eviction priorities reach L2 on sm_80+ as Triton's do: a fractional {@code createpolicy} and the
 * access's {@code .L2::cache_hint} operand, for vector loads and stores of 32- and 16-bit elements;
 * a cache operator wins over a priority (no policy then). The PTX assembles for sm_80 and sm_90a.
 */
class L2CacheHintPtxTest {

    @Kernel
    static void copy(Tile x, Tile out, Tile n, @Constexpr boolean OPERATOR, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        MemoryOrder.Cache cache = OPERATOR ? MemoryOrder.Cache.CG : MemoryOrder.Cache.NONE;
        store(out.add(offs), load(x.add(offs), m, null, cache, MemoryOrder.Eviction.LAST), m, MemoryOrder.Cache.NONE, MemoryOrder.Eviction.FIRST);
    }

    /** Two loads with one priority, every iteration: one policy for both, made before the loop. */
    @Kernel
    static void loopSum(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Var acc = var(zeros(F32, BLOCK));
        for (Tile k : range(0, n, BLOCK)) {
            Tile offs = arange(0, BLOCK).add(k);
            Tile m = offs.lt(n);
            Tile a = load(x.add(offs), m, 0.0, MemoryOrder.Cache.NONE, MemoryOrder.Eviction.LAST);
            Tile b = load(x.add(offs).add(n), m, 0.0, MemoryOrder.Cache.NONE, MemoryOrder.Eviction.LAST);
            acc.set(acc.get().add(a).add(b));
        }
        store(out.add(arange(0, BLOCK)), acc.get());
    }

    /** A streaming loop that asks L2 for the block two steps ahead of the one it loads. */
    @Kernel
    static void prefetchedSum(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Var acc = var(zeros(F32, BLOCK));
        for (Tile k : range(0, n, BLOCK)) {
            Tile offs = arange(0, BLOCK).add(k), far = offs.add(2 * BLOCK);
            prefetch(x.add(far), far.lt(n));
            acc.set(acc.get().add(load(x.add(offs), offs.lt(n), 0.0)));
        }
        store(out.add(arange(0, BLOCK)), acc.get());
    }

    /**
     * prefetch: one {@code prefetch.global.L2} a 16-byte vector a thread would load, under the
     * mask, with L2's evict_last priority on sm_80+; no register receives anything.
     */
    @ParameterizedTest(name = "sm_{0}")
    @CsvSource({"80", "90"})
    void aPrefetchAsksL2ForTheLinesAhead(int sm) throws Exception {
        KernelIR ir = ir(L2CacheHintPtxTest.class, "prefetchedSum", args(ptr(DType.F32), ptr(DType.F32), i32Div16()), "BLOCK", 1024);
        Target target = Ptxas.target(sm / 10, sm % 10);
        String ptx = PtxCodegen.generate(ir, new LaunchOptions(4, 1), target).ptx();
        String loop = ptx.substring(ptx.indexOf("\n$L_for_head"), ptx.indexOf("\n$L_for_end"));
        // 1024 f32 on 128 threads: 8 a thread, two vectors of four
        assertEquals(2, occurrences(loop, "prefetch.global.L2::evict_last ["), loop);
        assertEquals(2, java.util.regex.Pattern.compile("@%p\\d+ prefetch\\.global").matcher(loop).results().count(), "both under the mask: " + loop);
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Ptxas.Report r = Ptxas.assemble(ptx, target.ptx().arch());
        assertTrue(r.ok(), r::output);
    }

    @Test
    void aPolicyIsMadeOnceOutsideTheLoops() {
        KernelIR ir = ir(L2CacheHintPtxTest.class, "loopSum", args(ptr(DType.F32), ptr(DType.F32), i32Div16()), "BLOCK", 256);
        String ptx = PtxCodegen.generate(ir, new LaunchOptions(4, 1), Ptxas.target(9, 0)).ptx();
        assertEquals(1, occurrences(ptx, "createpolicy.fractional.L2::evict_last.b64"), ptx);
        assertTrue(ptx.indexOf("createpolicy") < ptx.indexOf("$L_for_head"), "the policy is made before the loop:\n" + ptx);
        assertEquals(2, occurrences(ptx, ".L2::cache_hint"), "both loads take it:\n" + ptx);
    }

    @ParameterizedTest(name = "{0} sm_{1}, cache operator {2}")
    @CsvSource({"F32, 80, false", "F32, 90, false", "BF16, 90, false", "F32, 90, true"})
    void evictionPrioritiesBecomeL2Policies(DType t, int sm, boolean operator) throws Exception {
        KernelIR ir = ir(L2CacheHintPtxTest.class, "copy", args(ptr(t), ptr(t), i32Div16()), "OPERATOR", operator, "BLOCK", 1024);
        Target target = Ptxas.target(sm / 10, sm % 10);
        String ptx = PtxCodegen.generate(ir, new LaunchOptions(4, 1), target).ptx();
        assertEquals(operator ? 0 : 1, occurrences(ptx, "createpolicy.fractional.L2::evict_last.b64"), ptx);
        assertEquals(1, occurrences(ptx, "createpolicy.fractional.L2::evict_first.b64"), "the store's policy");
        assertTrue(occurrences(ptx, operator ? "ld.global.cg" : "ld.global.L1::evict_last.L2::cache_hint") > 0, "the load's qualifiers");
        assertTrue(occurrences(ptx, "st.global.L1::evict_first.L2::cache_hint") > 0, "the store's qualifiers");
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        Ptxas.Report r = Ptxas.assemble(ptx, target.ptx().arch());
        assertTrue(r.ok(), r::output);
    }
}
