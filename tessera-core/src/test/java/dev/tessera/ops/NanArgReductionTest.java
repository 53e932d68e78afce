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
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * argmax/argmin of floats with NaN, as torch defines them: a NaN is more extreme than every number,
 * so a line with a NaN gives its first NaN's index, and an all-NaN line gives 0 — never a masked
 * lane past the end, which holds the load's -inf/+inf. Lines of 77 in blocks of 128, along each axis
 * of a 2-D tile and over a whole 1-D tile.
 */
@ExtendWith(SeedExtension.class)
class NanArgReductionTest {
    static final int LINES = 7, LEN = 77, BLOCK_LINES = 8, BLOCK = 128;

    /** The arg reduction of each line; along AXIS 1 the lines are rows of x, along AXIS 0 its columns. */
    @Kernel
    static void alongAxis(Tile x, Tile out, Tile lines, Tile len, @Constexpr boolean MAX, @Constexpr int AXIS) {
        Tile p = arange(0, BLOCK_LINES), q = arange(0, BLOCK);
        Tile line = AXIS == 1 ? p.col() : p.row(), at = AXIS == 1 ? q.row() : q.col();
        Tile tile = load(x.add(AXIS == 1 ? line.mul(len).add(at) : at.mul(lines).add(line)), line.lt(lines).and(at.lt(len)),
                MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
        store(out.add(p), MAX ? argmax(tile, AXIS) : argmin(tile, AXIS), p.lt(lines));
    }

    /** One program per line, reducing a 1-D tile over all its elements. */
    @Kernel
    static void wholeTile(Tile x, Tile out, Tile len, @Constexpr boolean MAX) {
        Tile line = programId(0), q = arange(0, BLOCK);
        Tile tile = load(x.add(line.mul(len)).add(q), q.lt(len), MAX ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
        store(out.add(line), MAX ? argmax(tile) : argmin(tile));
    }

    static final JitKernel ALONG = Jit.kernel(NanArgReductionTest.class, "alongAxis");
    static final JitKernel WHOLE = Jit.kernel(NanArgReductionTest.class, "wholeTile");

    static Stream<Arguments> alongCases() {
        return cases(new DType[] {DType.F32, DType.BF16, DType.F64});
    }

    static Stream<Arguments> wholeCases() {
        return cases(new DType[] {DType.F32, DType.F16});
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("alongCases")
    void linesWithNanGiveTheFirstNan(Device device, DType t, @Seed long seed) {
        Device d = use(device);
        double[][] lines = lines(new SplittableRandom(seed));
        for (int axis : new int[] {1, 0}) {
            double[] flat = new double[LINES * LEN];
            for (int p = 0; p < LINES; p++) for (int q = 0; q < LEN; q++) flat[axis == 1 ? p * LEN + q : q * LINES + p] = lines[p][q];
            Tensor x = Tensor.from(flat, t, d, flat.length);
            for (boolean max : new boolean[] {true, false}) {
                Tensor out = poisoned(DType.I32, d, LINES);
                ALONG.launch(grid(1), x, out, LINES, LEN, max, axis);
                Check.equal(reference(lines, max), out.toLongArray(), (max ? "argmax" : "argmin") + " " + t + " axis " + axis);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("wholeCases")
    void wholeTilesWithNanGiveTheFirstNan(Device device, DType t, @Seed long seed) {
        Device d = use(device);
        double[][] lines = lines(new SplittableRandom(seed));
        double[] flat = new double[LINES * LEN];
        for (int p = 0; p < LINES; p++) System.arraycopy(lines[p], 0, flat, p * LEN, LEN);
        Tensor x = Tensor.from(flat, t, d, flat.length);
        for (boolean max : new boolean[] {true, false}) {
            Tensor out = poisoned(DType.I32, d, LINES);
            WHOLE.launch(grid(LINES), x, out, LEN, max);
            Check.equal(reference(lines, max), out.toLongArray(), (max ? "argmax" : "argmin") + " over a whole tile " + t);
        }
    }

    /**
     * Line 0 all NaN; 1 one NaN; 2 three NaNs; 3 none (ties); 4 ±inf with a NaN at the end;
     * 5 all -inf; 6 a NaN first. Numbers are small integers, exact in every float dtype.
     */
    static double[][] lines(SplittableRandom r) {
        double[][] lines = new double[LINES][LEN];
        for (int p = 0; p < LINES; p++) for (int q = 0; q < LEN; q++) lines[p][q] = r.nextInt(-8, 8);
        Arrays.fill(lines[0], Double.NaN);
        lines[1][r.nextInt(LEN)] = Double.NaN;
        for (int k = 0; k < 3; k++) lines[2][r.nextInt(LEN)] = Double.NaN;
        for (int q = 0; q < LEN; q++) lines[4][q] = r.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
        lines[4][LEN - 1] = Double.NaN;
        Arrays.fill(lines[5], Double.NEGATIVE_INFINITY);
        lines[6][0] = Double.NaN;
        return lines;
    }

    /** torch's rule in float64: the first NaN, else the first largest (smallest) value. */
    static long[] reference(double[][] lines, boolean max) {
        long[] ref = new long[lines.length];
        for (int p = 0; p < lines.length; p++) {
            int arg = 0;
            for (int q = 1; q < lines[p].length; q++) {
                double best = lines[p][arg], v = lines[p][q];
                if (Double.isNaN(best)) break;
                if (Double.isNaN(v) || (max ? v > best : v < best)) arg = q;
            }
            ref[p] = arg;
        }
        return ref;
    }
}
