package dev.tessera.cuda.codegen.layout;

import static dev.tessera.cuda.codegen.layout.LinearLayout.LANE;
import static dev.tessera.cuda.codegen.layout.LinearLayout.OFFSET;
import static dev.tessera.cuda.codegen.layout.LinearLayout.REGISTER;
import static dev.tessera.cuda.codegen.layout.LinearLayout.WARP;
import static dev.tessera.cuda.codegen.layout.LinearLayout.dim;
import static dev.tessera.cuda.codegen.layout.LinearLayout.identity1D;
import static dev.tessera.cuda.codegen.layout.LinearLayout.strided1D;
import static dev.tessera.cuda.codegen.layout.LinearLayout.zeros1D;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.cuda.codegen.layout.LinearLayout.Dim;
import dev.tessera.ir.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The layout algebra on its own, after Triton's LinearLayoutTest: construction, product, compose,
 * invert, invertAndCompose (with copies and broadcasts), division, reshapes, transposes,
 * sublayouts and free variables as examples; then properties over random layouts (jqwik prints
 * the seed of a failing run).
 */
class LinearLayoutTest {

    // ------------------------------------------------------------------ construction

    @Test
    void emptyLayoutHasNoDimensionsAndIsTheUnitOfProduct() {
        LinearLayout e = LinearLayout.empty();
        assertEquals(List.of(), e.inDimNames());
        assertEquals(List.of(), e.outDimNames());
        assertEquals(1, e.totalInDimSize());
        assertTrue(e.isInvertible());
        LinearLayout l = identity1D(8, "i", "o");
        assertEquals(l, e.product(l));
        assertEquals(l, l.product(e));
        assertEquals(" ->", e.toString());
    }

    @Test
    void identity1DMapsEveryInputToItself() {
        LinearLayout l = identity1D(32, LANE, dim(0));
        for (int x = 0; x < 32; x++) assertArrayEquals(new int[] {x}, l.apply(x));
        assertEquals(32, l.outDimSize(dim(0)));
        assertEquals(5, l.inDimSizeLog2(LANE));
        assertTrue(l.isInvertible());
        assertEquals("lane: [[1],[2],[4],[8],[16]] -> dim0:32", l.toString());
    }

    @Test
    void identityOfSizeOneHasNoBases() {
        LinearLayout l = identity1D(1, "i", "o");
        assertEquals(1, l.inDimSize("i"));
        assertEquals(1, l.outDimSize("o"));
        assertArrayEquals(new int[] {0}, l.apply(0));
        assertTrue(l.isInvertible());
    }

    @Test
    void zeros1DBroadcastsAndEveryBitIsFree() {
        LinearLayout l = zeros1D(8, LANE, dim(0));
        for (int x = 0; x < 8; x++) assertArrayEquals(new int[] {0}, l.apply(x));
        assertEquals(1, l.outDimSize(dim(0)));
        assertFalse(l.isInjective());
        assertTrue(l.isSurjective());
        assertEquals(Map.of(LANE, 7), l.freeVariableMasks());
    }

    @Test
    void strided1DSpreadsInputs() {
        LinearLayout l = strided1D(4, 8, "i", "o");
        assertEquals(32, l.outDimSize("o"));
        for (int x = 0; x < 4; x++) assertArrayEquals(new int[] {8 * x}, l.apply(x));
        assertTrue(l.isInjective());
        assertFalse(l.isSurjective());
    }

