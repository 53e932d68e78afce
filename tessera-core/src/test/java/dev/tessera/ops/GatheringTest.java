package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

/** gather, histogram, topk, flip and interleave: exact selections, checked element by element. */
@ExtendWith(SeedExtension.class)
class GatheringTest {
    static final int R = 8, C = 16;

    /** out[i, j] = src[idx[i, j], j] (AXIS 0) or src[i, idx[i, j]] (AXIS 1); src and out are [R, C]. */
    @Kernel
    static void gather2d(Tile src, Tile idx, Tile out, @Constexpr int AXIS) {
        Tile offs = arange(0, R).col().mul(C).add(arange(0, C).row());
        store(out.add(offs), gather(load(src.add(offs)), load(idx.add(offs)), AXIS));
    }

    @Kernel
    static void histogramOf(Tile x, Tile out, Tile n, @Constexpr int BLOCK, @Constexpr int BINS) {
        Tile offs = arange(0, BLOCK);
        Tile v = load(x.add(offs), offs.lt(n), -1L); // masked lanes hold -1, which no bin counts
        store(out.add(arange(0, BINS)), histogram(v, BINS));
    }

    @Kernel
    static void topkRows(Tile x, Tile out, @Constexpr int K) {
        Tile offs = arange(0, R).col().mul(C).add(arange(0, C).row());
        Tile top = topk(load(x.add(offs)), K);
        store(out.add(arange(0, R).col().mul(K).add(arange(0, K).row())), top);
    }

    @Kernel
    static void flipAndInterleave(Tile x, Tile y, Tile flipped, Tile mixed) {
        Tile offs = arange(0, R).col().mul(C).add(arange(0, C).row());
        Tile a = load(x.add(offs)), b = load(y.add(offs));
        store(flipped.add(offs), flip(a, 1));
        store(mixed.add(arange(0, R).col().mul(2 * C).add(arange(0, 2 * C).row())), interleave(a, b));
    }

    static final JitKernel GATHER = Jit.kernel(GatheringTest.class, "gather2d");
    static final JitKernel HISTOGRAM = Jit.kernel(GatheringTest.class, "histogramOf");
    static final JitKernel TOPK = Jit.kernel(GatheringTest.class, "topkRows");
    static final JitKernel FLIP = Jit.kernel(GatheringTest.class, "flipAndInterleave");

    static Stream<Arguments> gatherCases() {
        return Ops.cases(new DType[] {DType.F32, DType.F16, DType.BF16, DType.F64, DType.I8, DType.U32, DType.I64, DType.FP8E5M2}, 0, 1);
    }

    @ParameterizedTest
    @MethodSource("gatherCases")
    void gatherMovesValuesExactly(Device device, DType t, int axis, @Seed long seed) {
        Device d = Ops.use(device);
        SplittableRandom r = new SplittableRandom(seed);
        double[] src = new double[R * C];
        long[] idx = new long[R * C];
        for (int i = 0; i < src.length; i++) {
            src[i] = t.isFloat() ? r.nextGaussian() * 100 : t.isUnsigned() ? r.nextInt(0, 200) : r.nextInt(-100, 100);
            idx[i] = r.nextInt(axis == 0 ? R : C);
        }
        if (t.isFloat()) src[3] = -0.0; // the sign of zero survives
        try (Tensor ts = Tensor.from(src, t, d, R, C);
             Tensor ti = Tensor.fromLongs(idx, DType.I32, d, R, C); Tensor out = Tensor.full(t, t.isFloat() ? Double.NaN : 77, d, R, C)) {
            GATHER.launch(grid(1), ts, ti, out, axis);
            double[] stored = ts.toDoubleArray(), got = out.toDoubleArray();
            for (int i = 0; i < R; i++) {
                for (int j = 0; j < C; j++) {
                    int k = (int) idx[i * C + j];
                    double expected = axis == 0 ? stored[k * C + j] : stored[i * C + k];
                    assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(got[i * C + j]),
                            "out[" + i + "," + j + "] = " + got[i * C + j] + ", expected " + expected);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void histogramCountsEachBin(Device device, @Seed long seed) {
        Device d = Ops.use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1000, bins = 32;
        long[] x = new long[n], ref = new long[bins];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextInt(-5, bins + 5); // some values fall outside the bins
            if (x[i] >= 0 && x[i] < bins) ref[(int) x[i]]++;
        }
        try (Tensor tx = Tensor.fromLongs(x, DType.I32, d, n); Tensor out = Tensor.full(DType.I32, -1, d, bins)) {
            HISTOGRAM.launch(grid(1), tx, out, n, 1024, bins);
            Check.equal(ref, out.toLongArray(), "histogram");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void topkTakesTheLargestInOrder(Device device, @Seed long seed) {
        Device d = Ops.use(device);
        int k = 4;
        try (Tensor x = Tensor.randn(DType.F32, seed, d, R, C); Tensor out = Tensor.full(DType.F32, Double.NaN, d, R, k)) {
            TOPK.launch(grid(1), x, out, k);
            double[] in = x.toDoubleArray(), ref = new double[R * k];
            for (int i = 0; i < R; i++) {
                double[] row = java.util.Arrays.copyOfRange(in, i * C, (i + 1) * C);
                java.util.Arrays.sort(row);
                for (int j = 0; j < k; j++) ref[i * k + j] = row[C - 1 - j];
            }
            Check.close(ref, out.toDoubleArray(), dev.tessera.testing.Tolerance.EXACT, "topk");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void flipReversesAndInterleaveAlternates(Device device, @Seed long seed) {
        Device d = Ops.use(device);
        try (Tensor x = Tensor.randn(DType.F32, seed, d, R, C); Tensor y = Tensor.randn(DType.F32, seed + 1, d, R, C);
             Tensor flipped = Tensor.full(DType.F32, Double.NaN, d, R, C); Tensor mixed = Tensor.full(DType.F32, Double.NaN, d, R, 2 * C)) {
            FLIP.launch(grid(1), x, y, flipped, mixed);
            double[] a = x.toDoubleArray(), b = y.toDoubleArray(), refFlip = new double[R * C], refMix = new double[R * 2 * C];
            for (int i = 0; i < R; i++) {
                for (int j = 0; j < C; j++) {
                    refFlip[i * C + j] = a[i * C + C - 1 - j];
                    refMix[i * 2 * C + 2 * j] = a[i * C + j];
                    refMix[i * 2 * C + 2 * j + 1] = b[i * C + j];
                }
            }
            Check.close(refFlip, flipped.toDoubleArray(), dev.tessera.testing.Tolerance.EXACT, "flip");
            Check.close(refMix, mixed.toDoubleArray(), dev.tessera.testing.Tolerance.EXACT, "interleave");
        }
    }
}
