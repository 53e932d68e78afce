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
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Shape ops on loaded data (every element moves where it should, in several dtypes): trans and
 * permute of 2-D and 3-D tiles, reshape/view, expandDims (col/row), broadcastTo from rows, columns and
 * scalars, join/split and cat; 2-D tiles over data whose sizes are not multiples of the block.
 */
@ExtendWith(SeedExtension.class)
class ShapeOpsTest {
    static final DType[] TYPES = {DType.F32, DType.F16, DType.BF16, DType.I8, DType.U32, DType.I64, DType.F64, DType.FP8E5M2};

    static Stream<Arguments> types() { return cases(TYPES); }

    /** Random data of {@code t} (small integers, exact in every dtype), as the doubles it holds. */
    static Tensor data(DType t, Device d, SplittableRandom r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = t.isUnsigned() ? r.nextInt(0, 100) : r.nextInt(-60, 60);
        return Tensor.from(v, t, d, n);
    }

    // ------------------------------------------------------------------ 2-D: trans, reshape, view over masked blocks

    @Kernel
    static void transpose(Tile x, Tile out, Tile R, Tile C, @Constexpr int BR, @Constexpr int BC) {
        Tile i = programId(0).mul(BR).add(arange(0, BR)), j = programId(1).mul(BC).add(arange(0, BC));
        Tile tile = load(x.add(i.col().mul(C)).add(j.row()), i.col().lt(R).and(j.row().lt(C)));
        Tile t = trans(tile); // [BC, BR]: t[j, i] = tile[i, j]
        store(out.add(j.col().mul(R)).add(i.row()), t, j.col().lt(C).and(i.row().lt(R)));
    }