    @Test
    void builderChecksItsInvariants() {
        assertThrows(IllegalArgumentException.class, () -> LinearLayout.builder().in("i", new int[] {4}).out("o", 4).build());
        assertThrows(IllegalArgumentException.class, () -> LinearLayout.builder().in("i", new int[] {1, 0}).out("o", 4).build());
        assertThrows(IllegalArgumentException.class, () -> LinearLayout.builder().out("o", 3));
        assertThrows(IllegalArgumentException.class, () -> LinearLayout.builder().in("i").in("i"));
        LinearLayout l = LinearLayout.builder().in(REGISTER, new int[] {0, 1}, new int[] {0, 2}).in(LANE, new int[] {1, 0}).in(WARP).out(dim(0), 2).out(dim(1), 4).build();
        assertEquals("register: [[0,1],[0,2]], lane: [[1,0]], warp: [] -> dim0:2, dim1:4", l.toString());
        assertEquals(List.of(new Dim(REGISTER, 4), new Dim(LANE, 2), new Dim(WARP, 1)), l.inDims());
        assertArrayEquals(new int[] {1, 2}, l.apply(2, 1, 0));
        assertEquals(Map.of(dim(0), 1, dim(1), 3), l.apply(Map.of(REGISTER, 3, LANE, 1, WARP, 0)));
        assertEquals(List.of(dim(0), dim(1)), List.copyOf(l.apply(Map.of(REGISTER, 3, LANE, 1, WARP, 0)).keySet()));
        assertThrows(IllegalArgumentException.class, () -> l.apply(4, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> l.apply(Map.of(REGISTER, 1)));
    }

    @Test
    void applyXorsTheBasesOfTheSetBits() {
        LinearLayout l = LinearLayout.builder().in("i", new int[] {3}, new int[] {5}).out("o", 8).build();
        assertArrayEquals(new int[] {0}, l.apply(0));
        assertArrayEquals(new int[] {3}, l.apply(1));
        assertArrayEquals(new int[] {5}, l.apply(2));
        assertArrayEquals(new int[] {6}, l.apply(3));
    }

    // ------------------------------------------------------------------ product

    @Test
    void productOfSameDimensionsConcatenatesBits() {
        assertEquals(identity1D(32, "i", "o"), identity1D(4, "i", "o").product(identity1D(8, "i", "o")));
    }

    @Test
    void productOfDisjointDimensionsIsTheirPair() {
        LinearLayout l = identity1D(4, "i1", "o1").product(identity1D(8, "i2", "o2"));
        assertEquals(List.of("i1", "i2"), l.inDimNames());
        assertEquals(List.of("o1", "o2"), l.outDimNames());
        assertArrayEquals(new int[] {3, 5}, l.apply(3, 5));
        assertTrue(l.isInvertible());
    }

    @Test
    void productWithZerosDropsOrShiftsBits() {
        LinearLayout modulo = identity1D(4, "i", "o").product(zeros1D(2, "i", "o"));
        LinearLayout divide = zeros1D(2, "i", "o").product(identity1D(4, "i", "o"));
        for (int x = 0; x < 8; x++) {
            assertArrayEquals(new int[] {x % 4}, modulo.apply(x));
            assertArrayEquals(new int[] {x / 2}, divide.apply(x));
        }
        assertEquals(4, modulo.outDimSize("o"));
    }

    @Test
    void productSplittingOneInputOverTwoOutputs() {
        LinearLayout l = identity1D(4, "i", "o1").product(identity1D(8, "i", "o2"));
        for (int x = 0; x < 32; x++) assertArrayEquals(new int[] {x % 4, x / 4}, l.apply(x));
    }

    @Test
    void productMergesDimensionOrdersAndRejectsConflicts() {
        LinearLayout ab = identity1D(2, "a", "x").product(identity1D(2, "b", "y"));
        LinearLayout ac = identity1D(2, "a", "x").product(identity1D(2, "c", "z"));
        assertEquals(List.of("a", "b", "c"), ab.product(ac).inDimNames());
        LinearLayout ba = identity1D(2, "b", "y").product(identity1D(2, "a", "x"));
        assertThrows(IllegalArgumentException.class, () -> ab.product(ba));
    }

    // ------------------------------------------------------------------ compose

    @Test
    void composeRunsThisThenOuter() {
        LinearLayout swap = LinearLayout.builder().in("x", new int[] {2}, new int[] {1}).out("y", 4).build();
        LinearLayout shift = LinearLayout.builder().in("y", new int[] {2}, new int[] {4}).out("z", 8).build();
        LinearLayout c = swap.compose(shift);
        assertEquals(List.of("x"), c.inDimNames());
        assertEquals(List.of("z"), c.outDimNames());
        for (int x = 0; x < 4; x++) assertArrayEquals(shift.apply(swap.apply(x)), c.apply(x));
    }

    @Test
    void composeMatchesDimensionsByName() {
        LinearLayout l = identity1D(4, "i", "a").product(identity1D(2, "j", "b"));
        LinearLayout outer = identity1D(2, "b", "p").product(identity1D(4, "a", "q"));
        LinearLayout c = l.compose(outer);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 2; j++) assertArrayEquals(new int[] {j, i}, c.apply(i, j));
        assertThrows(IllegalArgumentException.class, () -> l.compose(identity1D(4, "a", "q")));
        assertThrows(IllegalArgumentException.class, () -> identity1D(8, "i", "a").compose(identity1D(4, "a", "q")));
    }

