package dev.tessera.passes;

import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import dev.tessera.ir.Parser;
import dev.tessera.ir.Region;
import dev.tessera.ir.Value;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.IrSamples;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.trace.ArgSpec;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SeedExtension.class)
class AxisInfoTest {

    private static AxisInfo.Facts facts(int[] c, int[] v, int[] k) { return new AxisInfo.Facts(c, v, k); }

    private static int[] ints(int... v) { return v; }

    /** The ops of a kernel, nested regions included, in program order. */
    private static List<Op> ops(Region r) {
        List<Op> out = new ArrayList<>();
        for (Op op : r.ops()) {
            out.add(op);
            op.regions().forEach(nested -> out.addAll(ops(nested)));
        }
        return out;
    }

    private static <T extends Op> List<T> find(KernelIR k, Class<T> kind, Predicate<T> which) {
        return ops(k.body()).stream().filter(kind::isInstance).map(kind::cast).filter(which).toList();
    }

    // ------------------------------------------------------------------ the kernels backends care about

    @Test
    void vectorAddOffsetsAndPointers() {
        for (boolean optimized : new boolean[] {false, true}) {
            KernelIR k = IrSamples.trace(IrSamples.class, "vectorAdd",
                    List.of(IrSamples.F32_PTR, IrSamples.F32_PTR, IrSamples.F32_PTR, IrSamples.I32_DIV16), Map.of("BLOCK", 1024));
            if (optimized) k = Pipeline.standard().run(k);
            AxisInfo info = AxisInfo.analyze(k);
            Op.Load load = find(k, Op.Load.class, l -> true).getFirst();
            // x + pid·1024 + arange(0, 1024): 1024 consecutive f32 from a 16-byte aligned start
            assertEquals(facts(ints(1024), ints(16), ints(1)), info.of(load.pointer()), optimized ? "optimized" : "traced");
            Op.PtrAdd add = find(k, Op.PtrAdd.class, p -> true).getFirst();
            assertEquals(facts(ints(1024), ints(1024), ints(1)), info.of(add.offset()));
            // offs < n with n a multiple of 16: the mask is constant over 16 lanes
            assertEquals(facts(ints(1), ints(1), ints(16)), info.of(load.mask()));
            assertEquals(facts(ints(1), ints(1), ints(1)), info.of(load.result()));
        }
        KernelIR unaligned = IrSamples.trace(IrSamples.class, "vectorAdd",
                List.of(IrSamples.pointer(DType.F32), IrSamples.F32_PTR, IrSamples.F32_PTR, IrSamples.I32_ARG), Map.of("BLOCK", 256));
        AxisInfo info = AxisInfo.analyze(unaligned);
        Op.Load load = find(unaligned, Op.Load.class, l -> true).getFirst();
        assertEquals(facts(ints(256), ints(16), ints(1)), info.of(load.pointer()));
        assertEquals(facts(ints(1), ints(1), ints(1)), info.of(load.mask()), "n of unknown divisibility");
    }

    @Kernel
    static void rows(Tile x, Tile out, Tile m, Tile n, Tile stride, @Constexpr int BM, @Constexpr int BN) {
        Tile r = programId(0).mul(BM).add(arange(0, BM)), c = arange(0, BN);
        Tile mask = r.col().lt(m).and(c.row().lt(n));
        Tile tile = load(x.add(r.col().mul(stride)).add(c.row()), mask, 0.0);
        store(out.add(r.col().mul(stride)).add(c.row()), tile.mul(2.0), mask);
    }

    @Test
    void maskedTwoDimensionalRowLoads() {
        ArgSpec f32 = IrSamples.F32_PTR, div16 = IrSamples.I32_DIV16;
        KernelIR k = Pipeline.standard().run(IrSamples.trace(getClass(), "rows", List.of(f32, f32, div16, div16, div16), Map.of("BM", 32, "BN", 64)));
        AxisInfo info = AxisInfo.analyze(k);
        Op.Load load = find(k, Op.Load.class, l -> true).getFirst();
        // each row: 64 consecutive elements from a 16-byte aligned start (the stride is a multiple of
        // 16 elements); down a column (every element a run start) only the element size is certain
        assertEquals(facts(ints(1, 64), ints(4, 16), ints(1, 1)), info.of(load.pointer()));
        // a row of 16 lanes is all in or all out; so is a column of 16 rows
        assertEquals(facts(ints(1, 1), ints(1, 1), ints(16, 16)), info.of(load.mask()));
        Op.Store store = find(k, Op.Store.class, s -> true).getFirst();
        assertEquals(info.of(load.pointer()), info.of(store.pointer()));
    }

