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
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Multi-operand reduce and scan (Triton's {@code tl.reduce((a, b), axis, combine)}): an argmax with
 * its own key (the largest |x|, first index on ties) along each axis and over all elements,
 * Welford's mean and variance merged with Chan's formula, and a running argmax scanned both ways.
 * Lines of 77 in blocks of 128: masked lanes carry the combine's identity.
 */
@ExtendWith(SeedExtension.class)
class TupleReductionTest {
    static final int LINES = 7, LEN = 77, BLOCK_LINES = 8, BLOCK = 128, ALL = 99;

    /** (key, index) pairs: the larger key wins, the smaller index on equal keys. */
    static List<Tile> largerKey(List<Tile> a, List<Tile> b) {
        Tile left = a.get(0).gt(b.get(0)).or(a.get(0).eq(b.get(0)).and(a.get(1).lt(b.get(1))));
        return List.of(where(left, a.get(0), b.get(0)), where(left, a.get(1), b.get(1)));
    }

    /** The line's index of the largest |x| along AXIS (lines are rows for 1, columns for 0); ALL: over the flattened tile. */
    @Kernel
    static void argmaxOfAbs(Tile x, Tile out, Tile lines, Tile len, @Constexpr int AXIS) {
        Tile p = arange(0, BLOCK_LINES), q = arange(0, BLOCK);
        Tile line = AXIS == 0 ? p.row() : p.col(), at = AXIS == 0 ? q.col() : q.row();
        Tile m = line.lt(lines).and(at.lt(len));
        // masked lanes get key -1, below every |x|
        Tile key = where(m, abs(load(x.add(AXIS == 0 ? at.mul(lines).add(line) : line.mul(len).add(at)), m, 0.0)), -1.0);
        Tile index = at.add(zeros(I32, AXIS == 0 ? BLOCK : BLOCK_LINES, AXIS == 0 ? BLOCK_LINES : BLOCK));
        if (AXIS == ALL) {
            // over the flattened tile, launched with one line: the other rows are masked, so the index is the position
            List<Tile> best = reduce(List.of(key, index), TupleReductionTest::largerKey);
            store(out, best.get(1));
            return;
        }
        List<Tile> best = reduce(List.of(key, index), AXIS, TupleReductionTest::largerKey);
        store(out.add(p), best.get(1), p.lt(lines));
    }

    /** Per row: mean and population variance from (mean, m2, count) triples merged pairwise. */
    @Kernel
    static void welford(Tile x, Tile mean, Tile var, Tile lines, Tile len) {
        Tile p = arange(0, BLOCK_LINES).col(), q = arange(0, BLOCK).row();
        Tile m = p.lt(lines).and(q.lt(len));
        Tile v = load(x.add(p.mul(len).add(q)), m, 0.0);
        List<Tile> stats = reduce(List.of(v, zerosLike(v), m.to(F32)), 1, (a, b) -> {
            Tile n = a.get(2).add(b.get(2)), delta = b.get(0).sub(a.get(0));
            Tile share = where(n.eq(zerosLike(n)), zerosLike(n), b.get(2).div(n));
            return List.of(a.get(0).add(delta.mul(share)), a.get(1).add(b.get(1)).add(delta.mul(delta).mul(a.get(2)).mul(share)), n);
        });
        Tile rows = arange(0, BLOCK_LINES);
        store(mean.add(rows), stats.get(0), rows.lt(lines));
        store(var.add(rows), stats.get(1).div(stats.get(2)), rows.lt(lines));
    }

    /** Per row, the running (max, index of its first occurrence), forwards or from the end. */
    @Kernel
    static void runningArgmax(Tile x, Tile best, Tile at, Tile lines, Tile len, @Constexpr boolean REVERSE) {
        Tile p = arange(0, BLOCK_LINES).col(), q = arange(0, BLOCK).row();
        Tile m = p.lt(lines).and(q.lt(len));
        Tile v = load(x.add(p.mul(len).add(q)), m, Double.NEGATIVE_INFINITY);
        Tile index = q.add(zeros(I32, BLOCK_LINES, BLOCK));
        List<Tile> run = associativeScan(List.of(v, index), 1, (a, b) -> {
            // the earlier element in scan order wins a tie: the smaller index forwards, the larger in reverse
            Tile tie = a.get(0).eq(b.get(0)).and(REVERSE ? a.get(1).gt(b.get(1)) : a.get(1).lt(b.get(1)));
            Tile left = a.get(0).gt(b.get(0)).or(tie);
            return List.of(where(left, a.get(0), b.get(0)), where(left, a.get(1), b.get(1)));
        }, REVERSE);
        store(best.add(p.mul(len).add(q)), run.get(0), m);
        store(at.add(p.mul(len).add(q)), run.get(1), m);
    }

    static final JitKernel ARGMAX = Jit.kernel(TupleReductionTest.class, "argmaxOfAbs");
    static final JitKernel WELFORD = Jit.kernel(TupleReductionTest.class, "welford");
    static final JitKernel RUNNING = Jit.kernel(TupleReductionTest.class, "runningArgmax");

    static Stream<Arguments> devices() { return cases(new DType[] {DType.F32}); }

    /** Small integers give ties of |x| (between x and -x too), whose first index must win. */
    static double[][] lines(SplittableRandom r) {
        double[][] lines = new double[LINES][LEN];
        for (double[] line : lines) for (int q = 0; q < LEN; q++) line[q] = r.nextInt(-9, 10);
        return lines;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void argmaxWithItsOwnKey(Device device, DType t, @Seed long seed) {
        Device d = use(device);
        double[][] lines = lines(new SplittableRandom(seed));
        long[] ref = new long[LINES];
        for (int p = 0; p < LINES; p++) {
            for (int q = 1; q < LEN; q++) if (Math.abs(lines[p][q]) > Math.abs(lines[p][(int) ref[p]])) ref[p] = q;
        }
        for (int axis : new int[] {1, 0}) {
            double[] flat = new double[LINES * LEN];
            for (int p = 0; p < LINES; p++) for (int q = 0; q < LEN; q++) flat[axis == 1 ? p * LEN + q : q * LINES + p] = lines[p][q];
            Tensor x = Tensor.from(flat, t, d, flat.length), out = poisoned(DType.I32, d, LINES);
            ARGMAX.launch(grid(1), x, out, LINES, LEN, axis);
            Check.equal(ref, out.toLongArray(), "argmax of |x| along axis " + axis);
        }
        // over all elements of the tile of one line (lines = 1): the index along it
        double[] one = lines[0];
        Tensor x = Tensor.from(one, t, d, one.length), out = poisoned(DType.I32, d, 1);
        ARGMAX.launch(grid(1), x, out, 1, LEN, ALL);
        Check.equal(new long[] {ref[0]}, out.toLongArray(), "argmax of |x| over all elements");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void welfordMeanAndVariance(Device device, DType t, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        double[] flat = new double[LINES * LEN];
        for (int i = 0; i < flat.length; i++) flat[i] = 3 + r.nextGaussian() * 2;
        Tensor x = Tensor.from(flat, t, d, flat.length), mean = poisoned(DType.F32, d, LINES), var = poisoned(DType.F32, d, LINES);
        WELFORD.launch(grid(1), x, mean, var, LINES, LEN);
        double[] in = x.toDoubleArray(), refMean = new double[LINES], refVar = new double[LINES];
        for (int p = 0; p < LINES; p++) {
            double s = 0, ss = 0;
            for (int q = 0; q < LEN; q++) s += in[p * LEN + q];
            refMean[p] = s / LEN;
            for (int q = 0; q < LEN; q++) ss += (in[p * LEN + q] - refMean[p]) * (in[p * LEN + q] - refMean[p]);
            refVar[p] = ss / LEN;
        }
        Tolerance tol = Tolerance.of(DType.F32).scaled(8);
        Check.close(refMean, mean.toDoubleArray(), tol, "Welford mean");
        Check.close(refVar, var.toDoubleArray(), tol, "Welford variance");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void runningArgmaxScannedBothWays(Device device, DType t, @Seed long seed) {
        Device d = use(device);
        double[][] lines = lines(new SplittableRandom(seed));
        double[] flat = new double[LINES * LEN];
        for (int p = 0; p < LINES; p++) System.arraycopy(lines[p], 0, flat, p * LEN, LEN);
        Tensor x = Tensor.from(flat, t, d, flat.length);
        for (boolean reverse : new boolean[] {false, true}) {
            Tensor best = poisoned(DType.F32, d, flat.length), at = poisoned(DType.I32, d, flat.length);
            RUNNING.launch(grid(1), x, best, at, LINES, LEN, reverse);
            double[] refBest = new double[flat.length];
            long[] refAt = new long[flat.length];
            for (int p = 0; p < LINES; p++) {
                int arg = reverse ? LEN - 1 : 0;
                for (int c = 0; c < LEN; c++) {
                    int q = reverse ? LEN - 1 - c : c;
                    if (lines[p][q] > lines[p][arg]) arg = q;
                    refBest[p * LEN + q] = lines[p][arg];
                    refAt[p * LEN + q] = arg;
                }
            }
            Check.close(refBest, best.toDoubleArray(), Tolerance.EXACT, "running max" + (reverse ? " reversed" : ""));
            Check.equal(refAt, at.toLongArray(), "running argmax" + (reverse ? " reversed" : ""));
        }
    }
}