    @Test
    void composeIntoALargerInput() {
        LinearLayout small = identity1D(4, "i", "o");
        LinearLayout c = small.compose(strided1D(8, 2, "o", "p"));
        assertEquals(16, c.outDimSize("p"));
        for (int x = 0; x < 4; x++) assertArrayEquals(new int[] {2 * x}, c.apply(x));
    }

    // ------------------------------------------------------------------ invert

    @Test
    void invertAPermutation() {
        LinearLayout l = LinearLayout.builder().in(OFFSET, new int[] {0, 4}, new int[] {1, 0}, new int[] {0, 1}, new int[] {0, 2})
                .out(dim(0), 2).out(dim(1), 8).build();
        LinearLayout inv = l.invert();
        assertEquals(List.of(dim(0), dim(1)), inv.inDimNames());
        assertEquals(List.of(OFFSET), inv.outDimNames());
        for (int x = 0; x < 16; x++) assertArrayEquals(new int[] {x}, inv.apply(l.apply(x)));
    }

    @Test
    void invertAnXorSwizzle() {
        // offset bit 2 (the row) also flips column bit 0: a swizzle
        LinearLayout l = LinearLayout.builder().in(OFFSET, new int[] {0, 1}, new int[] {0, 2}, new int[] {1, 1}).out(dim(0), 2).out(dim(1), 4).build();
        LinearLayout inv = l.invert();
        for (int x = 0; x < 8; x++) assertArrayEquals(new int[] {x}, inv.apply(l.apply(x)));
        assertArrayEquals(new int[] {5}, inv.apply(1, 0));
    }

    @Test
    void invertRejectsCopiesAndHoles() {
        IllegalStateException copies = assertThrows(IllegalStateException.class, () -> zeros1D(4, "i", "o").invert());
        assertTrue(copies.getMessage().contains("not injective"), copies.getMessage());
        IllegalStateException holes = assertThrows(IllegalStateException.class, () -> strided1D(4, 2, "i", "o").invert());
        assertTrue(holes.getMessage().contains("not surjective"), holes.getMessage());
    }

    // ------------------------------------------------------------------ invertAndCompose

    @Test
    void invertAndComposeFindsWhereOtherHoldsEachElement() {
        // registers to a row of 8: this holds element x at register x, other at register (x ^ 5)
        LinearLayout a = identity1D(8, REGISTER, dim(0));
        LinearLayout b = LinearLayout.builder().in(REGISTER, new int[] {1}, new int[] {2}, new int[] {5}).out(dim(0), 8).build();
        LinearLayout c = a.invertAndCompose(b);
        for (int x = 0; x < 8; x++) assertArrayEquals(a.apply(x), b.apply(c.apply(x)));
    }

    @Test
    void invertAndComposeOfIdenticalLayoutsIsTheIdentity() {
        LinearLayout l = identity1D(4, REGISTER, dim(1)).product(identity1D(32, LANE, dim(0)));
        assertEquals(identity1D(4, REGISTER, REGISTER).product(identity1D(32, LANE, LANE)), l.invertAndCompose(l));
    }

    @Test
    void invertAndComposeIntoCopiesPicksTheSmallestPreimage() {
        // offset bit 0 is a copy: offsets 2k and 2k+1 hold the same element
        LinearLayout copies = LinearLayout.builder().in(OFFSET, new int[] {0}, new int[] {1}, new int[] {2}).out(dim(0), 4).build();
        LinearLayout c = identity1D(4, REGISTER, dim(0)).invertAndCompose(copies);
        for (int x = 0; x < 4; x++) assertArrayEquals(new int[] {2 * x}, c.apply(x));
        // offset bit 1 repeats bit 0: offsets 1 and 2 hold the same element, 1 is smaller
        LinearLayout repeated = LinearLayout.builder().in(OFFSET, new int[] {1}, new int[] {1}, new int[] {2}).out(dim(0), 4).build();
        LinearLayout d = identity1D(4, REGISTER, dim(0)).invertAndCompose(repeated);
        assertArrayEquals(new int[] {1}, d.apply(1));
        assertArrayEquals(new int[] {4}, d.apply(2));
        assertArrayEquals(new int[] {5}, d.apply(3));
    }

