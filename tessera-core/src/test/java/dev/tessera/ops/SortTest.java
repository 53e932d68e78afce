package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** sort along the last dimension, ascending and descending, of 1-D and 2-D tiles, with duplicates and unsigned values. */
@ExtendWith(SeedExtension.class)
class SortTest {
    static final DType[] TYPES = {DType.F32, DType.F16, DType.BF16, DType.F64, DType.I8, DType.U8, DType.I32, DType.U32, DType.I64, DType.U64};

    @Kernel
    static void sortRows(Tile x, Tile out, Tile R, @Constexpr boolean DESCENDING, @Constexpr int BR, @Constexpr int BC) {
        Tile i = arange(0, BR), j = arange(0, BC);
        Tile ptr = i.col().mul(BC).add(j.row()); // full rows; the padding rows are masked
        Tile m = i.col().lt(R).and(j.row().lt(BC));
        Tile v = load(x.add(ptr), m, 0L, dev.tessera.lang.MemoryOrder.Cache.NONE, dev.tessera.lang.MemoryOrder.Eviction.NORMAL);
        Tile sorted = BR == 1 ? sort(v.reshape(BC), DESCENDING).reshape(1, BC) : sort(v, DESCENDING);
        store(out.add(ptr), sorted, m);
    }

    static final JitKernel SORT = Jit.kernel(SortTest.class, "sortRows");

    static Stream<Arguments> sorts() { return cases(TYPES, false, true); }

    @ParameterizedTest(name = "{0} {1} descending={2}")
    @MethodSource("sorts")
    void sortsEachRow(Device device, DType t, boolean descending, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        for (int[] shape : new int[][] {{1, 256}, {7, 64}, {3, 2}}) {
            int rows = shape[0], cols = shape[1], n = rows * cols;
            int blockRows = Integer.highestOneBit(rows) * (Integer.bitCount(rows) == 1 ? 1 : 2);
            Tensor x;
            if (t.isFloat()) {
                double[] v = new double[n];
                for (int k = 0; k < n; k++) v[k] = r.nextInt(4) == 0 ? r.nextInt(-3, 3) : r.nextDouble(-100, 100); // duplicates too
                x = Tensor.from(v, t, d, n);
            } else {
                long[] v = new long[n];
                for (int k = 0; k < n; k++) v[k] = r.nextInt(4) == 0 ? wrap(r.nextInt(-3, 3), t) : randomValue(t, r);
                x = Tensor.fromLongs(v, t, d, n);
            }
            Tensor out = poisoned(t, d, n);
            SORT.launch(grid(1), x, out, rows, descending, blockRows, cols);
            String what = "sort " + (descending ? "descending " : "") + t + " " + rows + "x" + cols;
            if (t.isFloat()) {
                double[] in = x.toDoubleArray(), ref = new double[n];
                for (int row = 0; row < rows; row++) {
                    Double[] part = Arrays.stream(in, row * cols, row * cols + cols).boxed().toArray(Double[]::new);
                    Arrays.sort(part, descending ? Comparator.reverseOrder() : Comparator.naturalOrder());
                    for (int k = 0; k < cols; k++) ref[row * cols + k] = part[k];
                }
                Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, what);
            } else {
                long[] in = x.toLongArray(), ref = new long[n];
                Comparator<Long> order = (a, b) -> compare(a, b, t);
                for (int row = 0; row < rows; row++) {
                    Long[] part = Arrays.stream(in, row * cols, row * cols + cols).boxed().toArray(Long[]::new);
                    Arrays.sort(part, descending ? order.reversed() : order);
                    for (int k = 0; k < cols; k++) ref[row * cols + k] = part[k];
                }
                Check.equal(ref, out.toLongArray(), what);
            }
        }
    }
}
