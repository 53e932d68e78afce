package dev.tessera.cuda.codegen.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The byte offsets code generation computes for a tensor-core operand tile are those of its shared layout, element for element. */
class SwizzledTileTest {

    @ParameterizedTest(name = "{0} rows x {1} elements of {2} bytes")
    @CsvSource({"16, 16, 2", "64, 32, 2", "128, 64, 2", "32, 128, 2", "64, 256, 2", "32, 8, 4", "64, 32, 4", "128, 64, 1", "16, 16, 1", "8, 8, 2"})
    void offsetsAreTheSharedLayoutsOffsets(int rows, int cols, int elementBytes) {
        SwizzledTile tile = SwizzledTile.of(rows, cols, elementBytes);
        SharedLayout layout = tile.layout();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                assertEquals(layout.offset(r, c) * elementBytes, tile.offset(r, c), "(" + r + ", " + c + ") of " + tile + " vs " + layout);
            }
        }
        assertEquals(rows * cols * elementBytes, tile.bytes());
    }

    /**
     * Wgmma's canonical tiles: rows cut into atoms of up to 128 bytes, the atoms of all rows one
     * after another, and within a group of 8 rows the hardware's swizzle of the address (CuTe's
     * Swizzle&lt;B, 4, 3&gt;: bits 4.. XORed with bits 7..), for a base on the pattern's alignment.
     */
    @ParameterizedTest(name = "{0} rows x {1} elements of {2} bytes")
    @CsvSource({"128, 64, 2", "64, 32, 2", "32, 16, 2", "32, 128, 2", "64, 256, 2", "128, 32, 4", "64, 128, 1", "16, 64, 2", "64, 64, 4"})
    void canonicalOffsetsAreTheHardwaresSwizzle(int rows, int cols, int elementBytes) {
        SwizzledTile tile = SwizzledTile.canonical(rows, cols, elementBytes);
        int swizzleBytes = Math.min(128, cols * elementBytes), bits = Integer.numberOfTrailingZeros(swizzleBytes / 16);
        assertEquals(8 * swizzleBytes, tile.alignment());
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int colBytes = c * elementBytes;
                int plain = colBytes / swizzleBytes * rows * swizzleBytes + r * swizzleBytes + colBytes % swizzleBytes;
                int swizzled = plain ^ ((plain >> 7) & ((1 << bits) - 1)) << 4;
                assertEquals(swizzled, tile.offset(r, c), "(" + r + ", " + c + ") of " + tile);
                seen.add(tile.offset(r, c) / elementBytes);
            }
        }
        assertEquals(rows * cols, seen.size(), "every element its own place");
    }

    /**
     * What a pipelined TMA copy relies on: the copy unit, writing one box per atom (box rows × atom
     * bytes, the map's swizzle the atom's width) at the atom's place, swizzles each byte's address
     * as an absolute address (bits 4.. XORed with bits 7..) and so writes the canonical tile, when
     * the tile starts on its alignment and its rows are a multiple of 8 (each atom then starts on
     * its swizzle's repeat too).
     */
    @ParameterizedTest(name = "{0} rows x {1} elements of {2} bytes")
    @CsvSource({"128, 64, 2", "64, 128, 2", "256, 64, 2", "64, 256, 2", "8, 64, 2", "64, 32, 2", "128, 16, 2", "128, 128, 1", "64, 64, 1"})
    void theCopyUnitsBoxesWriteTheCanonicalTile(int rows, int cols, int elementBytes) {
        SwizzledTile tile = SwizzledTile.canonical(rows, cols, elementBytes);
        int atom = tile.atomBytes(), bits = Integer.numberOfTrailingZeros(atom / 16), base = 3 * tile.alignment();
        for (int a = 0; a < tile.rowBytes() / atom; a++) {
            int boxStart = base + a * rows * atom;
            for (int r = 0; r < rows; r++) {
                for (int inBox = 0; inBox < atom; inBox += elementBytes) {
                    int address = boxStart + r * atom + inBox;
                    int written = address ^ ((address >> 7) & ((1 << bits) - 1)) << 4;
                    int c = (a * atom + inBox) / elementBytes;
                    assertEquals(base + tile.offset(r, c), written, "box " + a + " (" + r + ", " + c + ") of " + tile);
                }
            }
        }
    }
}