    @Test
    void invertAndComposeIntoABroadcastStaysInTheSameWarpAndLane() {
        // other: each element in two lanes (lane bit 0 a copy) and in every warp (warp bits copies)
        LinearLayout other = LinearLayout.builder().in(WARP, new int[] {0}, new int[] {0}).in(LANE, new int[] {0}, new int[] {1}, new int[] {2})
                .in(REGISTER, new int[] {4}).out(dim(0), 8).build();
        LinearLayout mine = identity1D(8, REGISTER, dim(0));
        LinearLayout c = mine.invertAndCompose(other);
        for (int x = 0; x < 8; x++) {
            int[] at = c.apply(x);
            assertEquals(0, at[0], "warp");
            assertEquals(0, at[1] & 1, "lane bit 0 stays");
            assertArrayEquals(mine.apply(x), other.apply(at));
        }
    }

    @Test
    void invertAndComposeFromANonInjectiveLayout() {
        // this holds each element twice (register bit 0 a copy): both copies come from the same place
        LinearLayout mine = LinearLayout.builder().in(REGISTER, new int[] {0}, new int[] {1}, new int[] {2}).out(dim(0), 4).build();
        LinearLayout other = LinearLayout.builder().in(LANE, new int[] {2}, new int[] {1}).out(dim(0), 4).build();
        LinearLayout c = mine.invertAndCompose(other);
        for (int x = 0; x < 8; x++) assertArrayEquals(mine.apply(x), other.apply(c.apply(x)));
        assertArrayEquals(c.apply(2), c.apply(3));
    }

    @Test
    void invertAndComposeRejectsElementsOtherNeverHolds() {
        LinearLayout full = identity1D(4, REGISTER, dim(0));
        assertThrows(IllegalArgumentException.class, () -> full.invertAndCompose(LinearLayout.builder().in(LANE, new int[] {2}).out(dim(0), 4).build()));
        assertThrows(IllegalArgumentException.class, () -> full.invertAndCompose(identity1D(4, LANE, dim(1))));
    }

    @Test
    void invertAndComposeAcrossOutputOrders() {
        LinearLayout rowMajor = identity1D(4, REGISTER, dim(1)).product(identity1D(2, REGISTER, dim(0))).transposeOuts(List.of(dim(0), dim(1)));
        LinearLayout colMajor = identity1D(2, OFFSET, dim(0)).product(identity1D(4, OFFSET, dim(1)));
        LinearLayout c = rowMajor.invertAndCompose(colMajor);
        for (int r = 0; r < 8; r++) assertArrayEquals(rowMajor.apply(r), colMajor.apply(c.apply(r)));
    }

    // ------------------------------------------------------------------ division

    @Test
    void divideLeftRemovesTheInnerFactor() {
        LinearLayout a = identity1D(4, REGISTER, dim(1));
        LinearLayout b = identity1D(8, LANE, dim(1)).product(identity1D(2, LANE, dim(0)));
        LinearLayout l = a.product(b);
        Optional<LinearLayout> q = l.divideLeft(a);
        assertTrue(q.isPresent());
        assertEquals(l, a.product(q.get()));
        assertEquals(l.inDimNames(), q.get().inDimNames());
        assertEquals(8, q.get().outDimSize(dim(1)));
        assertEquals(1, q.get().inDimSize(REGISTER));
    }

    @Test
    void divideLeftOfAVectorizedLayout() {
        // four registers of consecutive elements, then lanes: divisible by a 4-wide vector, not by 8
        LinearLayout l = identity1D(4, REGISTER, dim(0)).product(identity1D(32, LANE, dim(0)));
        assertTrue(l.divideLeft(identity1D(4, REGISTER, dim(0))).isPresent());
        assertTrue(l.divideLeft(identity1D(2, REGISTER, dim(0))).isPresent());
        assertFalse(l.divideLeft(identity1D(8, REGISTER, dim(0))).isPresent());
    }