    static final JitKernel TRANSPOSE = Jit.kernel(ShapeOpsTest.class, "transpose");

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("types")
    void transposeOfMaskedBlocks(Device device, DType t, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        for (int[] rc : new int[][] {{1, 1}, {17, 33}, {40, 9}, {70, 100}}) {
            int rows = rc[0], cols = rc[1];
            Tensor x = data(t, d, r, rows * cols), out = poisoned(t, d, (long) cols * rows);
            TRANSPOSE.launch(grid(cdiv(rows, 32), cdiv(cols, 16)), x, out, rows, cols, 32, 16);
            double[] in = x.toDoubleArray(), ref = new double[rows * cols];
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) ref[j * rows + i] = in[i * cols + j];
            Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, "trans " + t + " " + rows + "x" + cols);
        }
    }

    @Kernel
    static void reshapes(Tile x, Tile out, @Constexpr String FORM) {
        Tile flat = load(x.add(arange(0, 64)));
        Tile r = switch (FORM) {
            case "reshape" -> flat.reshape(4, 16).reshape(16, 4).trans().reshape(64); // [16,4] transposed
            case "view" -> view(view(flat, 2, 32), 8, 8).trans().reshape(64);
            case "permute" -> permute(flat.reshape(4, 16), 1, 0).reshape(64);
            case "expand" -> expandDims(expandDims(flat, 0), 2).reshape(64); // [1, 64, 1]
            case "squeeze" -> flat.reshape(1, 64, 1).reshape(64);
            default -> throw new IllegalArgumentException(FORM);
        };
        store(out.add(arange(0, 64)), r);
    }

    static final JitKernel RESHAPES = Jit.kernel(ShapeOpsTest.class, "reshapes");

    static Stream<Arguments> reshapeForms() { return cases(TYPES, "reshape", "view", "permute", "expand", "squeeze"); }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("reshapeForms")
    void reshapeAndViewKeepRowMajorOrder(Device device, DType t, String form, @Seed long seed) {
        Device d = use(device);
        Tensor x = data(t, d, new SplittableRandom(seed), 64), out = poisoned(t, d, 64);
        RESHAPES.launch(grid(1), x, out, form);
        double[] in = x.toDoubleArray(), ref = new double[64];
        for (int k = 0; k < 64; k++) {
            ref[k] = switch (form) {
                case "reshape" -> in[(k % 16) * 4 + k / 16]; // [16,4] transposed to [4,16]
                case "permute" -> in[(k % 4) * 16 + k / 4]; // [4,16] transposed to [16,4]
                case "view" -> in[(k % 8) * 8 + k / 8];
                default -> in[k];
            };
        }
        Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, form + " " + t);
    }

    // ------------------------------------------------------------------ 3-D permutations

    @Kernel
    static void permute3(Tile x, Tile out, @Constexpr String ORDER) {
        int[] order = Arrays.stream(ORDER.split(",")).mapToInt(Integer::parseInt).toArray();
        Tile cube = load(x.add(arange(0, 64))).reshape(2, 4, 8);
        store(out.add(arange(0, 64)), permute(cube, order).reshape(64));
    }

    static final JitKernel PERMUTE3 = Jit.kernel(ShapeOpsTest.class, "permute3");

    static Stream<Arguments> orders() {
        return cases(new DType[] {DType.F32, DType.I16, DType.BF16}, "0,1,2", "0,2,1", "1,0,2", "1,2,0", "2,0,1", "2,1,0");
    }

    @ParameterizedTest(name = "{0} {1} order {2}")
    @MethodSource("orders")
    void permuteOf3dTiles(Device device, DType t, String orderText, @Seed long seed) {
        Device d = use(device);
        int[] order = Arrays.stream(orderText.split(",")).mapToInt(Integer::parseInt).toArray();
        int[] dims = {2, 4, 8}, outDims = {dims[order[0]], dims[order[1]], dims[order[2]]};
        Tensor x = data(t, d, new SplittableRandom(seed), 64), out = poisoned(t, d, 64);
        PERMUTE3.launch(grid(1), x, out, orderText);
        double[] in = x.toDoubleArray(), ref = new double[64];
        for (int a = 0; a < outDims[0]; a++) for (int b = 0; b < outDims[1]; b++) for (int c = 0; c < outDims[2]; c++) {
            int[] src = new int[3];
            src[order[0]] = a;
            src[order[1]] = b;
            src[order[2]] = c; // result dimension k is source dimension order[k]
            ref[(a * outDims[1] + b) * outDims[2] + c] = in[(src[0] * 4 + src[1]) * 8 + src[2]];
        }
        Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, "permute " + orderText + " " + t);
    }

    // ------------------------------------------------------------------ broadcasting and expandDims

    @Kernel
    static void broadcasts(Tile x, Tile y, Tile out, Tile R, Tile C, @Constexpr String FORM, @Constexpr int BR, @Constexpr int BC) {
        Tile i = arange(0, BR), j = arange(0, BC);
        Tile a = load(x.add(i), i.lt(R)), b = load(y.add(j), j.lt(C));
        Tile r = switch (FORM) {
            case "row" -> broadcastTo(b.row(), BR, BC); // every row is y
            case "col" -> broadcastTo(a.col(), BR, BC); // every column is x
            case "scalar" -> broadcastTo(load(x), BR, BC);
            case "outer sum" -> a.col().add(b.row()); // implicit broadcasting of [BR,1] and [1,BC]
            case "expandDims" -> expandDims(a, 1).mul(expandDims(b, 0));
            case "1d with 2d" -> b.add(zeros(b.dtype(), BR, BC)); // [BC] aligns with the last dimension
            default -> throw new IllegalArgumentException(FORM);
        };
        store(out.add(i.col().mul(C)).add(j.row()), r, i.col().lt(R).and(j.row().lt(C)));
    }

    static final JitKernel BROADCASTS = Jit.kernel(ShapeOpsTest.class, "broadcasts");

    static Stream<Arguments> broadcastForms() {
        return cases(new DType[] {DType.F32, DType.I32, DType.F16, DType.U8, DType.I64}, "row", "col", "scalar", "outer sum", "expandDims",
                "1d with 2d");
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("broadcastForms")
    void broadcasting(Device device, DType t, String form, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 13, cols = 27;
        Tensor x = data(t, d, r, rows), y = data(t, d, r, cols), out = poisoned(t, d, (long) rows * cols);
        BROADCASTS.launch(grid(1), x, y, out, rows, cols, form, 16, 32);
        double[] a = x.toDoubleArray(), b = y.toDoubleArray(), ref = new double[rows * cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) {
            ref[i * cols + j] = switch (form) {
                case "row", "1d with 2d" -> b[j];
                case "col" -> a[i];
                case "scalar" -> a[0];
                case "outer sum" -> wrapLike(t, a[i] + b[j]);
                case "expandDims" -> wrapLike(t, a[i] * b[j]);
                default -> throw new IllegalArgumentException(form);
            };
        }
        Check.close(ref, out.toDoubleArray(), t.isFloat() ? Tolerance.of(t) : Tolerance.EXACT, form + " " + t);
    }

    /** Small-integer sums and products wrap in u8 (the only narrow integer here). */
    private static double wrapLike(DType t, double v) { return t == DType.U8 ? ((long) v) & 0xFF : v; }

    // ------------------------------------------------------------------ join, split, cat

    @Kernel
    static void joinSplitCat(Tile x, Tile out, @Constexpr String FORM, @Constexpr int N) {
        Tile k = arange(0, N);
        Tile a = load(x.add(k)), b = load(x.add(k).add(N));
        switch (FORM) {
            case "join" -> store(out.add(k.col().mul(2)).add(arange(0, 2).row()), join(a, b)); // [N, 2]: out[2k] = a, out[2k+1] = b
            case "split" -> {
                Tile pairs = load(x.add(k.col().mul(2)).add(arange(0, 2).row())); // [N, 2] of consecutive pairs
                Tile[] halves = split(pairs);
                store(out.add(k), halves[0]);
                store(out.add(k).add(N), halves[1]);
            }
            case "join then split" -> {
                Tile[] halves = split(join(b, a));
                store(out.add(k), halves[0]);
                store(out.add(k).add(N), halves[1]);
            }
            case "cat" -> store(out.add(arange(0, 2 * N)), cat(b, a));
            case "join 2d" -> {
                Tile a2 = a.reshape(N / 8, 8), b2 = b.reshape(N / 8, 8);
                store(out.add(arange(0, 2 * N)), join(a2, b2).reshape(2 * N)); // [N/8, 8, 2]
            }
            case "join scalar" -> store(out.add(k.col().mul(2)).add(arange(0, 2).row()), join(a, load(x))); // the scalar broadcasts
            default -> throw new IllegalArgumentException(FORM);
        }
    }

    static final JitKernel JSC = Jit.kernel(ShapeOpsTest.class, "joinSplitCat");

    static Stream<Arguments> joinForms() { return cases(TYPES, "join", "split", "join then split", "cat", "join 2d", "join scalar"); }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("joinForms")
    void joinSplitAndCat(Device device, DType t, String form, @Seed long seed) {
        Device d = use(device);
        int n = 32;
        Tensor x = data(t, d, new SplittableRandom(seed), 2 * n), out = poisoned(t, d, 2 * n);
        JSC.launch(grid(1), x, out, form, n);
        double[] in = x.toDoubleArray(), ref = new double[2 * n];
        for (int k = 0; k < n; k++) {
            switch (form) {
                case "join", "join 2d" -> { ref[2 * k] = in[k]; ref[2 * k + 1] = in[n + k]; }
                case "split" -> { ref[k] = in[2 * k]; ref[n + k] = in[2 * k + 1]; }
                case "join then split" -> { ref[k] = in[n + k]; ref[n + k] = in[k]; }
                case "cat" -> { ref[k] = in[n + k]; ref[n + k] = in[k]; }
                case "join scalar" -> { ref[2 * k] = in[k]; ref[2 * k + 1] = in[0]; }
                default -> throw new IllegalArgumentException(form);
            }
        }
        Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, form + " " + t);
    }
}
