package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.MemoryOrder;
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
 * Reductions (sum, max, min, prod, argmax, argmin, xorSum, a generic reduce) of 2-D and 3-D tiles over
 * each axis, with and without keepDims (the result's shape is checked while tracing), and over all
 * elements; data smaller than the block, masked with each reduction's identity.
 */
@ExtendWith(SeedExtension.class)
class ReductionTest {
    /** The constexpr axis meaning "all elements". */
    static final int ALL = 99;

    static final DType[] TYPES = {DType.F32, DType.F16, DType.BF16, DType.F64, DType.I8, DType.U8, DType.I16, DType.I32, DType.U32, DType.I64,
            DType.U64};
    static final String[] KINDS = {"sum", "max", "min", "prod", "argmax", "argmin", "xorSum", "reduce"};

    /** What masked-off lanes hold: a value that leaves the reduction unchanged. */
    static Object identity(String kind, DType t) {
        boolean f = t.isFloat();
        return switch (kind) {
            case "sum", "xorSum" -> f ? (Object) 0.0 : (Object) 0L;
            case "reduce" -> f ? (Object) Double.NEGATIVE_INFINITY : (Object) 0L; // a maximum for floats, a sum for integers
            case "prod" -> f ? (Object) 1.0 : (Object) 1L;
            case "max", "argmax" -> f ? (Object) Double.NEGATIVE_INFINITY : (Object) min(t);
            case "min", "argmin" -> f ? (Object) Double.POSITIVE_INFINITY : (Object) max(t);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** The reduction under test; axis ALL reduces everything to a scalar. */
    static Tile reduction(String kind, Tile x, int axis, boolean keep) {
        boolean all = axis == ALL;
        return switch (kind) {
            case "sum" -> all ? sum(x) : sum(x, axis, keep);
            case "max" -> all ? max(x) : max(x, axis, keep);
            case "min" -> all ? min(x) : min(x, axis, keep);
            case "prod" -> all ? prod(x) : prod(x, axis, keep);
            case "argmax" -> all ? argmax(x) : argmax(x, axis, keep);
            case "argmin" -> all ? argmin(x) : argmin(x, axis, keep);
            case "xorSum" -> all ? xorSum(x) : xorSum(x, axis, keep);
            case "reduce" -> {
                // floats: a maximum written with where; integers: a + b written as (a ^ b) + 2(a & b)
                java.util.function.BinaryOperator<Tile> combine = x.dtype().isFloat()
                        ? (a, b) -> where(a.gt(b), a, b)
                        : (a, b) -> a.xor(b).add(a.and(b).mul(2));
                yield all ? reduce(x, combine) : reduce(x, axis, combine, keep);
            }
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** The result shape Triton gives: the axis removed, or kept as 1; a scalar for all elements. */
    static int[] expectedShape(int[] in, int axis, boolean keep) {
        if (axis == ALL) return new int[0];
        int a = axis < 0 ? axis + in.length : axis;
        if (keep) {
            int[] s = in.clone();
            s[a] = 1;
            return s;
        }
        int[] s = new int[in.length - 1];
        for (int d = 0, k = 0; d < in.length; d++) if (d != a) s[k++] = in[d];
        return s;
    }

    @Kernel
    static void reduce2d(Tile x, Tile out, Tile R, Tile C, @Constexpr String KIND, @Constexpr int AXIS, @Constexpr boolean KEEP,
                         @Constexpr int BR, @Constexpr int BC) {
        Tile i = arange(0, BR), j = arange(0, BC);
        Tile m = i.col().lt(R).and(j.row().lt(C));
        Tile tile = load(x.add(i.col().mul(C)).add(j.row()), m, identity(KIND, x.elementType()), MemoryOrder.Cache.NONE, MemoryOrder.Eviction.NORMAL);
        Tile r = reduction(KIND, tile, AXIS, KEEP);
        int[] want = expectedShape(tile.shape(), AXIS, KEEP);
        staticAssert(Arrays.equals(r.shape(), want), KIND + " gave " + r + ", expected shape " + Arrays.toString(want));
        if (AXIS == ALL) {
            store(out, r);
            return;
        }
        int a = AXIS < 0 ? AXIS + 2 : AXIS;
        Tile kept = KEEP ? r : expandDims(r, a);
        if (a == 0) store(out.add(j.row()), kept, j.row().lt(C));
        else store(out.add(i.col()), kept, i.col().lt(R));
    }

    static final JitKernel R2 = Jit.kernel(ReductionTest.class, "reduce2d");

    static Stream<Arguments> cases2d() { return cases(TYPES, (Object[]) KINDS); }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases2d")
    void overEachAxisOf2dTiles(Device device, DType t, String kind, @Seed long seed) {
        Device d = use(device);
        if (kind.equals("xorSum") && t.isFloat()) return; // integers only (a trace error for floats)
        SplittableRandom r = new SplittableRandom(seed);
        // no size is 1: a runtime 1 is a specialization of its own, which would double the compilations on a GPU
        for (int[] rc : new int[][] {{2, 3}, {5, 37}, {30, 100}}) {
            int[] dims = {rc[0], rc[1]};
            Tensor x = input(kind, t, d, r, dims);
            for (int axis : new int[] {ALL, 0, 1, -1}) {
                for (boolean keep : axis == ALL ? new boolean[] {false} : new boolean[] {false, true}) {
                    int[] outDims = reducedDims(dims, axis);
                    DType outType = resultType(kind, t);
                    Tensor out = poisoned(outType, d, Math.max(1, count(outDims)));
                    R2.launch(grid(1), x, out, dims[0], dims[1], kind, axis, keep, 32, 128);
                    check(kind, t, x, dims, new int[] {32, 128}, axis, out, outType, describe(kind + " axis " + (axis == ALL ? "all" : axis) + (keep ? " keepDims" : ""), t, 0)
                            + " " + dims[0] + "x" + dims[1]);
                }
            }
        }
    }

    // ------------------------------------------------------------------ 3-D

    @Kernel
    static void reduce3d(Tile x, Tile out, Tile A, Tile B, Tile C, @Constexpr String KIND, @Constexpr int AXIS, @Constexpr boolean KEEP) {
        Tile a = arange(0, 4).reshape(4, 1, 1), b = arange(0, 8).reshape(1, 8, 1), c = arange(0, 16).reshape(1, 1, 16);
        Tile m = a.lt(A).and(b.lt(B)).and(c.lt(C));
        Tile tile = load(x.add(a.mul(B).add(b).mul(C).add(c)), m, identity(KIND, x.elementType()), MemoryOrder.Cache.NONE,
                MemoryOrder.Eviction.NORMAL);
        Tile r = reduction(KIND, tile, AXIS, KEEP);
        int[] want = expectedShape(tile.shape(), AXIS, KEEP);
        staticAssert(Arrays.equals(r.shape(), want), KIND + " gave " + r + ", expected shape " + Arrays.toString(want));
        if (AXIS == ALL) {
            store(out, r);
            return;
        }
        Tile kept = KEEP ? r : expandDims(r, AXIS);
        // the output is the input's shape with the reduced dimension 1
        Tile oa = AXIS == 0 ? zeros(I32, 1, 1, 1) : a, ob = AXIS == 1 ? zeros(I32, 1, 1, 1) : b, oc = AXIS == 2 ? zeros(I32, 1, 1, 1) : c;
        Tile ob1 = AXIS == 1 ? scalar(1) : B, oc1 = AXIS == 2 ? scalar(1) : C;
        Tile om = (AXIS == 0 ? scalar(true) : a.lt(A)).and(AXIS == 1 ? scalar(true) : b.lt(B)).and(AXIS == 2 ? scalar(true) : c.lt(C));
        store(out.add(oa.mul(ob1).add(ob).mul(oc1).add(oc)), kept, om);
    }

    static final JitKernel R3 = Jit.kernel(ReductionTest.class, "reduce3d");

    static Stream<Arguments> cases3d() { return cases(new DType[] {DType.F32, DType.I32, DType.F16, DType.U8}, "sum", "max", "argmin", "prod", "reduce", "xorSum"); }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases3d")
    void overEachAxisOf3dTiles(Device device, DType t, String kind, @Seed long seed) {
        Device d = use(device);
        if (kind.equals("xorSum") && t.isFloat()) return;
        SplittableRandom r = new SplittableRandom(seed);
        int[] dims = {3, 5, 11};
        Tensor x = input(kind, t, d, r, dims);
        for (int axis : new int[] {ALL, 0, 1, 2}) {
            for (boolean keep : axis == ALL ? new boolean[] {false} : new boolean[] {false, true}) {
                int[] outDims = reducedDims(dims, axis);
                DType outType = resultType(kind, t);
                Tensor out = poisoned(outType, d, Math.max(1, count(outDims)));
                R3.launch(grid(1), x, out, dims[0], dims[1], dims[2], kind, axis, keep);
                check(kind, t, x, dims, new int[] {4, 8, 16}, axis, out, outType, kind + " " + t + " 3x5x11 axis " + (axis == ALL ? "all" : axis) + (keep ? " keepDims" : ""));
            }
        }
    }

    // ------------------------------------------------------------------ references

    static Tensor input(String kind, DType t, Device d, SplittableRandom r, int[] dims) {
        int n = count(dims);
        if (t.isFloat()) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = switch (kind) {
                    case "prod" -> r.nextDouble(0.95, 1.05);
                    case "argmax", "argmin", "max", "min", "reduce" -> r.nextInt(-8, 8); // ties, whose first index must win
                    default -> r.nextDouble(-4, 4);
                };
            }
            return Tensor.from(v, t, d, n);
        }
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (kind) {
                case "argmax", "argmin" -> wrap(r.nextInt(-6, 6), t);
                case "prod" -> wrap(r.nextInt(1, 6) * (r.nextBoolean() ? 1 : -1), t);
                default -> randomValue(t, r);
            };
        }
        return Tensor.fromLongs(v, t, d, n);
    }

    static DType resultType(String kind, DType t) {
        if (kind.startsWith("arg")) return DType.I32;
        if ((kind.equals("sum") || kind.equals("prod")) && !t.isFloat() && t.bits() < 32) return t.isUnsigned() ? DType.U32 : DType.I32;
        return t;
    }

    static int count(int[] dims) {
        int p = 1;
        for (int x : dims) p *= x;
        return p;
    }

    static int[] reducedDims(int[] dims, int axis) {
        if (axis == ALL) return new int[0];
        int[] o = dims.clone();
        o[axis < 0 ? axis + dims.length : axis] = 1;
        return o;
    }

    /** Over all elements, argmax/argmin give an index into the flattened tile, not into the data. */
    static long tileIndex(int dataIndex, int[] dims, int[] tileDims) {
        long index = 0;
        for (int k = 0, rest = dataIndex, div = count(dims); k < dims.length; k++) {
            div /= dims[k];
            index = index * tileDims[k] + rest / div;
            rest %= div;
        }
        return index;
    }

    static void check(String kind, DType t, Tensor x, int[] dims, int[] tileDims, int axis, Tensor out, DType outType, String what) {
        int rank = dims.length, n = count(dims);
        int a = axis == ALL ? -1 : axis < 0 ? axis + rank : axis;
        // view the input as [outer, len, inner] around the axis (all elements: [1, n, 1])
        int outer = 1, len = n, inner = 1;
        if (a >= 0) {
            outer = 1;
            inner = 1;
            for (int k = 0; k < a; k++) outer *= dims[k];
            for (int k = a + 1; k < rank; k++) inner *= dims[k];
            len = dims[a];
        }
        int m = outer * inner;
        if (t.isFloat()) {
            double[] in = x.toDoubleArray(), ref = new double[m];
            double absSum = 0;
            for (int o = 0; o < outer; o++) for (int k = 0; k < inner; k++) {
                double acc = 0, abs = 0;
                int arg = 0;
                for (int j = 0; j < len; j++) {
                    double v = in[(o * len + j) * inner + k];
                    abs += Math.abs(v);
                    if (j == 0) { acc = v; continue; }
                    switch (kind) {
                        case "sum" -> acc += v;
                        case "prod" -> acc *= v;
                        case "max", "reduce" -> acc = Math.max(acc, v);
                        case "min" -> acc = Math.min(acc, v);
                        case "argmax" -> { if (v > acc) { acc = v; arg = j; } }
                        case "argmin" -> { if (v < acc) { acc = v; arg = j; } }
                        default -> throw new IllegalArgumentException(kind);
                    }
                }
                ref[o * inner + k] = kind.startsWith("arg") ? arg : acc;
                absSum = Math.max(absSum, abs);
            }
            if (kind.startsWith("arg")) {
                long[] idx = Arrays.stream(ref).mapToLong(v -> a < 0 ? tileIndex((int) v, dims, tileDims) : (long) v).toArray();
                Check.equal(idx, out.toLongArray(), what);
            } else {
                // a GPU adds in its own order, in the dtype: allow its rounding of the running sums
                Tolerance tol = Tolerance.of(t);
                if (kind.equals("sum")) tol = new Tolerance(tol.relativeNorm() * 4, tol.atol() * Math.max(1, absSum) * 2, tol.rtol());
                if (kind.equals("prod")) tol = tol.scaled(4);
                Check.close(ref, out.toDoubleArray(), tol, what);
            }
        } else {
            long[] in = x.toLongArray(), ref = new long[m];
            for (int o = 0; o < outer; o++) for (int k = 0; k < inner; k++) {
                long acc = 0;
                int arg = 0;
                for (int j = 0; j < len; j++) {
                    long v = in[(o * len + j) * inner + k];
                    if (j == 0) { acc = v; continue; }
                    switch (kind) {
                        case "sum", "reduce" -> acc += v;
                        case "prod" -> acc *= v;
                        case "max" -> { if (compare(v, acc, t) > 0) acc = v; }
                        case "min" -> { if (compare(v, acc, t) < 0) acc = v; }
                        case "argmax" -> { if (compare(v, acc, t) > 0) { acc = v; arg = j; } }
                        case "argmin" -> { if (compare(v, acc, t) < 0) { acc = v; arg = j; } }
                        case "xorSum" -> acc ^= v;
                        default -> throw new IllegalArgumentException(kind);
                    }
                }
                ref[o * inner + k] = kind.startsWith("arg") ? (a < 0 ? tileIndex(arg, dims, tileDims) : arg) : wrap(acc, kind.equals("reduce") ? t : outType);
            }
            Check.equal(ref, out.toLongArray(), what);
        }
    }
}