    @Test
    void divideLeftFailsWhenBlocksMix() {
        LinearLayout mixed = LinearLayout.builder().in("i", new int[] {1}, new int[] {3}).out("o", 4).build();
        assertFalse(mixed.divideLeft(identity1D(2, "i", "o")).isPresent());
        LinearLayout swapped = LinearLayout.builder().in("i", new int[] {2}, new int[] {1}).out("o", 4).build();
        assertFalse(swapped.divideLeft(identity1D(2, "i", "o")).isPresent());
        assertFalse(identity1D(4, "i", "o").divideLeft(identity1D(2, "j", "o")).isPresent());
    }

    @Test
    void divideRightRemovesTheOuterFactor() {
        LinearLayout a = identity1D(4, REGISTER, dim(1)).product(identity1D(32, LANE, dim(1)));
        LinearLayout b = identity1D(4, WARP, dim(0));
        LinearLayout l = a.product(b);
        Optional<LinearLayout> q = l.divideRight(b);
        assertTrue(q.isPresent());
        assertEquals(l, q.get().product(b));
        assertFalse(l.divideRight(identity1D(4, WARP, dim(1))).isPresent());
        assertFalse(l.divideRight(identity1D(8, REGISTER, dim(1))).isPresent());
    }

    // ------------------------------------------------------------------ reshape, transpose, sublayout

    @Test
    void reshapeOutsKeepsTheRowMajorFlatIndex() {
        LinearLayout tile = identity1D(8, REGISTER, dim(1)).product(identity1D(4, LANE, dim(0))).transposeOuts(List.of(dim(0), dim(1)));
        LinearLayout flat = tile.flattenOuts();
        assertEquals(List.of(dim(0)), flat.outDimNames());
        for (int r = 0; r < 8; r++) for (int l = 0; l < 4; l++) assertArrayEquals(new int[] {l * 8 + r}, flat.apply(r, l));
        LinearLayout reshaped = tile.reshapeOuts(List.of(new Dim(dim(0), 2), new Dim(dim(1), 16)));
        for (int r = 0; r < 8; r++) for (int l = 0; l < 4; l++) assertArrayEquals(new int[] {(l * 8 + r) / 16, (l * 8 + r) % 16}, reshaped.apply(r, l));
        assertEquals(tile, reshaped.reshapeOuts(tile.outDims()));
        assertThrows(IllegalArgumentException.class, () -> tile.reshapeOuts(List.of(new Dim(dim(0), 16))));
    }

    @Test
    void reshapeInsSplitsTheRowMajorFlatInput() {
        LinearLayout l = LinearLayout.builder().in("a", new int[] {1}, new int[] {2}).in("b", new int[] {4}).out("o", 8).build();
        LinearLayout flat = l.flattenIns();
        assertEquals(List.of(new Dim("a", 8)), flat.inDims());
        for (int a = 0; a < 4; a++) for (int b = 0; b < 2; b++) assertArrayEquals(l.apply(a, b), flat.apply(a * 2 + b));
        LinearLayout split = l.reshapeIns(List.of(new Dim("x", 2), new Dim("y", 4)));
        for (int x = 0; x < 2; x++) for (int y = 0; y < 4; y++) assertArrayEquals(flat.apply(x * 4 + y), split.apply(x, y));
    }

    @Test
    void reshapeOfDistributedLayoutsIsAFreeRelabeling() {
        DistributedLayout d = Layouts.defaultLayout(Shape.of(16, 8), 2);
        LinearLayout asFlat = d.toLinear().reshapeOuts(List.of(new Dim(dim(0), 128)));
        assertEquals(d.withShape(Shape.of(128)).toLinear(), asFlat);
    }

    @Test
    void transposesReorderWithoutChangingTheMap() {
        LinearLayout l = identity1D(4, "i", "a").product(identity1D(2, "j", "b"));
        LinearLayout t = l.transposeOuts(List.of("b", "a"));
        assertEquals(List.of("b", "a"), t.outDimNames());
        for (int i = 0; i < 4; i++) for (int j = 0; j < 2; j++) assertArrayEquals(new int[] {j, i}, t.apply(i, j));
        LinearLayout u = l.transposeIns(List.of("j", "i"));
        for (int i = 0; i < 4; i++) for (int j = 0; j < 2; j++) assertArrayEquals(l.apply(i, j), u.apply(j, i));
        assertEquals(l, t.transposeOuts(List.of("a", "b")));
        assertNotEquals(l, t);
        assertThrows(IllegalArgumentException.class, () -> l.transposeOuts(List.of("a")));
    }

