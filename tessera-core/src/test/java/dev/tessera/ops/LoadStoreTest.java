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
import dev.tessera.testing.ReferenceNumerics;
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
 * Loads and stores: every dtype through masked copies that must not touch memory past the end,
 * masked-off lanes filled with 0 or {@code other} (a literal or a tile), scalar and broadcast masks,
 * stores that convert, strided and offset views of tensors, 64-bit, unsigned and negative offsets,
 * cache and eviction hints, volatile loads.
 */
@ExtendWith(SeedExtension.class)
class LoadStoreTest {
    static final int BLOCK = 128;

    @Kernel
    static void copy(Tile x, Tile out, Tile n, @Constexpr String FORM, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        switch (FORM) {
            case "plain" -> store(out.add(offs), load(x.add(offs), m), m);
            case "hints" -> store(out.add(offs), load(x.add(offs), m, null, MemoryOrder.Cache.CG, MemoryOrder.Eviction.FIRST), m,
                    MemoryOrder.Cache.CS, MemoryOrder.Eviction.LAST);
            // eviction priorities alone (no cache operator): on sm_80+ they reach L2 through a cache policy operand
            case "evictions" -> store(out.add(offs), load(x.add(offs), m, null, MemoryOrder.Cache.NONE, MemoryOrder.Eviction.LAST), m,
                    MemoryOrder.Cache.NONE, MemoryOrder.Eviction.FIRST);
            case "volatile" -> store(out.add(offs), loadVolatile(x.add(offs), m), m);
            case "i64 offsets" -> store(out.add(offs.to(I64)), load(x.add(offs.to(I64)), m), m);
            case "u32 offsets" -> store(out.add(offs.to(U32)), load(x.add(offs.to(U32)), m), m);
            case "negative offsets" -> {
                Tile shifted = x.add(offs).add(7); // then step back by 7
                store(out.add(offs), load(shifted.sub(7), m), m);
            }
            case "pointer where" -> store(where(m, out.add(offs), out), load(where(m, x.add(offs), x)), m);
            default -> throw new IllegalArgumentException(FORM);
        }
    }

    static final JitKernel COPY = Jit.kernel(LoadStoreTest.class, "copy");

    static final DType[] EVERY = concat(new DType[] {DType.I1}, NUMERIC);

