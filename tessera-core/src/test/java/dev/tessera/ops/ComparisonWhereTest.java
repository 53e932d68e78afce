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
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Comparisons in every dtype (NaN included), where/select with tiles, scalars and broadcasting, and NaN in maximum/minimum. */
@ExtendWith(SeedExtension.class)
class ComparisonWhereTest {
    static final int BLOCK = 256;

    @Kernel
    static void comparison(Tile x, Tile y, Tile out, Tile n, @Constexpr String OP, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        Tile a = load(x.add(offs), m), b = load(y.add(offs), m);
        Tile r = switch (OP) {
            case "lt" -> a.lt(b);
            case "le" -> a.le(b);
            case "gt" -> a.gt(b);
            case "ge" -> a.ge(b);
            case "eq" -> a.eq(b);
            case "ne" -> a.ne(b);
            case "gt 3" -> a.gt(3);
            case "not lt" -> a.lt(b).not();
            case "lt and ne" -> a.lt(b).and(a.ne(b)).or(a.eq(b).xor(a.eq(b)));
            default -> throw new IllegalArgumentException(OP);
        };
        store(out.add(offs), r, m); // i1 stored into i8: true is 1
    }

    static final JitKernel CMP = Jit.kernel(ComparisonWhereTest.class, "comparison");