    @Test
    void sublayoutKeepsTheNamedDimensionsInOrder() {
        LinearLayout l = Layouts.defaultLayout(Shape.of(64, 32), 4).toLinear();
        LinearLayout threads = l.sublayout(List.of(WARP, LANE), List.of(dim(1), dim(0)));
        assertEquals(List.of(LANE, WARP), threads.inDimNames());
        assertEquals(List.of(dim(0), dim(1)), threads.outDimNames());
        for (int lane = 0; lane < 32; lane++) for (int w = 0; w < 4; w++) assertArrayEquals(l.apply(0, lane, w), threads.apply(lane, w));
        LinearLayout rows = l.sublayout(List.of(REGISTER), List.of(dim(0)));
        assertEquals(64, rows.outDimSize(dim(0)));
        assertThrows(IllegalArgumentException.class, () -> l.sublayout(List.of("block"), List.of()));
    }

    // ------------------------------------------------------------------ properties

    @Test
    void freeVariablesOfADistributedLayoutAreItsCopies() {
        // 32 elements over 4 warps of 32 lanes: lanes and warps beyond the tile hold copies
        DistributedLayout d = Layouts.defaultLayout(Shape.of(16), 4);
        Map<String, Integer> free = d.toLinear().freeVariableMasks();
        assertEquals(0, free.get(REGISTER));
        assertEquals(d.replicatedLaneMask(), free.get(LANE));
        assertEquals(d.replicatedWarpMask(), free.get(WARP));
        assertEquals(0b10000, free.get(LANE));
        assertEquals(0b11, free.get(WARP));
    }

    @Test
    void freeVariablesOfDependentBasesAreTheMoreSignificantOnes() {
        // the lane basis repeats the register's: in row-major order the register (first) is the free one
        LinearLayout l = LinearLayout.builder().in(REGISTER, new int[] {1}).in(LANE, new int[] {1}, new int[] {2}).out(dim(0), 4).build();
        assertEquals(Map.of(REGISTER, 1, LANE, 0), l.freeVariableMasks());
        LinearLayout xor = LinearLayout.builder().in("i", new int[] {1}, new int[] {2}, new int[] {3}).out("o", 4).build();
        assertEquals(Map.of("i", 0b100), xor.freeVariableMasks());
        assertFalse(xor.isInjective());
        assertTrue(xor.isSurjective());
    }

    // ------------------------------------------------------------------ random layouts

    /** A random layout of up to {@code maxBits} input bits over one to three input and output dimensions. */
    static LinearLayout randomLayout(Random rnd, int inBits, int outBits, List<String> ins, List<String> outs) {
        int[] inLog2 = split(rnd, inBits, 1 + rnd.nextInt(ins.size())), outLog2 = split(rnd, outBits, 1 + rnd.nextInt(outs.size()));
        LinearLayout.Builder b = LinearLayout.builder();
        for (int k = 0; k < inLog2.length; k++) {
            int[][] bases = new int[inLog2[k]][outLog2.length];
            for (int[] basis : bases) for (int o = 0; o < outLog2.length; o++) basis[o] = rnd.nextInt(1 << outLog2[o]);
            b.in(ins.get(k), bases);
        }
        for (int o = 0; o < outLog2.length; o++) b.out(outs.get(o), 1 << outLog2[o]);
        return b.build();
    }

    /** A random bijective layout of {@code bits} bits: random until invertible (about 30% of random square matrices are). */
    static LinearLayout randomInvertible(Random rnd, int bits, List<String> ins, List<String> outs) {
        while (true) {
            LinearLayout l = randomLayout(rnd, bits, bits, ins, outs);
            if (l.isInvertible()) return l;
        }
    }

    private static int[] split(Random rnd, int bits, int parts) {
        int[] out = new int[parts];
        for (int i = 0; i < bits; i++) out[rnd.nextInt(parts)]++;
        return out;
    }

    static LinearLayout identityOver(List<Dim> dims) {
        LinearLayout id = LinearLayout.empty();
        for (Dim d : dims) id = id.product(identity1D(d.size(), d.name(), d.name()));
        return id;
    }

