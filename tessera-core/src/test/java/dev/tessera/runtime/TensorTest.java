package dev.tessera.runtime;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.ops.Ops;
import dev.tessera.testing.Check;
import dev.tessera.testing.ReferenceNumerics;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tensors: Java arrays in and out for every dtype (integers exact, floats rounded to nearest even),
 * seeded random fills, strided views (transpose, slice, view) that share memory and read in their
 * own order, copies across views and devices, and memory freed when the last user closes.
 */
@ExtendWith(SeedExtension.class)
class TensorTest {

    static Stream<Arguments> everyDtype() { return Ops.cases(Ops.concat(new DType[] {DType.I1}, Ops.NUMERIC)); }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("everyDtype")
    void arraysInAndOut(Device device, DType t, @Seed long seed) {
        Device d = TestDevices.require(device);
        SplittableRandom r = new SplittableRandom(seed);
        int n = 777;
        if (!t.isFloat()) {
            long[] v = new long[n];
            for (int i = 0; i < n; i++) v[i] = i < 2 ? (i == 0 ? Ops.min(t) : Ops.max(t)) : Ops.randomValue(t, r);
            Tensor x = Tensor.fromLongs(v, t, d, 7, 111);
            assertArrayEquals(v, x.toLongArray(), t + " integers are exact");
            assertArrayEquals(new long[] {7, 111}, x.shape());
            assertEquals(2, x.rank());
            assertEquals(n, x.numel());
            int[] ints = x.toIntArray();
            for (int i = 0; i < n; i++) assertEquals((int) v[i], ints[i]);
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = Math.scalb(r.nextDouble(-2, 2), r.nextInt(-12, 12));
        Tensor x = Tensor.from(v, t, d, n);
        double[] ref = new double[n];
        for (int i = 0; i < n; i++) {
            ref[i] = t.isFloat() ? ReferenceNumerics.round(v[i], ReferenceNumerics.format(t), false)
                    : ReferenceNumerics.toInteger(v[i], t).doubleValue(); // floats into integers truncate and saturate
        }
        Check.close(ref, x.toDoubleArray(), Tolerance.EXACT, "Tensor.from " + t);
        float[] f = x.toFloatArray();
        for (int i = 0; i < n; i++) assertEquals((float) ref[i], f[i], 0.0f);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void javaArrayFactories(Device device) {
        TestDevices.require(device);
        Tensor f = Tensor.of(new float[] {1.5f, -2}, 2), dd = Tensor.of(new double[] {0.1, 0.2}), i = Tensor.of(new int[] {3, -4}),
                l = Tensor.of(new long[] {Long.MIN_VALUE, 5});
        assertEquals(DType.F32, f.dtype());
        assertEquals(DType.F64, dd.dtype());
        assertEquals(DType.I32, i.dtype());
        assertEquals(DType.I64, l.dtype());
        assertArrayEquals(new double[] {1.5, -2}, f.toDoubleArray());
        assertArrayEquals(new double[] {0.1, 0.2}, dd.toDoubleArray());
        assertArrayEquals(new long[] {3, -4}, i.toLongArray());
        assertArrayEquals(new long[] {Long.MIN_VALUE, 5}, l.toLongArray());
        assertThrows(IllegalArgumentException.class, () -> Tensor.from(new double[5], DType.F32, 2, 3));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void seededRandomFillsAreReproducible(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        int n = 20000;
        double[] a = Tensor.rand(DType.F32, seed, d, n).toDoubleArray(), b = Tensor.rand(DType.F32, seed, d, n).toDoubleArray();
        double[] c = Tensor.rand(DType.F32, seed + 1, d, n).toDoubleArray();
        assertArrayEquals(a, b, "the same seed gives the same values");
        assertFalse(java.util.Arrays.equals(a, c), "another seed gives other values");
        double mean = 0;
        for (double v : a) {
            assertTrue(v >= 0 && v < 1, "rand in [0, 1): " + v);
            mean += v / n;
        }
        assertEquals(0.5, mean, 5 * Math.sqrt(1.0 / 12 / n));
        double[] g = Tensor.randn(DType.F64, seed, d, n).toDoubleArray();
        double gm = 0, gv = 0;
        for (double v : g) gm += v / n;
        for (double v : g) gv += (v - gm) * (v - gm) / (n - 1);
        assertEquals(0, gm, 5 / Math.sqrt(n));
        assertEquals(1, gv, 5 * Math.sqrt(2.0 / n));
        assertArrayEquals(g, Tensor.randn(DType.F64, seed, d, n).toDoubleArray());
        long[] k = Tensor.randint(DType.I16, seed, -5, 7, d, n).toLongArray();
        boolean[] seen = new boolean[12];
        for (long v : k) {
            assertTrue(v >= -5 && v < 7, "randint in [-5, 7): " + v);
            seen[(int) v + 5] = true;
        }
        for (boolean s : seen) assertTrue(s, "every value of the range appears");
        assertArrayEquals(k, Tensor.randint(DType.I16, seed, -5, 7, d, n).toLongArray());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void stridedViewsShareMemoryAndReadInTheirOwnOrder(Device device) {
        Device d = TestDevices.require(device);
        double[] v = new double[24];
        for (int i = 0; i < 24; i++) v[i] = i;
        Tensor base = Tensor.from(v, DType.F32, d, 4, 6);
        assertTrue(base.isContiguous());
        assertArrayEquals(new long[] {6, 1}, base.strides());

        Tensor tr = base.transpose(0, 1);
        assertFalse(tr.isContiguous());
        assertArrayEquals(new long[] {6, 4}, tr.shape());
        assertArrayEquals(new long[] {1, 6}, tr.strides());
        double[] t = tr.toDoubleArray();
        for (int i = 0; i < 6; i++) for (int j = 0; j < 4; j++) assertEquals(v[j * 6 + i], t[i * 4 + j], 0.0);

        Tensor sl = base.slice(0, 1, 3).slice(1, 2, 5); // rows 1..2, columns 2..4
        assertArrayEquals(new long[] {2, 3}, sl.shape());
        assertArrayEquals(new double[] {8, 9, 10, 14, 15, 16}, sl.toDoubleArray());
        assertEquals((6 + 2) * 4, sl.byteOffset(), "a slice starts at its first element");

        Tensor flat = base.view(-1), cube = base.view(2, -1, 3);
        assertArrayEquals(new long[] {24}, flat.shape());
        assertArrayEquals(new long[] {2, 4, 3}, cube.shape());
        assertArrayEquals(v, flat.toDoubleArray());
        assertThrows(IllegalStateException.class, () -> tr.view(24), "a view needs contiguous memory");
        assertThrows(IllegalArgumentException.class, () -> base.view(5, 5));
        assertThrows(IllegalArgumentException.class, () -> base.slice(1, 2, 7));

        // unflatten splits a dimension of any strides: columns 0..3 of each row as 2 x 2
        Tensor split = base.slice(1, 0, 4).unflatten(1, 2, 2);
        assertArrayEquals(new long[] {4, 2, 2}, split.shape());
        assertArrayEquals(new long[] {6, 2, 1}, split.strides());
        assertArrayEquals(new double[] {0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15, 18, 19, 20, 21}, split.toDoubleArray());
        assertArrayEquals(new long[] {3, 2, 4}, tr.unflatten(0, 3, 2).shape());
        assertArrayEquals(new long[] {2, 1, 6}, tr.unflatten(0, 3, 2).strides(), "a transposed dimension's stride splits too");
        assertThrows(IllegalArgumentException.class, () -> base.unflatten(1, 4, 2), "4 x 2 is not 6");

        // views share memory: a kernel writing through one view shows in the others
        Tensor col = base.slice(1, 3, 4); // column 3, stride 6
        FILL.launch(grid(1), col, (int) col.stride(0), (int) col.shape(0));
        double[] after = base.toDoubleArray();
        for (int i = 0; i < 24; i++) assertEquals(i % 6 == 3 ? -1 : i, after[i], 0.0, "element " + i);
        assertEquals(-1, tr.toDoubleArray()[3 * 4 + 2], 0.0, "seen through the transpose");

        // copies: contiguous, and across to another (or the same) device
        Tensor c = tr.contiguous();
        assertTrue(c.isContiguous());
        assertArrayEquals(tr.toDoubleArray(), c.toDoubleArray());
        Tensor moved = tr.to(Device.cpu());
        assertArrayEquals(tr.toDoubleArray(), moved.toDoubleArray());
        Tensor same = base.copy();
        same.fill(0);
        assertEquals(-1, base.toDoubleArray()[3], 0.0, "a copy does not share memory");
        assertThrows(IllegalStateException.class, () -> tr.fill(0), "fill needs a contiguous tensor");
    }

    @Kernel
    static void fillColumn(Tile x, Tile stride, Tile n) {
        Tile i = arange(0, 16);
        store(x.add(i.mul(stride)), -1.0, i.lt(n));
    }

    static final JitKernel FILL = Jit.kernel(TensorTest.class, "fillColumn");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void memoryIsFreedWhenTheLastUserCloses(Device device) {
        Device d = TestDevices.require(device);
        org.junit.jupiter.api.Assumptions.assumeTrue(d.backend().equals("cpu"), "counts CPU buffers");
        int before = dev.tessera.cpu.CpuMemory.liveBuffers();
        Tensor base = Tensor.zeros(DType.F32, d, 100);
        Tensor view = base.slice(0, 10, 20);
        assertEquals(before + 1, dev.tessera.cpu.CpuMemory.liveBuffers());
        base.close();
        assertTrue(base.isClosed());
        assertFalse(view.isClosed(), "the view still uses the memory");
        assertEquals(10, view.toDoubleArray().length);
        view.close();
        assertEquals(before, dev.tessera.cpu.CpuMemory.liveBuffers(), "freed with its last user");
        assertThrows(IllegalStateException.class, view::toDoubleArray);
        assertEquals(0, Tensor.zeros(DType.I8, d, 0).buffer().byteSize(), "an empty tensor has no byte a kernel could write");
    }
}
