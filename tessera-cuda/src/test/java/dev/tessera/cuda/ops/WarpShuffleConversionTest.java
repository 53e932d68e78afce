package dev.tessera.cuda.ops;

import static dev.tessera.cuda.codegen.Kernels.args;
import static dev.tessera.cuda.codegen.Kernels.ptr;
import static dev.tessera.cuda.ops.Differential.*;
import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.cuda.codegen.Kernels;
import dev.tessera.cuda.codegen.PtxModule;
import dev.tessera.cuda.codegen.Ptxas;
import dev.tessera.cuda.codegen.Target;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Layout conversions within one warp go by {@code shfl.sync.idx} instead of shared memory: with
 * one warp a program's data never leaves its warp, so a transpose in registers, a reduction's
 * result spread for its store, and a predicate tile moved with them are all warp shuffles. The
 * PTX must hold the shuffles and no barrier, ptxas must take it, and on every device (ptxcheck
 * here: PTX through ptxas, then the CPU backend) the results must be the CPU backend's.
 */
class WarpShuffleConversionTest {

    /** A [R, C] tile transposed in registers: the permute's layout and the store's differ in which lanes hold what. */
    @Kernel
    static void transposeInWarp(Tile x, Tile out, @Constexpr int R, @Constexpr int C) {
        Tile r = arange(0, R), c = arange(0, C);
        Tile t = load(x.add(r.col().mul(C)).add(c.row()));
        store(out.add(c.col().mul(R)).add(r.row()), t.trans());
    }

    /** The transpose of a comparison: an i1 tile crosses lanes as 0/1 words. */
    @Kernel
    static void transposedSign(Tile x, Tile out, @Constexpr int R, @Constexpr int C) {
        Tile r = arange(0, R), c = arange(0, C);
        Tile positive = load(x.add(r.col().mul(C)).add(c.row())).gt(0.0);
        store(out.add(c.col().mul(R)).add(r.row()), where(positive.trans(), 1, -1).to(out.elementType()));
    }

    /** Row sums: the reduction leaves each sum in eight lanes and eight registers; the store wants one per lane. */
    @Kernel
    static void rowSums(Tile x, Tile out, @Constexpr int R, @Constexpr int C) {
        Tile r = arange(0, R), c = arange(0, C);
        store(out.add(r), sum(load(x.add(r.col().mul(C)).add(c.row())), 1));
    }

    /** 32 elements, one per lane, reordered by a permute of their 2x4x4 view: a pure lane permutation. */
    @Kernel
    static void permutedLanes(Tile x, Tile out, @Constexpr int R, @Constexpr int C) {
        Tile o = arange(0, R * C);
        // volatile, so that the load keeps its coalesced layout: a plain one is read in the permuted layout, with nothing to convert
        store(out.add(o), loadVolatile(x.add(o), null).reshape(2, 4, 4).permute(2, 1, 0).reshape(R * C));
    }

    /** The same permutation of a comparison's result, used as a store's mask: an i1 tile crosses lanes as 0/1 words. */
    @Kernel
    static void permutedSigns(Tile x, Tile out, @Constexpr int R, @Constexpr int C) {
        Tile o = arange(0, R * C);
        Tile positive = loadVolatile(x.add(o), null).gt(0.0).reshape(2, 4, 4).permute(2, 1, 0).reshape(R * C);
        store(out.add(o), o.to(out.elementType()), positive);
    }

    record Case(String kernel, DType type, int rows, int cols) {
        @Override
        public String toString() { return kernel + " " + type + "[" + rows + ", " + cols + "]"; }

        DType outType() { return kernel.endsWith("Sign") || kernel.endsWith("Signs") ? DType.I32 : type; }

        int outputs() { return kernel.equals("rowSums") ? rows : rows * cols; }
    }

    /** Conversions where shuffles cost fewer instructions than the shared-memory round trip. */
    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (DType t : List.of(DType.F32, DType.I64, DType.F64, DType.I8)) out.add(new Case("permutedLanes", t, 4, 8));
        out.add(new Case("permutedSigns", DType.F32, 4, 8));
        out.add(new Case("transposeInWarp", DType.F32, 8, 8));
        out.add(new Case("transposeInWarp", DType.F16, 8, 8));
        out.add(new Case("transposedSign", DType.F32, 8, 8));
        out.add(new Case("rowSums", DType.F32, 32, 32));
        return out;
    }

    /** Conversions within the warp where the shared round trip is cheaper: 64-bit values with two selected shuffles per word, four candidates per register. */
    static List<Case> sharedCases() {
        return List.of(new Case("transposeInWarp", DType.F64, 8, 8), new Case("transposeInWarp", DType.F32, 16, 8), new Case("rowSums", DType.I64, 32, 16));
    }

    static Stream<Case> shapes() { return cases().stream(); }

    static Stream<Case> sharedShapes() { return sharedCases().stream(); }

    static Stream<Arguments> devicesAndCases() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> Stream.concat(cases().stream(), sharedCases().stream()).forEach(c -> out.add(Arguments.of(d, c))));
        return out.stream();
    }

    private static PtxModule ptx(Case c, Target target) {
        return Kernels.ptx(Kernels.ir(WarpShuffleConversionTest.class, c.kernel(), args(ptr(c.type()), ptr(c.outType())), "R", c.rows(), "C", c.cols()), 1, target);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void oneWarpConvertsByShufflesAndPtxasTakesIt(Case c) throws Exception {
        assumeTrue(Ptxas.path().isPresent(), Ptxas.missingReason());
        for (int[] arch : new int[][] {{8, 0}, {9, 0}}) {
            Target target = Ptxas.target(arch[0], arch[1]);
            String ptx = ptx(c, target).ptx();
            assertTrue(ptx.contains("layout conversion by warp shuffles"), c + " converts by shuffles:\n" + ptx);
            assertTrue(ptx.contains("shfl.sync.idx.b32"), c + ":\n" + ptx);
            assertFalse(ptx.contains("layout conversion through shared memory"), c + " needs no shared memory:\n" + ptx);
            Ptxas.Report r = Ptxas.assemble(ptx, target.ptx().arch());
            assertTrue(r.ok(), c + ": " + r.output() + "\n" + ptx);
            assertEquals(0, Math.max(0, r.spillStores()) + Math.max(0, r.spillLoads()), c + " spills: " + r.output());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sharedShapes")
    void whereShufflesCostMoreTheSharedRoundTripStays(Case c) {
        String ptx = ptx(c, Target.of(dev.tessera.cuda.driver.PtxTarget.of(9, 0, 12080))).ptx();
        assertTrue(ptx.contains("layout conversion through shared memory"), c + ":\n" + ptx);
        assertFalse(ptx.contains("shfl.sync.idx"), c + ":\n" + ptx);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("devicesAndCases")
    void resultsAreTheCpuBackends(Device device, Case c) {
        require(device);
        Tensor x = interesting(c.type(), 47, c.rows() * c.cols());
        Tensor out = poison(c.outType(), c.outputs());
        Agreement agreement = c.kernel().equals("rowSums") && c.type().isFloat() ? relative(1e-5, 1) : exact();
        check(device, Jit.kernel(WarpShuffleConversionTest.class, c.kernel()).withOptions(1, 1), Grid.grid(1), new Object[] {x, out, c.rows(), c.cols()},
                Map.of(1, agreement));
    }
}