    /** Every input of a layout, one value per input dimension. */
    static List<int[]> allInputs(LinearLayout l) {
        List<int[]> out = new ArrayList<>();
        List<Dim> dims = l.inDims();
        for (long flat = 0; flat < l.totalInDimSize(); flat++) {
            int[] x = new int[dims.size()];
            long rest = flat;
            for (int k = dims.size() - 1; k >= 0; k--) {
                x[k] = (int) (rest % dims.get(k).size());
                rest /= dims.get(k).size();
            }
            out.add(x);
        }
        return out;
    }

    static long flatIndex(int[] values, List<Dim> dims) {
        long flat = 0;
        for (int k = 0; k < values.length; k++) flat = flat * dims.get(k).size() + values[k];
        return flat;
    }

    private static final List<String> INS = List.of("a", "b", "c"), MIDS = List.of("x", "y", "z"), OUTS = List.of("p", "q", "r"), LAST = List.of("s", "t", "u");

    @Provide
    Arbitrary<Long> seeds() { return Arbitraries.longs(); }

    @Property(tries = 300)
    void inverseUndoesTheLayout(@ForAll("seeds") long seed) {
        Random rnd = new Random(seed);
        LinearLayout l = randomInvertible(rnd, rnd.nextInt(9), INS, OUTS);
        LinearLayout inv = l.invert();
        assertEquals(identityOver(l.inDims()), l.compose(inv), l.toString());
        assertEquals(identityOver(l.outDims()), inv.compose(l), l.toString());
    }

    @Property(tries = 300)
    void composeIsAssociative(@ForAll("seeds") long seed) {
        Random rnd = new Random(seed);
        int bits = rnd.nextInt(9);
        LinearLayout a = randomInvertible(rnd, bits, INS, MIDS);
        LinearLayout b = randomInvertible(rnd, bits, MIDS, OUTS).reshapeIns(a.outDims());
        LinearLayout c = randomInvertible(rnd, bits, OUTS, LAST).reshapeIns(b.outDims());
        assertEquals(a.compose(b).compose(c), a.compose(b.compose(c)));
    }

    @Property(tries = 300)
    void applyIsLinear(@ForAll("seeds") long seed) {
        Random rnd = new Random(seed);
        LinearLayout l = randomLayout(rnd, rnd.nextInt(13), rnd.nextInt(13), INS, OUTS);
        List<Dim> dims = l.inDims();
        int[] x = new int[dims.size()], y = new int[dims.size()], xy = new int[dims.size()];
        for (int k = 0; k < dims.size(); k++) {
            x[k] = rnd.nextInt(dims.get(k).size());
            y[k] = rnd.nextInt(dims.get(k).size());
            xy[k] = x[k] ^ y[k];
        }
        int[] fx = l.apply(x), fy = l.apply(y), fxy = l.apply(xy);
        for (int o = 0; o < fxy.length; o++) assertEquals(fx[o] ^ fy[o], fxy[o]);
    }

    @Property(tries = 300)
    void invertAndComposePicksTheSmallestPreimage(@ForAll("seeds") long seed) {
        Random rnd = new Random(seed);
        int outBits = rnd.nextInt(6);
        LinearLayout candidate;
        do {
            candidate = randomLayout(rnd, outBits + rnd.nextInt(3), outBits, INS, OUTS);
        } while (!candidate.isSurjective());
        LinearLayout other = candidate;
        LinearLayout mine = randomLayout(rnd, rnd.nextInt(6), outBits, MIDS, other.outDimNames()).reshapeOuts(other.outDims());
        mine = mine.transposeOuts(other.outDimNames().reversed());
        LinearLayout c = mine.invertAndCompose(other);
        List<int[]> otherInputs = allInputs(other);
        for (int[] x : allInputs(mine)) {
            int[] want = mine.transposeOuts(other.outDimNames()).apply(x);
            long smallest = otherInputs.stream().filter(y -> java.util.Arrays.equals(other.apply(y), want)).mapToLong(y -> flatIndex(y, other.inDims()))
                    .min().orElseThrow();
            assertEquals(smallest, flatIndex(c.apply(x), other.inDims()), "at " + java.util.Arrays.toString(x) + " of " + mine + " into " + other);
        }
    }

