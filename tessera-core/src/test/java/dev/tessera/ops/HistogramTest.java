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
import dev.tessera.types.DType;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * histogram of scalars and of 1-D and 2-D integer tiles: values below 0 and from bins up count
 * nowhere, tiles smaller than a program's threads and reductions' results (whose elements some
 * threads hold twice) count each element once, and bins from 1 to 1024 (more bins than elements,
 * and fewer). The reference counts in plain Java.
 */
@ExtendWith(SeedExtension.class)
class HistogramTest {
    static final DType[] TYPES = {DType.I8, DType.I32, DType.I64, DType.U16};

    /** Counts x[0 .. n) through one BLOCK-wide tile; masked lanes hold OUTSIDE, a value no bin counts. */
    @Kernel
    static void histogram1d(Tile x, Tile out, Tile n, @Constexpr int BLOCK, @Constexpr int BINS, @Constexpr long OUTSIDE) {
        Tile offs = arange(0, BLOCK);
        Tile v = load(x.add(offs), offs.lt(n), OUTSIDE);
        store(out.add(arange(0, BINS)), histogram(v, BINS));
    }

    /**
     * Counts the rows x[0 .. rows) of BC columns through one [BR, BC] tile, and the rows' maxima: a
     * reduction's result, which the threads that reduced a row together all hold.
     */
    @Kernel
    static void histogram2d(Tile x, Tile out, Tile maxima, Tile rows, @Constexpr int BR, @Constexpr int BC, @Constexpr int BINS,
                            @Constexpr long OUTSIDE) {
        Tile i = arange(0, BR), j = arange(0, BC);
        Tile mask = i.col().lt(rows).and(j.row().lt(BC));
        Tile v = load(x.add(i.col().mul(BC).add(j.row())), mask, OUTSIDE);
        store(out.add(arange(0, BINS)), histogram(v, BINS));
        store(maxima.add(arange(0, BINS)), histogram(max(v, 1), BINS));
    }

    /** A scalar, which every thread of a program holds, counts once. */
    @Kernel
    static void histogramOfScalar(Tile x, Tile out, @Constexpr int BINS) {
        store(out.add(arange(0, BINS)), histogram(load(x), BINS));
    }

    static final JitKernel HISTOGRAM_SCALAR = Jit.kernel(HistogramTest.class, "histogramOfScalar");
    static final JitKernel HISTOGRAM_1D = Jit.kernel(HistogramTest.class, "histogram1d");
    static final JitKernel HISTOGRAM_2D = Jit.kernel(HistogramTest.class, "histogram2d");

    /**
     * (n, BLOCK, warps): one element, partial blocks smaller than a warp and than 8 warps (their
     * elements held by several threads), of one warp's registers, and of 4096 (4097 would not fit one tile).
     */
    static final int[][] SIZES_1D = {{1, 1, 1}, {3, 4, 8}, {17, 32, 8}, {1000, 1024, 1}, {4000, 4096, 4}};

    static Stream<Arguments> cases1d() { return cases(TYPES, 1, 2, 16, 64, 1024); }

    static Stream<Arguments> cases2d() { return cases(TYPES, 1, 8, 128, 1024); }

    @ParameterizedTest(name = "{0} {1} bins={2}")
    @MethodSource("cases1d")
    void counts1d(Device device, DType t, int bins, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        for (int[] size : SIZES_1D) {
            int n = size[0], block = size[1], warps = size[2];
            long[] x = values(t, bins, n, r);
            try (Tensor tx = Tensor.fromLongs(x, t, d, n); Tensor out = poisoned(DType.I32, d, bins)) {
                HISTOGRAM_1D.withOptions(warps, 1).launch(grid(1), tx, out, n, block, bins, outside(t));
                Check.equal(reference(tx.toLongArray(), t, bins), out.toLongArray(), describe("histogram", t, n) + " bins=" + bins + " warps=" + warps);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} bins={2}")
    @MethodSource("cases2d")
    void counts2d(Device device, DType t, int bins, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        for (int[] shape : new int[][] {{1, 1, 1}, {3, 4, 2}, {5, 8, 16}, {45, 64, 64}}) {
            int rows = shape[0], blockRows = shape[1], cols = shape[2], n = rows * cols;
            long[] x = values(t, bins, n, r);
            try (Tensor tx = Tensor.fromLongs(x, t, d, n); Tensor out = poisoned(DType.I32, d, bins); Tensor maxima = poisoned(DType.I32, d, bins)) {
                HISTOGRAM_2D.launch(grid(1), tx, out, maxima, rows, blockRows, cols, bins, outside(t));
                long[] in = tx.toLongArray(), rowMaxima = new long[rows];
                for (int row = 0; row < rows; row++) {
                    rowMaxima[row] = in[row * cols];
                    for (int k = 1; k < cols; k++) if (compare(in[row * cols + k], rowMaxima[row], t) > 0) rowMaxima[row] = in[row * cols + k];
                }
                String what = "histogram " + t + " " + rows + "x" + cols + " bins=" + bins;
                Check.equal(reference(in, t, bins), out.toLongArray(), what);
                Check.equal(reference(rowMaxima, t, bins), maxima.toLongArray(), what + " of the rows' maxima");
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} bins={2}")
    @MethodSource("scalarCases")
    void countsAScalar(Device device, DType t, int bins) {
        Device d = use(device);
        for (long v : new long[] {wrap(-1, t), 0, bins - 1, bins}) {
            try (Tensor tx = Tensor.fromLongs(new long[] {v}, t, d, 1); Tensor out = poisoned(DType.I32, d, bins)) {
                HISTOGRAM_SCALAR.launch(grid(1), tx, out, bins);
                Check.equal(reference(tx.toLongArray(), t, bins), out.toLongArray(), "histogram of the scalar " + v + " " + t + " bins=" + bins);
            }
        }
    }

    static Stream<Arguments> scalarCases() { return cases(new DType[] {DType.I32, DType.U16}, 1, 4); }

    /** Mostly values around [0, bins), negative ones and ones from bins up among them, and some of t's whole range. */
    private static long[] values(DType t, int bins, int n, SplittableRandom r) {
        long[] x = new long[n];
        int spread = bins / 4 + 3;
        for (int k = 0; k < n; k++) x[k] = wrap(r.nextInt(8) == 0 ? r.nextLong() : r.nextLong(-spread, bins + spread), t);
        return x;
    }

    /** A value of t outside every bin: -1, or t's largest value for unsigned types (at least 65535, above 1024 bins). */
    private static long outside(DType t) { return t.isUnsigned() ? max(t) : -1; }

    private static long[] reference(long[] x, DType t, int bins) {
        long[] counts = new long[bins];
        for (long v : x) if (compare(v, 0, t) >= 0 && compare(v, bins, t) < 0) counts[(int) v]++;
        return counts;
    }
}
