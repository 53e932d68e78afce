package dev.tessera.runtime;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.backend.KernelFault;
import dev.tessera.cpu.CpuMemory;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tensors over memory Tessera does not own (wrapped segments, foreign device pointers), bulk copies
 * of Java arrays in and out without conversion, and bitcast views.
 */
@ExtendWith(SeedExtension.class)
class TensorInteropTest {

    /** out[i] = 2 · x[i] + 1 for i < n; reads x[n] too when {@code OVERRUN}, to provoke the bounds check. */
    @Kernel
    static void twice(Tile x, Tile out, Tile n, @Constexpr int BLOCK, @Constexpr boolean OVERRUN) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = OVERRUN ? offs.le(n) : offs.lt(n);
        store(out.add(offs), load(x.add(offs), mask).mul(2.0).add(1.0), offs.lt(n));
    }

    static final JitKernel TWICE = Jit.kernel(TensorInteropTest.class, "twice");

    private static void twice(Tensor x, Tensor out, int n, boolean overrun) {
        TWICE.launch(grid(cdiv(n, 256)), x, out, n, 256, overrun);
    }

    @Test
    void wrappedSegmentIsUsedInPlaceAndOwnedByTheCaller(@Seed long seed) {
        int n = 1000;
        SplittableRandom r = new SplittableRandom(seed);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment in = arena.allocate(ValueLayout.JAVA_FLOAT, n), out = arena.allocate(ValueLayout.JAVA_FLOAT, n);
            for (int i = 0; i < n; i++) in.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) r.nextDouble(-4, 4));
            out.fill((byte) 0x7f); // poisoned
            int before = CpuMemory.liveBuffers();
            try (Tensor x = Tensor.wrap(in, DType.F32, n); Tensor y = Tensor.wrap(out, DType.F32, n)) {
                assertEquals(Device.cpu(), x.device());
                twice(x, y, n, false);
                for (int i = 0; i < n; i++) {
                    assertEquals(2 * in.getAtIndex(ValueLayout.JAVA_FLOAT, i) + 1, out.getAtIndex(ValueLayout.JAVA_FLOAT, i), "element " + i);
                }
                in.setAtIndex(ValueLayout.JAVA_FLOAT, 3, 42f); // the tensor is the segment: no copy was taken
                assertEquals(42f, x.toFloatArray()[3]);
            }
            assertEquals(before, CpuMemory.liveBuffers(), "closing a wrapped tensor forgets its buffer");
            assertEquals(42f, in.getAtIndex(ValueLayout.JAVA_FLOAT, 3), "and leaves the caller's memory alive");
        }
    }

    @Test
    void wrappedSegmentsAreBoundsCheckedAgainstTheirSize() {
        int n = 300;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment in = arena.allocate(4L * n, 4), out = arena.allocate(4L * n, 4);
            try (Tensor x = Tensor.wrap(in, DType.F32, n); Tensor y = Tensor.wrap(out, DType.F32, n)) {
                KernelFault f = assertThrows(KernelFault.class, () -> twice(x, y, n, true));
                assertTrue(f.getMessage().contains("byte offset 1200 (element 300) of a buffer of 1200 bytes"), f.getMessage());
            }
        }
    }

    @Test
    void heapArraysWrapToo() {
        float[] data = {1, 2, 3, 4, 5, 6};
        float[] result = new float[6];
        try (Tensor x = Tensor.wrap(MemorySegment.ofArray(data), DType.F32, 2, 3);
             Tensor y = Tensor.wrap(MemorySegment.ofArray(result), DType.F32, 2, 3)) {
            twice(x, y, 6, false);
            assertArrayEquals(new float[] {3, 5, 7, 9, 11, 13}, result);
        }
    }

    @Test
    void stridedWrapReadsInItsOwnOrder() {
        double[] data = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
        // a 3 × 4 row-major matrix seen as its 4 × 3 transpose, by strides
        try (Tensor t = Tensor.wrap(MemorySegment.ofArray(data), DType.F64, new long[] {4, 3}, new long[] {1, 4})) {
            assertArrayEquals(new double[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, t.toDoubleArray());
            assertFalse(t.isContiguous());
        }
    }

    @Test
    void wrapChecksSizeAlignmentAndStrides() {
        MemorySegment small = MemorySegment.ofArray(new float[10]);
        var e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(small, DType.F32, 11));
        assertEquals("f32[11] with strides [1] needs 44 bytes, a segment of 40 bytes is too small", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(small, DType.F32, new long[] {3, 4}, new long[] {4, 1}));
        assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(small, DType.F32, new long[] {2}, new long[] {-1}));
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(MemorySegment.ofArray(new byte[16]), DType.F32, 4));
        assertTrue(e.getMessage().contains("aligned to 1 bytes cannot hold f32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(small.asReadOnly(), DType.F32, 10));
        try (Arena confined = Arena.ofConfined()) {
            e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(confined.allocate(64, 16), DType.F32, 16));
            assertTrue(e.getMessage().contains("Arena.ofShared()"), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void foreignDevicePointers(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        int n = 777;
        float[] v = new float[n];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        try (Arena arena = Arena.ofShared(); Tensor owner = Tensor.of(v, d)) {
            // memory another library allocated: on the CPU a host address, on a GPU a device pointer
            long address, bytes = 4L * n;
            if (d.backend().equals("cpu")) {
                MemorySegment host = arena.allocate(bytes, 16);
                MemorySegment.copy(MemorySegment.ofArray(v), 0, host, 0, bytes);
                address = host.address();
            } else {
                address = owner.dataPointer();
            }
            try (Tensor x = Tensor.fromDevicePointer(address, bytes, d, DType.F32, n); Tensor y = Tensor.empty(DType.F32, d, n).fill(Double.NaN)) {
                if (!d.backend().equals("cpu")) assertEquals(address, x.dataPointer(), "the pointer comes back as it went in");
                twice(x, y, n, false);
                float[] got = y.toFloatArray();
                for (int i = 0; i < n; i++) assertEquals(2 * v[i] + 1, got[i], "element " + i);
            }
            assertArrayEquals(v, owner.toFloatArray(), "closing the foreign tensor leaves the memory alone");
            assertThrows(IllegalArgumentException.class, () -> Tensor.fromDevicePointer(address, bytes - 1, d, DType.F32, n));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void bulkArraysInAndOut(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1001;
        float[] f = new float[n];
        double[] g = new double[n];
        int[] ints = new int[n];
        long[] longs = new long[n];
        short[] shorts = new short[n];
        byte[] bytes = new byte[n];
        for (int i = 0; i < n; i++) {
            f[i] = Float.intBitsToFloat(r.nextInt()); // every bit pattern, NaN payloads included: nothing is converted
            g[i] = r.nextGaussian();
            ints[i] = r.nextInt();
            longs[i] = r.nextLong();
            shorts[i] = (short) r.nextInt();
            bytes[i] = (byte) r.nextInt();
        }
        try (Tensor tf = Tensor.of(f, d, 7, 143); Tensor tg = Tensor.of(g, d); Tensor ti = Tensor.of(ints, d); Tensor tl = Tensor.of(longs, d);
             Tensor th = Tensor.ofBits(shorts, DType.BF16, d); Tensor tb = Tensor.ofBits(bytes, DType.U8, d)) {
            assertArrayEquals(new long[] {7, 143}, tf.shape());
            float[] fBack = tf.toFloatArray();
            for (int i = 0; i < n; i++) assertEquals(Float.floatToRawIntBits(f[i]), Float.floatToRawIntBits(fBack[i]), "f32 bits of " + i);
            assertArrayEquals(g, tg.toDoubleArray());
            assertArrayEquals(ints, ti.toIntArray());
            assertArrayEquals(longs, tl.toLongArray());
            assertArrayEquals(shorts, th.toShortArray());
            assertArrayEquals(bytes, tb.toByteArray());
            for (int i = 0; i < 50; i++) assertEquals(Numerics.decode(shorts[i], DType.BF16), th.toDoubleArray()[i], 0.0, "bf16 " + i);
            try (Tensor t = tf.transpose(0, 1)) { // strided: read in the view's own order
                float[] tr = t.toFloatArray();
                for (int i = 0; i < 143; i++) {
                    for (int j = 0; j < 7; j++) assertEquals(Float.floatToRawIntBits(f[j * 143 + i]), Float.floatToRawIntBits(tr[i * 7 + j]));
                }
            }
            var e = assertThrows(IllegalArgumentException.class, () -> Tensor.ofBits(shorts, DType.F32, d));
            assertTrue(e.getMessage().contains("elements of 2 bytes given for f32"), e.getMessage());
            assertThrows(IllegalArgumentException.class, tf::toShortArray);
            assertThrows(IllegalArgumentException.class, () -> Tensor.of(f, d, 10, 10));
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void bitcastViews(Device device) {
        Device d = TestDevices.require(device);
        double[] v = {1.0, -2.5, 3.140625, 65504, Double.NaN, 0x1p-20};
        try (Tensor h = Tensor.from(v, DType.BF16, d); Tensor bits = h.viewAs(DType.I16); Tensor f = Tensor.from(v, DType.F32, d);
             Tensor fi = f.viewAs(DType.I32); Tensor back = fi.viewAs(DType.F32)) {
            short[] raw = bits.toShortArray();
            for (int i = 0; i < v.length; i++) assertEquals((short) Numerics.encode(v[i], DType.BF16), raw[i], "bf16 bits of " + v[i]);
            assertEquals(DType.I16, bits.dtype());
            int[] ints = fi.toIntArray();
            for (int i = 0; i < v.length; i++) assertEquals(Float.floatToRawIntBits((float) v[i]), ints[i]);
            assertArrayEquals(f.toFloatArray(), back.toFloatArray());
            try (Tensor col = Tensor.from(new double[] {1, 2, 3, 4, 5, 6}, DType.F16, d, 2, 3).transpose(0, 1); Tensor colBits = col.viewAs(DType.U16)) {
                assertArrayEquals(col.shape(), colBits.shape());
                assertArrayEquals(col.strides(), colBits.strides());
                assertEquals(Numerics.encode(4, DType.F16), colBits.toLongArray()[1]);
            }
            var e = assertThrows(IllegalArgumentException.class, () -> f.viewAs(DType.F16));
            assertTrue(e.getMessage().contains("same width (32 bits)"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Tensor.from(new double[] {1}, DType.U8, d).viewAs(DType.I1));
        }
    }
}