    @Kernel
    static void matmul(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K, Tile sam, Tile sak, Tile sbk, Tile sbn,
                       @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile rm = programId(0).mul(BM).add(arange(0, BM)), rn = programId(1).mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Var aPtr = var(a.add(rm.col().mul(sam)).add(rk.row().mul(sak)));
        Var bPtr = var(b.add(rk.col().mul(sbk)).add(rn.row().mul(sbn)));
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(K, BK))) {
            Tile left = K.sub(k.mul(BK));
            acc.set(dot(load(aPtr.get(), rk.row().lt(left), 0.0), load(bPtr.get(), rk.col().lt(left), 0.0), acc.get()));
            aPtr.set(aPtr.get().add(sak.mul(BK)));
            bPtr.set(bPtr.get().add(sbk.mul(BK)));
        }
        store(c.add(rm.col().mul(N)).add(rn.row()), acc.get(), rm.col().lt(M).and(rn.row().lt(N)));
    }

    @Test
    void matmulPointerTilesThroughTheLoop() {
        ArgSpec p = IrSamples.pointer(DType.F16), div16 = IrSamples.I32_DIV16, one = new ArgSpec(DType.I32, 1, true);
        KernelIR k = Pipeline.standard().run(IrSamples.trace(getClass(), "matmul",
                List.of(p, p, IrSamples.F32_PTR, div16, div16, div16, div16, one, div16, one), Map.of("BM", 64, "BN", 32, "BK", 32)));
        AxisInfo info = AxisInfo.analyze(k);
        List<Op.Load> loads = find(k, Op.Load.class, l -> true);
        // A: rows of 32 consecutive f16 along k, each row 16-byte aligned; B: 32 consecutive along n
        assertEquals(facts(ints(1, 32), ints(2, 16), ints(1, 1)), info.of(loads.get(0).pointer()));
        assertEquals(facts(ints(1, 32), ints(2, 16), ints(1, 1)), info.of(loads.get(1).pointer()));
        // k < left: left = K − 32·iv is a multiple of 16, so masks hold over 16 lanes
        assertEquals(16, info.of(loads.get(0).mask()).constancy()[1]);
        assertEquals(16, info.of(loads.get(1).mask()).constancy()[0]);
        Op.For loop = find(k, Op.For.class, f -> true).getFirst();
        assertEquals(facts(ints(1), ints(1), ints(1)), info.of(loop.body().args().getFirst()), "iv from 0 by 1");
    }

    /** Writes x at offset x · 4 + 1 and y at y: x and y are parameters of either sign unless assumed. */
    @Kernel
    static void assumed(Tile out, Tile x, Tile y, @Constexpr boolean ASSUMED) {
        if (ASSUMED) {
            assume(x.ge(0));
            assume(y.gt(-1));
        }
        store(out.add(x.mul(4).add(1)), x);
        store(out.add(y), y);
    }

    @Test
    void anAssumedComparisonWithZeroMakesItsValueNonNegative() {
        for (boolean assumed : new boolean[] {false, true}) {
            KernelIR k = Pipeline.standard().run(IrSamples.trace(getClass(), "assumed", List.of(IrSamples.I32_PTR, IrSamples.I32_ARG, IrSamples.I32_ARG),
                    Map.of("ASSUMED", assumed)));
            AxisInfo info = AxisInfo.analyze(k);
            Op.Binary mul = find(k, Op.Binary.class, b -> b.fn() == Op.Binary.Fn.MUL).getFirst();
            Value y = k.params().get(2).value();
            assertEquals(assumed, info.isNonNegative(mul.lhs()), "x >= 0");
            assertEquals(assumed, info.isNonNegative(y), "y > -1");
            assertEquals(assumed, info.isNonNegative(mul.result()), "x · 4, computed after the assumption");
        }
    }

    // ------------------------------------------------------------------ individual rules

    private static AxisInfo.Facts factsOf(String ir, int id) {
        KernelIR k = Parser.parse(ir);
        List<Value> all = new ArrayList<>(k.body().args());
        for (Op op : ops(k.body())) {
            all.addAll(op.results());
            op.regions().forEach(r -> all.addAll(r.args()));
        }
        return AxisInfo.analyze(k).of(all.stream().filter(x -> x.id() == id).findFirst().orElseThrow());
    }

    @Test
    void divisionAndRemainderOfNonNegativeRuns() {
        String ir = """
                kernel k(%0: *i32 /* out */) {
                  %1 = arange {start=0, end=64} : i32[64]
                  %2 = constant {value=4} : i32[64]
                  %3 = div %1, %2 : i32[64]
                  %4 = rem %1, %2 : i32[64]
                  %5 = constant {value=8} : i32[64]
                  %6 = sub %1, %5 : i32[64]
                  %7 = div %6, %2 : i32[64]
                  %11 = constant {value=2} : i32[64]
                  %8 = shr %6, %11 : i32[64]
                  %9 = mul %3, %5 : i32[64]
                  %10 = add %9, %4 : i32[64]
                }
                """;
        assertEquals(facts(ints(1), ints(1), ints(4)), factsOf(ir, 3), "arange / 4 repeats each value 4 times");
        assertEquals(facts(ints(4), ints(4), ints(1)), factsOf(ir, 4), "arange % 4 counts 0..3");
        assertEquals(facts(ints(64), ints(8), ints(1)), factsOf(ir, 6));
        assertEquals(facts(ints(1), ints(1), ints(1)), factsOf(ir, 7), "truncating division of negative values groups unevenly");
        assertEquals(facts(ints(1), ints(1), ints(4)), factsOf(ir, 8), "a shift rounds down, so negative values group evenly");
        assertEquals(facts(ints(1), ints(8), ints(4)), factsOf(ir, 9));
        // (arange / 4)·8 + arange % 4 runs 0,1,2,3, 8,9,10,11, ...; the rule for % only knows its run
        // starts are multiples of 4
        assertEquals(facts(ints(4), ints(4), ints(1)), factsOf(ir, 10));
    }

    @Test
    void hintsOverrideAndSelectsCombine() {
        String ir = """
                kernel k(%0: i32 /* n */, %1: i1 /* c */) {
                  %2 = splat %0 : i32[32]
                  %3 = hint %2 {kind=MULTIPLE_OF, values=[24]} : i32[32]
                  %4 = arange {start=0, end=32} : i32[32]
                  %5 = add %3, %4 : i32[32]
                  %6 = hint %5 {kind=MAX_CONTIGUOUS, values=[8]} : i32[32]
                  %7 = splat %1 : i1[32]
                  %8 = constant {value=64} : i32[32]
                  %9 = add %8, %4 : i32[32]
                  %10 = select %7, %5, %9 : i32[32]
                  %11 = lt %4, %2 : i1[32]
                  %12 = select %11, %5, %9 : i32[32]
                }
                """;
        assertEquals(facts(ints(1), ints(8), ints(32)), factsOf(ir, 3), "a multiple of 24 is a multiple of 8");
        assertEquals(facts(ints(32), ints(8), ints(1)), factsOf(ir, 5));
        assertEquals(facts(ints(8), ints(8), ints(1)), factsOf(ir, 6));
        assertEquals(facts(ints(32), ints(8), ints(1)), factsOf(ir, 10), "a uniform condition keeps runs");
        assertEquals(facts(ints(1), ints(1), ints(1)), factsOf(ir, 12), "a varying condition breaks them");
    }

    @Test
    void loopsJoinCarriedValuesUntilStable() {
        String ir = """
                kernel k(%0: *f32 {divisibility=16} /* p */, %1: i32 {divisibility=16} /* n */) {
                  %2 = arange {start=0, end=64} : i32[64]
                  %3 = splat %0 : *f32[64]
                  %4 = ptr_add %3, %2 : *f32[64]
                  %5 = constant {value=0} : i32
                  %6 = constant {value=32} : i32
                  %7 = constant {value=2} : i32[64]
                  %8, %9 = for %5, %1, %6, [%4, %2] {
                    ^(%10: i32, %11: *f32[64], %12: i32[64])
                    %13 = splat %10 : i32[64]
                    %14 = ptr_add %11, %13 : *f32[64]
                    %15 = mul %12, %7 : i32[64]
                    yield [%14, %15]
                  } : *f32[64], i32[64]
                }
                """;
        assertEquals(facts(ints(1), ints(32), ints(1)), factsOf(ir, 10), "iv: from 0 by 32");
        assertEquals(facts(ints(64), ints(16), ints(1)), factsOf(ir, 8), "advancing by multiples of 32 elements keeps alignment");
        assertEquals(facts(ints(1), ints(1), ints(1)), factsOf(ir, 9), "doubling breaks the runs of the initial arange");
        assertEquals(facts(ints(1), ints(16), ints(1)), factsOf(ir, 1), "parameters: their launch facts");
    }

    @Test
    void bitcastsBetweenPointersAndIntegersKeepTheAddressFacts() {
        String ir = """
                kernel k(%0: *f32 {divisibility=16} /* p */, %1: *i8 {divisibility=16} /* q */) {
                  %2 = arange {start=0, end=16} : i32[16]
                  %3 = splat %0 : *f32[16]
                  %4 = ptr_add %3, %2 : *f32[16]
                  %5 = bitcast %4 : i64[16]
                  %6 = splat %1 : *i8[16]
                  %7 = ptr_add %6, %2 : *i8[16]
                  %8 = bitcast %7 : i64[16]
                  %9 = bitcast %8 : *i8[16]
                }
                """;
        assertEquals(facts(ints(1), ints(16), ints(1)), factsOf(ir, 5), "addresses of consecutive f32 step by 4");
        assertEquals(facts(ints(16), ints(16), ints(1)), factsOf(ir, 8), "addresses of consecutive bytes step by 1");
        assertEquals(facts(ints(16), ints(16), ints(1)), factsOf(ir, 9));
    }

    @Test
    void unknownValuesGetConservativeFacts() {
        KernelIR k = Parser.parse("""
                kernel k(%0: *f32 /* p */) {
                  %1 = splat %0 : *f32[4, 8]
                  %2 = load %1, _, _ {cache=NONE, eviction=NORMAL, isVolatile=false} : f32[4, 8]
                  %3 = exp %2 : f32[4, 8]
                }
                """);
        AxisInfo info = AxisInfo.analyze(k);
        Value exp = k.body().ops().get(2).result();
        assertEquals(facts(ints(1, 1), ints(1, 1), ints(4, 8)), info.of(exp), "equal pointers load equal values");
        assertEquals(facts(ints(1, 1), ints(1, 1), ints(1, 1)), info.of(new Value(99, exp.type())));
        assertEquals(facts(ints(1), ints(1), ints(1)), info.of(k.params().getFirst().value()));
    }

    // ------------------------------------------------------------------ soundness against real values

    @Test
    void claimsHoldForRandomKernels(@Seed long seed) {
        SplittableRandom seeds = new SplittableRandom(seed);
        int probes = 0;
        for (int i = 0; i < 25; i++) {
            long kernelSeed = seeds.nextLong();
            RandomKernels.Generated generated = RandomKernels.generate(kernelSeed);
            KernelIR k = Parser.parse(generated.text());
            for (KernelIR version : List.of(k, Pipeline.standard().run(k))) {
                probes += run(version, generated, kernelSeed);
            }
        }
        assertTrue(probes > 500, "probed " + probes + " values");
    }

    private static int run(KernelIR k, RandomKernels.Generated generated, long seed) {
        int block = 2 * RandomKernels.B;
        try (Tensor x = Tensor.randn(DType.F32, seed, Device.cpu(), RandomKernels.INPUT);
             Tensor y = Tensor.randint(DType.I32, seed, -50, 50, Device.cpu(), RandomKernels.INPUT);
             Tensor f = Tensor.zeros(DType.F32, Device.cpu(), Math.max(1, generated.floatBlocks()) * block);
             Tensor i = Tensor.zeros(DType.I32, Device.cpu(), Math.max(1, generated.intBlocks()) * block)) {
            assertEquals(0, x.dataPointer() % 16, "allocations are 16-byte aligned, as the kernel claims");
            return AxisFactsChecker.check(k, 2, x, y, f, i, 16);
        }
    }

    @Test
    void claimsHoldForTheSampleKernels() {
        ArgSpec f32 = IrSamples.F32_PTR, div16 = IrSamples.I32_DIV16;
        KernelIR rows = Pipeline.standard().run(IrSamples.trace(getClass(), "rows", List.of(f32, f32, div16, div16, div16), Map.of("BM", 32, "BN", 64)));
        try (Tensor x = Tensor.zeros(DType.F32, Device.cpu(), 64 * 80); Tensor out = Tensor.zeros(DType.F32, Device.cpu(), 64 * 80)) {
            AxisFactsChecker.check(rows, 2, x, out, 48, 64, 80);
        }
        KernelIR add = IrSamples.trace(IrSamples.class, "vectorAdd", List.of(f32, f32, f32, div16), Map.of("BLOCK", 128));
        try (Tensor x = Tensor.zeros(DType.F32, Device.cpu(), 256)) {
            AxisFactsChecker.check(add, 2, x, x, x, 160);
            AxisFactsChecker.check(Pipeline.standard().run(add), 2, x, x, x, 160);
        }
    }

    @Test
    void theCheckerCatchesFalseClaims() {
        KernelIR k = Parser.parse("""
                kernel k(%0: i32 /* n */) {
                  %1 = arange {start=0, end=8} : i32[8]
                  %2 = hint %1 {kind=MAX_CONSTANCY, values=[2]} : i32[8]
                }
                """);
        assertThrows(AssertionError.class, () -> AxisFactsChecker.check(k, 1, 3));
    }
}