    static Stream<Arguments> copies() { return cases(EVERY, "plain", "hints", "evictions", "volatile", "i64 offsets", "u32 offsets", "negative offsets", "pointer where"); }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("copies")
    void maskedCopyWritesExactlyTheFirstN(Device device, DType t, String form, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        for (int n : SIZES) {
            int tail = 37; // the output is longer: the lanes past n must leave it alone
            Tensor x = t == DType.I1 ? randomInts(t, d, r, 0, 1, n) : t.isFloat() ? randomFloats(t, d, r, n, -100, 100) : randomBits(t, d, r, n);
            Tensor out = t == DType.I1 ? Tensor.fromLongs(alternating(n + tail), t, d, n + tail) : poisoned(t, d, n + tail);
            double[] before = out.toDoubleArray();
            long[] beforeBits = out.toLongArray();
            COPY.launch(grid(cdiv(n, BLOCK)), x, out, n, form, BLOCK);
            if (t.isFloat()) {
                double[] ref = before.clone();
                System.arraycopy(x.toDoubleArray(), 0, ref, 0, n);
                Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, describe(form, t, n));
            } else { // exact integers (doubles would round 64-bit ones)
                long[] ref = beforeBits.clone();
                System.arraycopy(x.toLongArray(), 0, ref, 0, n);
                Check.equal(ref, out.toLongArray(), describe(form, t, n));
            }
        }
    }

    private static long[] alternating(int n) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = i % 2;
        return v;
    }


    // ------------------------------------------------------------------ other

    @Kernel
    static void withOther(Tile x, Tile y, Tile out, Tile n, @Constexpr String FORM, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        Tile v = switch (FORM) {
            case "zero" -> load(x.add(offs), m);
            case "double" -> load(x.add(offs), m, -1.5);
            case "long" -> load(x.add(offs), m, 3L);
            case "tile" -> load(x.add(offs), m, load(y.add(offs))); // y is as long as the grid
            case "scalar tile" -> load(x.add(offs), m, load(y));
            case "scalar mask" -> load(x.add(offs), programId(0).lt(1), -1.5); // only program 0 loads
            case "2d mask" -> {
                Tile i = arange(0, BLOCK / 8), j = arange(0, 8);
                Tile o2 = programId(0).mul(BLOCK).add(i.col().mul(8)).add(j.row());
                yield load(x.add(o2), o2.lt(n).and(j.row().lt(6)), -1.5).reshape(BLOCK); // a broadcast [1, 8] mask part
            }
            default -> throw new IllegalArgumentException(FORM);
        };
        store(out.add(offs), v); // every lane, so the filled ones show
    }

    static final JitKernel OTHER = Jit.kernel(LoadStoreTest.class, "withOther");

    static Stream<Arguments> others() {
        return cases(new DType[] {DType.F32, DType.F16, DType.BF16, DType.F64, DType.I32, DType.I8, DType.U16, DType.I64, DType.FP8E4M3},
                "zero", "double", "long", "tile", "scalar tile", "scalar mask", "2d mask");
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("others")
    void maskedOffLanesTakeOther(Device device, DType t, String form, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        boolean floatOther = form.equals("double") || form.equals("scalar mask") || form.equals("2d mask");
        if (floatOther && !t.isFloat()) return; // a float 'other' cannot fill integers (a trace error, tested there)
        for (int n : new int[] {1, 17, 200, 300}) {
            int lanes = cdiv(n, BLOCK) * BLOCK;
            Tensor x = randomInts(t, d, r, t.isUnsigned() ? 0 : -50, 50, lanes), y = randomInts(t, d, r, t.isUnsigned() ? 0 : -50, 50, lanes);
            Tensor out = poisoned(t, d, lanes);
            OTHER.launch(grid(lanes / BLOCK), x, y, out, n, form, BLOCK);
            double[] a = x.toDoubleArray(), b = y.toDoubleArray(), ref = new double[lanes];
            for (int i = 0; i < lanes; i++) {
                boolean on = switch (form) {
                    case "scalar mask" -> i < BLOCK;
                    case "2d mask" -> i < n && i % 8 < 6;
                    default -> i < n;
                };
                ref[i] = on ? a[i] : switch (form) {
                    case "zero" -> 0;
                    case "double", "scalar mask", "2d mask" -> -1.5;
                    case "long" -> 3;
                    case "tile" -> b[i];
                    case "scalar tile" -> b[0];
                    default -> throw new IllegalArgumentException(form);
                };
            }
            Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, describe("other " + form, t, n));
        }
    }

    // ------------------------------------------------------------------ stores convert

    @Kernel
    static void convertingStore(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        store(out.add(offs), load(x.add(offs), m), m); // f64 values into whatever out holds
    }

    static final JitKernel CONVERTING = Jit.kernel(LoadStoreTest.class, "convertingStore");

    static Stream<Arguments> storeTypes() { return cases(concat(FLOATS, FP8)); }

    @ParameterizedTest(name = "{0} f64 stored as {1}")
    @MethodSource("storeTypes")
    void storesRoundToTheirElementType(Device device, DType t, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1000;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = Math.scalb(r.nextDouble(-2, 2), r.nextInt(-20, 20));
        Tensor x = Tensor.from(v, DType.F64, d, n), out = poisoned(t, d, n);
        CONVERTING.launch(grid(cdiv(n, BLOCK)), x, out, n, BLOCK);
        double[] ref = new double[n];
        for (int i = 0; i < n; i++) ref[i] = ReferenceNumerics.round(v[i], ReferenceNumerics.format(t), false);
        Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, "f64 stored as " + t);
    }

    // ------------------------------------------------------------------ strided and offset views

    @Kernel
    static void copy2d(Tile x, Tile out, Tile R, Tile C, Tile sr, Tile sc, @Constexpr int BR, @Constexpr int BC) {
        Tile i = programId(0).mul(BR).add(arange(0, BR)), j = programId(1).mul(BC).add(arange(0, BC));
        Tile m = i.col().lt(R).and(j.row().lt(C));
        store(out.add(i.col().mul(C)).add(j.row()), load(x.add(i.col().mul(sr)).add(j.row().mul(sc)), m), m);
    }

    static final JitKernel COPY2D = Jit.kernel(LoadStoreTest.class, "copy2d");

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("viewTypes")
    void stridedAndOffsetViewsAsArguments(Device device, DType t, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int rows = 37, cols = 50;
        Tensor base = randomInts(t, d, r, 0, 100, rows, cols);
        double[] b = base.toDoubleArray();
        // a transposed view (strides 1 and cols), and a slice of rows 5..29 and columns 3..44 (an offset pointer)
        Tensor tr = base.transpose(0, 1), sl = base.slice(0, 5, 30).slice(1, 3, 45);
        for (Tensor view : new Tensor[] {base, tr, sl}) {
            int vr = (int) view.shape(0), vc = (int) view.shape(1);
            Tensor out = poisoned(t, d, (long) vr * vc);
            COPY2D.launch(grid(cdiv(vr, 16), cdiv(vc, 32)), view, out, vr, vc, (int) view.stride(0), (int) view.stride(1), 16, 32);
            double[] ref = view.toDoubleArray(); // row-major through the view's strides
            Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, "copy of " + view);
            if (view == tr) Check.close(new double[] {b[1], b[cols]}, new double[] {ref[rows], ref[1]}, Tolerance.EXACT, "transpose view order");
        }
    }

    static Stream<Arguments> viewTypes() { return cases(DType.F32, DType.BF16, DType.I64, DType.U8); }

    // ------------------------------------------------------------------ scalar loads and stores, literal stores

    @Kernel
    static void scalars(Tile x, Tile out) {
        Tile v = load(x.add(3)); // a scalar
        store(out, v.mul(2));
        store(out.add(1), 42.5, null); // a literal value
        store(out.add(arange(2, 4)), full(F32, v, 2).add(1)); // lanes 2 and 3
        store(out.add(4), v, v.gt(1000)); // a false scalar mask: nothing written
    }

    static final JitKernel SCALARS = Jit.kernel(LoadStoreTest.class, "scalars");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void scalarLoadsAndStores(Device device) {
        Device d = use(device);
        Tensor x = Tensor.from(new double[] {0, 1, 2, 7.25, 4}, DType.F32, d, 5), out = poisoned(DType.F32, d, 5);
        SCALARS.launch(grid(1), x, out);
        Check.close(new double[] {14.5, 42.5, 8.25, 8.25, Double.NaN}, out.toDoubleArray(), Tolerance.EXACT, "scalar loads and stores");
    }
}