    static Stream<Arguments> comparisons() { return cases(NUMERIC, "lt", "le", "gt", "ge", "eq", "ne", "gt 3", "not lt", "lt and ne"); }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("comparisons")
    void comparisonsInEveryDtype(Device device, DType t, String op, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        for (int n : SIZES) {
            Tensor x, y;
            if (t.isFloat()) {
                double[] a = new double[n], b = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = r.nextInt(10) == 0 ? Double.NaN : r.nextDouble(-6, 6);
                    b[i] = r.nextInt(4) == 0 ? a[i] : r.nextInt(10) == 0 ? Double.NaN : r.nextDouble(-6, 6);
                }
                x = Tensor.from(a, t, d, n);
                y = Tensor.from(b, t, d, n);
            } else {
                long[] a = new long[n], b = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = r.nextBoolean() ? randomValue(t, r) : wrap(r.nextLong(-5, 6), t);
                    b[i] = r.nextInt(4) == 0 ? a[i] : randomValue(t, r);
                }
                x = Tensor.fromLongs(a, t, d, n);
                y = Tensor.fromLongs(b, t, d, n);
            }
            long[] ref = new long[n];
            if (t.isFloat()) {
                double[] a = x.toDoubleArray(), b = y.toDoubleArray();
                for (int i = 0; i < n; i++) ref[i] = floatCompare(op, a[i], b[i]) ? 1 : 0;
            } else {
                long[] a = x.toLongArray(), b = y.toLongArray();
                for (int i = 0; i < n; i++) ref[i] = intCompare(op, t, a[i], b[i]) ? 1 : 0;
            }
            Tensor out = poisoned(DType.I8, d, n);
            CMP.launch(grid(cdiv(n, BLOCK)), x, y, out, n, op, BLOCK);
            Check.equal(ref, out.toLongArray(), describe(op, t, n));
        }
    }

    static boolean floatCompare(String op, double a, double b) {
        return switch (op) {
            case "lt" -> a < b;
            case "le" -> a <= b;
            case "gt" -> a > b;
            case "ge" -> a >= b;
            case "eq" -> a == b;
            case "ne" -> a != b; // true where either is NaN
            case "gt 3" -> a > 3;
            case "not lt" -> !(a < b);
            case "lt and ne" -> a < b && a != b;
            default -> throw new IllegalArgumentException(op);
        };
    }

    static boolean intCompare(String op, DType t, long a, long b) {
        int c = compare(a, b, t);
        return switch (op) {
            case "lt" -> c < 0;
            case "le" -> c <= 0;
            case "gt" -> c > 0;
            case "ge" -> c >= 0;
            case "eq" -> c == 0;
            case "ne" -> c != 0;
            case "gt 3" -> compare(a, 3, t) > 0;
            case "not lt" -> c >= 0;
            case "lt and ne" -> c < 0;
            default -> throw new IllegalArgumentException(op);
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void mixedSignednessComparesUnsigned(Device device) {
        Device d = use(device);
        // (i32, u32) -> u32: -1 becomes 0xFFFFFFFF, which is greater than 1 (C's rule, and Triton's)
        Tensor x = Tensor.fromLongs(new long[] {-1, 1}, DType.I32, d, 2), y = Tensor.fromLongs(new long[] {1, 1}, DType.U32, d, 2);
        Tensor out = poisoned(DType.I8, d, 2);
        CMP.launch(grid(1), x, y, out, 2, "lt", BLOCK);
        Check.equal(new long[] {0, 0}, out.toLongArray(), "i32 -1 < u32 1");
        // (i8, i32) -> i32: sign-extended, so -1 < 1
        Tensor s = Tensor.fromLongs(new long[] {-1, 1}, DType.I8, d, 2), w = Tensor.fromLongs(new long[] {1, 1}, DType.I32, d, 2);
        CMP.launch(grid(1), s, w, out, 2, "lt", BLOCK);
        Check.equal(new long[] {1, 0}, out.toLongArray(), "i8 -1 < i32 1");
    }

    // ------------------------------------------------------------------ where

    @Kernel
    static void select(Tile c, Tile x, Tile y, Tile out, Tile n, @Constexpr String FORM, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        Tile k = load(c.add(offs), m), a = load(x.add(offs), m), b = load(y.add(offs), m);
        Tile r = switch (FORM) {
            case "tiles" -> where(k.gt(0), a, b);
            case "nonzero" -> where(k, a, b); // a non-i1 condition: non-zero is true
            case "scalar else" -> where(k.gt(0), a, -2.5);
            case "scalar then" -> where(k.gt(0), 7.0, b);
            case "scalar tile" -> where(k.gt(0), a, load(y)); // y[0] broadcast to the block
            case "scalar condition" -> where(load(c).gt(0), a, b); // one condition for the block
            case "2d" -> {
                // a [BLOCK/16, 16] condition against a row broadcast along dimension 0
                Tile a2 = a.reshape(BLOCK / 16, 16), b2 = b.reshape(BLOCK / 16, 16);
                Tile row = arange(0, 16).row();
                yield where(row.lt(8), a2, b2).reshape(BLOCK);
            }
            default -> throw new IllegalArgumentException(FORM);
        };
        store(out.add(offs), r, m);
    }

    static final JitKernel SEL = Jit.kernel(ComparisonWhereTest.class, "select");

    static Stream<Arguments> selects() {
        return cases(new DType[] {DType.F32, DType.F16, DType.BF16, DType.F64, DType.I32, DType.U8, DType.I64, DType.FP8E4M3},
                "tiles", "nonzero", "scalar else", "scalar then", "scalar tile", "scalar condition", "2d");
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("selects")
    void whereChooses(Device device, DType t, String form, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        for (int n : SIZES) {
            // the 2d form reads whole blocks; keep its size a multiple of the block
            int size = form.equals("2d") ? BLOCK * (1 + n / BLOCK) : n;
            double[] cond = new double[size], a = new double[size], b = new double[size];
            for (int i = 0; i < size; i++) {
                cond[i] = r.nextInt(3) - 1; // -1, 0, 1
                a[i] = t.isUnsigned() ? r.nextInt(200) : r.nextInt(-50, 50) / (t.isFloat() ? 4.0 : 1.0);
                b[i] = t.isUnsigned() ? r.nextInt(200) : r.nextInt(-50, 50) / (t.isFloat() ? 4.0 : 1.0);
            }
            Tensor c = Tensor.from(cond, DType.F32, d, size), x = Tensor.from(a, t, d, size), y = Tensor.from(b, t, d, size);
            a = x.toDoubleArray();
            b = y.toDoubleArray();
            double[] ref = new double[size];
            for (int i = 0; i < size; i++) {
                boolean k = cond[i] > 0;
                ref[i] = switch (form) {
                    case "tiles" -> k ? a[i] : b[i];
                    case "nonzero" -> cond[i] != 0 ? a[i] : b[i];
                    case "scalar else" -> k ? a[i] : -2.5;
                    case "scalar then" -> k ? 7.0 : b[i];
                    case "scalar tile" -> k ? a[i] : b[0];
                    case "scalar condition" -> cond[0] > 0 ? a[i] : b[i];
                    case "2d" -> i % 16 < 8 ? a[i] : b[i];
                    default -> throw new IllegalArgumentException(form);
                };
                // a float literal makes the choice f32; storing -2.5 into an integer truncates (and saturates at 0 for unsigned)
                if (!t.isFloat() && form.equals("scalar else")) ref[i] = k ? a[i] : (t.isUnsigned() ? 0 : -2);
            }
            Tensor out = poisoned(t, d, size);
            SEL.launch(grid(cdiv(size, BLOCK)), c, x, y, out, size, form, BLOCK);
            Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, describe("where " + form, t, size));
        }
    }

    // ------------------------------------------------------------------ NaN in maximum and minimum

    @Kernel
    static void extrema(Tile x, Tile y, Tile out, @Constexpr int N) {
        Tile offs = arange(0, N);
        Tile a = load(x.add(offs)), b = load(y.add(offs));
        store(out.add(offs), maximum(a, b));
        store(out.add(offs).add(N), minimum(a, b));
        store(out.add(offs).add(2 * N), maximumNan(a, b));
        store(out.add(offs).add(3 * N), minimumNan(a, b));
    }

    static final JitKernel EXT = Jit.kernel(ComparisonWhereTest.class, "extrema");

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("nanTypes")
    void nanIsIgnoredByMaximumAndPropagatedByMaximumNan(Device device, DType t) {
        Device d = use(device);
        double nan = Double.NaN;
        double[] a = {nan, 1, nan, -2}, b = {3, nan, nan, 5};
        Tensor x = Tensor.from(a, t, d, 4), y = Tensor.from(b, t, d, 4), out = poisoned(t, d, 16);
        EXT.launch(grid(1), x, y, out, 4);
        double[] ref = {3, 1, nan, 5, 3, 1, nan, -2, nan, nan, nan, 5, nan, nan, nan, -2};
        Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, "maximum, minimum, maximumNan, minimumNan " + t);
    }

    static Stream<Arguments> nanTypes() { return cases(DType.F32, DType.F64, DType.F16, DType.BF16); }
}