    @Property(tries = 300)
    void divideLeftAndRightUndoProduct(@ForAll("seeds") long seed) {
        Random rnd = new Random(seed);
        LinearLayout a = randomLayout(rnd, rnd.nextInt(6), rnd.nextInt(6), INS, OUTS);
        LinearLayout b = randomLayout(rnd, rnd.nextInt(6), rnd.nextInt(6), INS, OUTS);
        LinearLayout ab;
        try {
            ab = a.product(b);
        } catch (IllegalArgumentException differentOrders) {
            return;
        }
        LinearLayout left = ab.divideLeft(a).orElseThrow(() -> new AssertionError(ab + " / " + a));
        assertEquals(ab, a.product(left));
        LinearLayout right = ab.divideRight(b).orElseThrow(() -> new AssertionError(ab + " / " + b));
        assertEquals(ab, right.product(b));
    }

    @Property(tries = 200)
    void productIsAssociative(@ForAll("seeds") long seed) {
        Random rnd = new Random(seed);
        List<String> dims = List.of("a", "b");
        LinearLayout a = randomLayout(rnd, rnd.nextInt(4), rnd.nextInt(4), dims, OUTS.subList(0, 2));
        LinearLayout b = randomLayout(rnd, rnd.nextInt(4), rnd.nextInt(4), dims, OUTS.subList(0, 2));
        LinearLayout c = randomLayout(rnd, rnd.nextInt(4), rnd.nextInt(4), dims, OUTS.subList(0, 2));
        assertEquals(a.product(b).product(c), a.product(b.product(c)));
    }

    @Property(tries = 300)
    void blockedLayoutsRoundTripThroughTheLinearForm(@ForAll("seeds") long seed) {
        Random rnd = new Random(seed);
        int rank = 1 + rnd.nextInt(3), numWarps = 1 << rnd.nextInt(5);
        int[] dims = new int[rank], spt = new int[rank];
        for (int d = 0; d < rank; d++) {
            dims[d] = 1 << rnd.nextInt(rank == 1 ? 13 : 7);
            spt[d] = 1 << rnd.nextInt(3);
        }
        List<Integer> order = new ArrayList<>();
        for (int d = 0; d < rank; d++) order.add(d);
        java.util.Collections.shuffle(order, rnd);
        Shape shape = Shape.of(dims);
        DistributedLayout d = Layouts.blocked(shape, spt, order.stream().mapToInt(Integer::intValue).toArray(), numWarps).linear(shape);
        LinearLayout l = d.toLinear();
        assertEquals(d, DistributedLayout.fromLinear(l));
        assertEquals(List.of(REGISTER, LANE, WARP), l.inDimNames());
        for (int r = 0; r < d.numRegs(); r++) {
            int lane = rnd.nextInt(32), w = rnd.nextInt(numWarps);
            int[] coords = l.apply(r, lane, w);
            for (int k = 0; k < rank; k++) assertEquals(DistributedLayout.coordinate(shape, k, d.element(r, lane, w)), coords[k]);
        }
    }

    @Test
    void fromLinearRejectsWhatIsNotADistributedLayout() {
        LinearLayout xor = LinearLayout.builder().in(REGISTER, new int[] {1, 1}).in(LANE, new int[][] {{0, 2}, {0, 4}, {1, 0}, {2, 0}, {4, 0}}).in(WARP)
                .out(dim(0), 8).out(dim(1), 8).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DistributedLayout.fromLinear(xor));
        assertTrue(e.getMessage().contains("not one bit"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DistributedLayout.fromLinear(identity1D(32, LANE, dim(0))));
        LinearLayout swappedOuts = Layouts.defaultLayout(Shape.of(8, 4), 1).toLinear().transposeOuts(List.of(dim(1), dim(0)));
        assertThrows(IllegalArgumentException.class, () -> DistributedLayout.fromLinear(swappedOuts));
        LinearLayout zeroRegister = LinearLayout.builder().in(REGISTER, new int[] {0}).in(LANE, new int[][] {{1}, {2}, {4}, {8}, {16}}).in(WARP).out(dim(0), 32).build();
        assertThrows(IllegalArgumentException.class, () -> DistributedLayout.fromLinear(zeroRegister));
        assertEquals(DistributedLayout.scalar(4), DistributedLayout.fromLinear(DistributedLayout.scalar(4).toLinear()));
    }
}
