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
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Inclusive scans (cumsum, cumprod, cummax, cummin, associativeScan with a non-commutative combine)
 * forward and reverse, along each axis of 2-D tiles over data smaller than the block.
 */
@ExtendWith(SeedExtension.class)
class ScanTest {
    static final DType[] TYPES = {DType.F32, DType.F16, DType.BF16, DType.F64, DType.I8, DType.I32, DType.U32, DType.I64, DType.U16};
    static final String[] KINDS = {"cumsum", "cumprod", "cummax", "cummin", "last nonzero", "scan sum"};

    static Object identity(String kind, DType t) {
        boolean f = t.isFloat();
        return switch (kind) {
            case "cumsum", "last nonzero", "scan sum" -> f ? (Object) 0.0 : (Object) 0L;
            case "cumprod" -> f ? (Object) 1.0 : (Object) 1L;
            case "cummax" -> f ? (Object) Double.NEGATIVE_INFINITY : (Object) min(t);
            case "cummin" -> f ? (Object) Double.POSITIVE_INFINITY : (Object) max(t);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @Kernel
    static void scan2d(Tile x, Tile out, Tile R, Tile C, @Constexpr String KIND, @Constexpr int AXIS, @Constexpr boolean REVERSE,
                       @Constexpr int BR, @Constexpr int BC) {
        Tile i = arange(0, BR), j = arange(0, BC);
        Tile m = i.col().lt(R).and(j.row().lt(C));
        Tile v = load(x.add(i.col().mul(C)).add(j.row()), m, identity(KIND, x.elementType()), MemoryOrder.Cache.NONE, MemoryOrder.Eviction.NORMAL);
        Tile r = switch (KIND) {
            case "cumsum" -> cumsum(v, AXIS, REVERSE);
            case "cumprod" -> cumprod(v, AXIS, REVERSE);
            case "cummax" -> cummax(v, AXIS, REVERSE);
            case "cummin" -> cummin(v, AXIS, REVERSE);
            // associative but not commutative: the order of the scan shows
            case "last nonzero" -> associativeScan(v, AXIS, (a, b) -> where(b.ne(0), b, a), REVERSE);
            case "scan sum" -> associativeScan(v, AXIS, (a, b) -> a.add(b), REVERSE);
            default -> throw new IllegalArgumentException(KIND);
        };
        staticAssert(java.util.Arrays.equals(r.shape(), v.shape()), "a scan keeps the shape");
        store(out.add(i.col().mul(C)).add(j.row()), r, m);
    }

    static final JitKernel SCAN = Jit.kernel(ScanTest.class, "scan2d");

    static Stream<Arguments> scans() { return cases(TYPES, (Object[]) KINDS); }

    static DType resultType(String kind, DType t) {
        if ((kind.equals("cumsum") || kind.equals("cumprod")) && !t.isFloat() && t.bits() < 32) return t.isUnsigned() ? DType.U32 : DType.I32;
        return t;
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("scans")
    void alongEachAxisForwardAndReverse(Device device, DType t, String kind, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        // no 1s: each would be a specialization of its own; blocks {BR, BC} just cover each shape (a
        // 64x128 block for every shape made f64 kernels whose ptxas time was most of the ptxcheck run)
        for (int[] rc : new int[][] {{2, 3, 2, 4}, {3, 100, 4, 128}, {45, 7, 64, 8}}) {
            int rows = rc[0], cols = rc[1], n = rows * cols;
            Tensor x;
            if (t.isFloat()) {
                double[] v = new double[n];
                for (int i = 0; i < n; i++) {
                    v[i] = switch (kind) {
                        case "cumprod" -> r.nextDouble(0.9, 1.1);
                        case "last nonzero" -> r.nextInt(3) == 0 ? r.nextInt(1, 9) : 0;
                        default -> r.nextDouble(-4, 4);
                    };
                }
                x = Tensor.from(v, t, d, n);
            } else {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) {
                    v[i] = switch (kind) {
                        case "cumprod" -> wrap(r.nextInt(1, 4) * (r.nextBoolean() ? 1 : -1), t);
                        case "last nonzero" -> r.nextInt(3) == 0 ? wrap(r.nextInt(1, 100), t) : 0;
                        default -> randomValue(t, r);
                    };
                }
                x = Tensor.fromLongs(v, t, d, n);
            }
            for (int axis : new int[] {0, 1}) {
                for (boolean reverse : new boolean[] {false, true}) {
                    DType outType = resultType(kind, t);
                    Tensor out = poisoned(outType, d, n);
                    SCAN.launch(grid(1), x, out, rows, cols, kind, axis, reverse, rc[2], rc[3]);
                    String what = kind + (reverse ? " reverse" : "") + " axis " + axis + " " + t + " " + rows + "x" + cols;
                    check(kind, t, outType, x, rows, cols, axis, reverse, out, what);
                }
            }
        }
    }

    static void check(String kind, DType t, DType outType, Tensor x, int rows, int cols, int axis, boolean reverse, Tensor out, String what) {
        int outer = axis == 0 ? cols : rows, len = axis == 0 ? rows : cols;
        int n = rows * cols;
        java.util.function.IntBinaryOperator at = (o, j) -> axis == 0 ? j * cols + o : o * cols + j;
        if (t.isFloat()) {
            double[] in = x.toDoubleArray(), ref = new double[n];
            double worst = 1;
            for (int o = 0; o < outer; o++) {
                double acc = 0, abs = 0;
                for (int c = 0; c < len; c++) {
                    int j = reverse ? len - 1 - c : c, k = at.applyAsInt(o, j);
                    double v = in[k];
                    abs += Math.abs(v);
                    acc = c == 0 ? v : switch (kind) {
                        case "cumsum", "scan sum" -> acc + v;
                        case "cumprod" -> acc * v;
                        case "cummax" -> Math.max(acc, v);
                        case "cummin" -> Math.min(acc, v);
                        case "last nonzero" -> v != 0 ? v : acc;
                        default -> throw new IllegalArgumentException(kind);
                    };
                    ref[k] = acc;
                    worst = Math.max(worst, abs);
                }
            }
            Tolerance tol = Tolerance.of(t);
            if (kind.contains("sum")) tol = new Tolerance(tol.relativeNorm() * 4, tol.atol() * worst * 2, tol.rtol()); // GPU order of additions
            if (kind.equals("cumprod")) tol = tol.scaled(4);
            Check.close(ref, out.toDoubleArray(), tol, what);
        } else {
            long[] in = x.toLongArray(), ref = new long[n];
            for (int o = 0; o < outer; o++) {
                long acc = 0;
                for (int c = 0; c < len; c++) {
                    int j = reverse ? len - 1 - c : c, k = at.applyAsInt(o, j);
                    long v = in[k];
                    acc = c == 0 ? v : switch (kind) {
                        case "cumsum", "scan sum" -> acc + v;
                        case "cumprod" -> acc * v;
                        case "cummax" -> compare(v, acc, t) > 0 ? v : acc;
                        case "cummin" -> compare(v, acc, t) < 0 ? v : acc;
                        case "last nonzero" -> v != 0 ? v : acc;
                        default -> throw new IllegalArgumentException(kind);
                    };
                    acc = wrap(acc, kind.equals("scan sum") ? t : outType);
                    ref[k] = acc;
                }
            }
            Check.equal(ref, out.toLongArray(), what);
        }
    }
}
