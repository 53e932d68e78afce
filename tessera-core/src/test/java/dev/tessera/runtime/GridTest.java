package dev.tessera.runtime;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.testing.Check;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Launch grids given as numbers or computed from the meta-parameters (constexprs), in 1 to 3 axes; empty grids. */
class GridTest {

    @Kernel
    static void cover(Tile out, Tile n, @Constexpr int BLOCK) {
        Tile linear = programId(2).mul(numPrograms(1)).add(programId(1)).mul(numPrograms(0)).add(programId(0));
        Tile offs = linear.mul(BLOCK).add(arange(0, BLOCK));
        store(out.add(offs), offs.add(1), offs.lt(n)); // element i holds i + 1
    }

    static final JitKernel COVER = Jit.kernel(GridTest.class, "cover");

    static long[] expected(int n) { return IntStream.range(0, n).mapToLong(i -> i + 1).toArray(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void gridsAsNumbersAndAsFunctionsOfTheMetaParameters(Device device) {
        Device d = TestDevices.require(device);
        int n = 3000;
        for (int block : new int[] {64, 256, 1024}) {
            Tensor out = Tensor.zeros(DType.I32, d, n);
            // the grid from the constexprs, as an autotuner needs: the block size is chosen after the grid is written
            Grid fromMeta = meta -> new int[] {cdiv(n, (Integer) meta.get("BLOCK"))};
            COVER.launch(fromMeta, out, n, block);
            Check.equal(expected(n), out.toLongArray(), "grid from BLOCK=" + block);

            Tensor byName = Tensor.zeros(DType.I32, d, n);
            COVER.launch(fromMeta, new Object[] {byName, n}, Map.of("BLOCK", block)); // constexprs by name
            Check.equal(expected(n), byName.toLongArray(), "constexprs by name, BLOCK=" + block);
        }
        // the same programs as 2-D and 3-D grids
        for (int[] g : new int[][] {{3, 4}, {2, 3, 2}, {1, 1, 12}}) {
            Tensor out = Tensor.zeros(DType.I32, d, 12 * 250);
            COVER.launch(grid(g), out, 12 * 250, 256);
            Check.equal(expected(12 * 250), out.toLongArray(), "grid " + java.util.Arrays.toString(g));
            Tensor viaMeta = Tensor.zeros(DType.I32, d, 12 * 250);
            COVER.launch(meta -> g, viaMeta, 12 * 250, 256);
            Check.equal(expected(12 * 250), viaMeta.toLongArray(), "grid function " + java.util.Arrays.toString(g));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void emptyGridsLaunchNothing(Device device) {
        Device d = TestDevices.require(device);
        Tensor out = Tensor.zeros(DType.I32, d, 10);
        COVER.launch(grid(0), out, 10, 64);
        COVER.launch(grid(4, 0), out, 10, 64);
        COVER.launch(meta -> new int[] {0, 1, 1}, out, 10, 64);
        assertArrayEquals(new long[10], out.toLongArray());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void badGridsAreRejected(Device device) {
        TestDevices.require(device);
        assertThrows(IllegalArgumentException.class, () -> grid());
        assertThrows(IllegalArgumentException.class, () -> grid(1, 2, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> grid(-1));
        // a grid function is checked like a fixed grid
        Tensor out = Tensor.zeros(DType.I32, TestDevices.require(device), 10);
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> COVER.launch(meta -> new int[] {-2}, out, 10, 64));
        org.junit.jupiter.api.Assertions.assertTrue(negative.getMessage().contains("negative grid dimension"), negative.getMessage());
        assertThrows(IllegalArgumentException.class, () -> COVER.launch(meta -> new int[] {1, 1, 1, 1}, out, 10, 64));
        assertThrows(IllegalArgumentException.class, () -> COVER.launch(meta -> new int[0], out, 10, 64));
        assertArrayEquals(new long[10], out.toLongArray());
    }
}
