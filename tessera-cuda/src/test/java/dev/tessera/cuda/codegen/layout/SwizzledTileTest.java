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
}
