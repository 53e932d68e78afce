package dev.tessera.cuda.codegen.layout;

import static dev.tessera.cuda.codegen.layout.LinearLayout.OFFSET;
import static dev.tessera.cuda.codegen.layout.LinearLayout.dim;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.ir.Shape;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Shared-memory layouts as linear layouts: the swizzle's XOR bases, its inverse, Triton's mma
 * operand parameters, and the property the swizzle exists for: 8x8 ldmatrix reads and 16-byte
 * vector writes of 16-bit elements meet eight different 16-byte bank groups.
 */
class SharedLayoutTest {
    private static final int ELEMENT_BYTES = 2;

    /** The 16-byte group of banks (0..7) that element offset {@code offset} of 16-bit elements falls in. */
    private static int bankGroup(int offset) { return offset * ELEMENT_BYTES / SharedLayout.VECTOR_BYTES % 8; }

    @Test
    void unswizzledIsRowMajorInItsOrder() {
        SharedLayout rowMajor = SharedLayout.unswizzled(Shape.of(4, 8), new int[] {1, 0});
        SharedLayout colMajor = SharedLayout.unswizzled(Shape.of(4, 8), new int[] {0, 1});
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 8; c++) {
                assertEquals(r * 8 + c, rowMajor.offset(r, c));
                assertEquals(c * 4 + r, colMajor.offset(r, c));
            }
        }
        assertFalse(rowMajor.isSwizzled());
        assertEquals(List.of(new LinearLayout.Dim(dim(0), 4), new LinearLayout.Dim(dim(1), 8)), rowMajor.linear().outDims());
    }

    @Test
    void swizzleHasXorBasesOnTheRowBitsOfThePhase() {
        // 16 fp16 per row (32 bytes): 4 rows per phase, 2 phases, chunks of 8
        SharedLayout s = SharedLayout.forTensorCoreOperand(Shape.of(32, 16), new int[] {1, 0}, ELEMENT_BYTES);
        assertEquals(new SharedLayout(Shape.of(32, 16), 8, 4, 2, new int[] {1, 0}), s);
        LinearLayout l = s.linear();
        assertEquals(List.of(OFFSET), l.inDimNames());
        assertEquals("offset: [[0,1],[0,2],[0,4],[0,8],[1,0],[2,0],[4,8],[8,0],[16,0]] -> dim0:32, dim1:16", l.toString());
        assertTrue(s.isSwizzled());
        // row 5, column 3: phase (5 / 4) % 2 = 1, so chunk 0 is stored as chunk 1
        assertEquals(5 * 16 + 8 + 3, s.offset(5, 3));
        assertEquals(5 * 16 + 3, s.offset(5, 11));
    }

    @Test
    void tensorCoreOperandParametersFollowTritonsRule() {
        // Triton (mma operands): perPhase = max(1, 128 / rowBytes), maxPhase = 8 / perPhase, vec = 16 bytes
        int[][] expected = {{16, 8, 1}, {32, 4, 2}, {64, 2, 4}, {128, 1, 8}, {256, 1, 8}, {512, 1, 8}};
        for (int[] e : expected) {
            int rowElems = e[0] / ELEMENT_BYTES;
            SharedLayout s = SharedLayout.forTensorCoreOperand(Shape.of(64, rowElems), new int[] {1, 0}, ELEMENT_BYTES);
            assertEquals(8, s.vec(), "vec for rows of " + e[0] + " bytes");
            assertEquals(e[1], s.perPhase(), "perPhase for rows of " + e[0] + " bytes");
            assertEquals(e[2], s.maxPhase(), "maxPhase for rows of " + e[0] + " bytes");
            assertEquals(Math.max(1, 8 / s.perPhase()), s.maxPhase());
        }
        SharedLayout narrow = SharedLayout.forTensorCoreOperand(Shape.of(64, 4), new int[] {1, 0}, ELEMENT_BYTES);
        assertEquals(4, narrow.vec());
        assertFalse(narrow.isSwizzled());
        SharedLayout f32 = SharedLayout.forTensorCoreOperand(Shape.of(64, 32), new int[] {1, 0}, 4);
        assertEquals(4, f32.vec());
        assertEquals(8, f32.maxPhase());
    }

    @Provide
    Arbitrary<Long> seeds() { return Arbitraries.longs(); }

    @Property(tries = 200)
    void inverseIsTheOffsetOfEveryElement(@ForAll("seeds") long seed) {
        Random rnd = new Random(seed);
        int rank = 1 + rnd.nextInt(3);
        int[] dims = new int[rank];
        for (int d = 0; d < rank; d++) dims[d] = 1 << rnd.nextInt(6);
        int[] order = new int[rank];
        List<Integer> perm = new java.util.ArrayList<>();
        for (int d = 0; d < rank; d++) perm.add(d);
        java.util.Collections.shuffle(perm, rnd);
        for (int d = 0; d < rank; d++) order[d] = perm.get(d);
        SharedLayout s = new SharedLayout(Shape.of(dims), 1 << rnd.nextInt(4), 1 << rnd.nextInt(4), 1 << rnd.nextInt(4), order);
        LinearLayout l = s.linear(), inverse = s.inverse();
        assertTrue(l.isInvertible(), s.toString());
        Set<Integer> seen = new HashSet<>();
        int numel = Shape.of(dims).numel();
        for (int off = 0; off < numel; off++) {
            int[] coords = l.apply(off);
            assertEquals(off, inverse.apply(coords)[0]);
            int flat = 0;
            for (int d = 0; d < rank; d++) flat = flat * dims[d] + coords[d];
            assertTrue(seen.add(flat), "offsets " + off + " and another hold " + java.util.Arrays.toString(coords));
            // within a chunk, elements stay consecutive along the contiguous dimension
            if (rank >= 2 && coords[order[0]] % s.vec() != 0) {
                int[] previous = coords.clone();
                previous[order[0]]--;
                assertEquals(off - 1, inverse.apply(previous)[0]);
            }
        }
    }

    @ParameterizedTest(name = "rows of {0} bytes")
    @ValueSource(ints = {32, 64, 128, 256})
    void ldmatrixReadsOfTheMmaSwizzleAreConflictFree(int rowBytes) {
        for (int[] order : new int[][] {{1, 0}, {0, 1}}) {
            int rowElems = rowBytes / ELEMENT_BYTES, rows = 64;
            Shape tile = order[0] == 1 ? Shape.of(rows, rowElems) : Shape.of(rowElems, rows);
            SharedLayout s = SharedLayout.forTensorCoreOperand(tile, order, ELEMENT_BYTES);
            for (int row0 = 0; row0 < rows; row0 += 8) {
                for (int chunk = 0; chunk < rowElems / s.vec(); chunk++) {
                    Set<Integer> groups = new HashSet<>();
                    for (int i = 0; i < 8; i++) {
                        int start = offsetAt(s, order, row0 + i, chunk * s.vec());
                        for (int j = 0; j < s.vec(); j++) assertEquals(start + j, offsetAt(s, order, row0 + i, chunk * s.vec() + j), "a matrix row is 16 consecutive bytes");
                        groups.add(bankGroup(start));
                    }
                    assertEquals(8, groups.size(), s + ": rows " + row0 + ".." + (row0 + 7) + " of chunk " + chunk + " meet bank groups " + groups);
                }
            }
        }
    }

    /** The offset of (row, column) where the row runs along order[1] and the column along order[0]. */
    private static int offsetAt(SharedLayout s, int[] order, int row, int column) {
        int[] coords = new int[2];
        coords[order[1]] = row;
        coords[order[0]] = column;
        return s.offset(coords);
    }

    @Test
    void withoutTheSwizzleLdmatrixReadsConflict() {
        SharedLayout plain = SharedLayout.unswizzled(Shape.of(64, 64), new int[] {1, 0});
        Set<Integer> groups = new HashSet<>();
        for (int i = 0; i < 8; i++) groups.add(bankGroup(plain.offset(i, 0)));
        assertEquals(1, groups.size(), "rows of 128 bytes all start in the same bank group");
    }

    @ParameterizedTest(name = "rows of {0} bytes")
    @ValueSource(ints = {32, 64, 128, 256})
    void vectorWritesOfARowMajorRegisterLayoutAreConflictFree(int rowBytes) {
        int rowElems = rowBytes / ELEMENT_BYTES, warps = 4;
        Shape tile = Shape.of(64, rowElems);
        SharedLayout s = SharedLayout.forTensorCoreOperand(tile, new int[] {1, 0}, ELEMENT_BYTES);
        DistributedLayout regs = Layouts.coalesced(tile, new int[] {1, 0}, SharedLayout.VECTOR_BYTES / ELEMENT_BYTES, warps);
        int vector = SharedLayout.VECTOR_BYTES / ELEMENT_BYTES;
        for (int r = 0; r < vector; r++) assertEquals(r, regs.regPart(r), "registers 0..7 are consecutive elements");
        SharedLayout.Accesses at = s.accesses(regs);
        for (int w = 0; w < warps; w++) {
            for (int r = 0; r < regs.numRegs(); r += vector) {
                for (int group = 0; group < 32; group += 8) {
                    Set<Integer> groups = new HashSet<>();
                    for (int lane = group; lane < group + 8; lane++) {
                        int start = at.offset(r, lane, w);
                        assertEquals(s.offsetOfFlat(regs.element(r, lane, w)), start);
                        for (int j = 1; j < vector; j++) assertEquals(start + j, at.offset(r + j, lane, w), "the thread's 8 elements are one 16-byte vector");
                        groups.add(bankGroup(start));
                    }
                    assertEquals(8, groups.size(), s + ": lanes " + group + ".." + (group + 7) + " of warp " + w + " write bank groups " + groups);
                }
            }
        }
    }

    @Test
    void accessesSplitIntoAThreadPartAndRegisterConstants() {
        Shape tile = Shape.of(64, 64);
        SharedLayout s = SharedLayout.forTensorCoreOperand(tile, new int[] {1, 0}, ELEMENT_BYTES);
        DistributedLayout regs = Layouts.coalesced(tile, new int[] {1, 0}, 8, 4);
        SharedLayout.Accesses at = s.accesses(regs);
        assertEquals(List.of(LinearLayout.LANE, LinearLayout.WARP), at.threadOffsets().inDimNames());
        for (int r = 0; r < regs.numRegs(); r++) {
            for (int lane = 0; lane < 32; lane++) for (int w = 0; w < 4; w++) assertEquals(s.offsetOfFlat(regs.element(r, lane, w)), at.offset(r, lane, w));
        }
        // registers step along a chunk, then down rows of phase 0: their constants and the thread part share no bit
        assertTrue(at.constantsAdd());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, java.util.Arrays.copyOf(at.registerOffsets(), 8));
        // a register one row down flips the chunk bit the lanes also set: XOR is no longer addition
        DistributedLayout twoRows = new Blocked(new int[] {2, 8}, new int[] {4, 8}, new int[] {4, 1}, new int[] {1, 0}).linear(tile);
        SharedLayout.Accesses mixed = s.accesses(twoRows);
        assertFalse(mixed.constantsAdd());
        assertEquals(64 ^ 8, mixed.registerOffsets()[8]);
        assertTrue(SharedLayout.unswizzled(tile, new int[] {1, 0}).accesses(twoRows).constantsAdd());
    }
}
