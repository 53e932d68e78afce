package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DeviceBufferGpuTest extends GpuTestBase {

    private static float[] random(int n, long seed) {
        var rng = new Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = rng.nextFloat() * 2 - 1;
        return values;
    }

    @Test
    void nativeSegmentsRoundTrip() {
        try (Arena arena = Arena.ofConfined(); DeviceBuffer buffer = context.allocate(4096)) {
            MemorySegment in = arena.allocateFrom(JAVA_FLOAT, random(1024, 1));
            MemorySegment out = arena.allocate(4096);
            buffer.copyFromHost(in);
            buffer.copyToHost(out);
            assertEquals(-1, in.mismatch(out));
        }
    }

    @Test
    void heapArraysRoundTripThroughStagingEvenWhenLargerThanAChunk() {
        int n = 5 << 20; // 20 MiB: three staging chunks
        float[] in = random(n, 2);
        float[] out = new float[n];
        try (DeviceBuffer buffer = context.allocate(4L * n)) {
            buffer.copyFromHost(MemorySegment.ofArray(in));
            buffer.copyToHost(MemorySegment.ofArray(out));
        }
        assertArrayEquals(in, out);
    }

    @Test
    void offsetsAndDeviceToDeviceCopies() {
        int[] data = {1, 2, 3, 4, 5, 6, 7, 8};
        try (DeviceBuffer a = context.allocate(32); DeviceBuffer b = context.allocate(32)) {
            a.copyFromHost(MemorySegment.ofArray(data));
            b.fillInts(0);
            b.copyFrom(8, a, 16, 12); // words 4..6 of a -> words 2..4 of b
            int[] out = new int[8];
            b.copyToHost(MemorySegment.ofArray(out));
            assertArrayEquals(new int[] {0, 0, 5, 6, 7, 0, 0, 0}, out);

            int[] tail = new int[2];
            a.copyToHost(24, MemorySegment.ofArray(tail));
            assertArrayEquals(new int[] {7, 8}, tail);
            a.copyFromHost(4, MemorySegment.ofArray(new int[] {-1}));
            a.copyToHost(MemorySegment.ofArray(out));
            assertArrayEquals(new int[] {1, -1, 3, 4, 5, 6, 7, 8}, out);

            b.copyFrom(a);
            b.copyToHost(MemorySegment.ofArray(out));
            assertArrayEquals(new int[] {1, -1, 3, 4, 5, 6, 7, 8}, out);
        }
    }

    @Test
    void fills() {
        try (DeviceBuffer buffer = context.allocate(16)) {
            byte[] bytes = new byte[16];
            buffer.fill((byte) 0xAB);
            buffer.copyToHost(MemorySegment.ofArray(bytes));
            for (byte b : bytes) assertEquals((byte) 0xAB, b);

            int nan = Float.floatToRawIntBits(Float.NaN);
            buffer.fillInts(nan);
            float[] floats = new float[4];
            buffer.copyToHost(MemorySegment.ofArray(floats));
            for (float f : floats) assertTrue(Float.isNaN(f));
        }
        try (DeviceBuffer odd = context.allocate(6)) {
            assertThrows(IllegalArgumentException.class, () -> odd.fillInts(0));
        }
    }

    @Test
    void asynchronousCopiesAndFillsOnAStream() {
        int n = 1 << 16;
        try (Arena arena = Arena.ofConfined();
             CudaStream stream = context.createStream();
             DeviceBuffer a = context.allocate(4L * n);
             DeviceBuffer b = context.allocate(4L * n)) {
            MemorySegment in = arena.allocateFrom(JAVA_FLOAT, random(n, 3));
            MemorySegment out = arena.allocate(4L * n);
            a.fillIntsAsync(0, stream);
            a.copyFromHostAsync(0, in, stream);
            b.fillAsync((byte) 0, stream);
            b.copyFromAsync(0, a, 0, 4L * n, stream);
            b.copyToHostAsync(0, out, stream);
            stream.synchronize();
            assertEquals(-1, in.mismatch(out));

            b.fillIntsAsync(42, stream);
            b.copyToHostAsync(4L * (n - 1), out.asSlice(0, 4), stream);
            stream.synchronize();
            assertEquals(42, out.get(JAVA_INT, 0));

            assertThrows(IllegalArgumentException.class,
                    () -> a.copyFromHostAsync(0, MemorySegment.ofArray(new float[4]), stream));
        }
    }

    @Test
    void outOfRangeAndUseAfterCloseAreRefused() {
        DeviceBuffer buffer = context.allocate(16);
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.copyFromHost(8, MemorySegment.ofArray(new int[3])));
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.copyToHost(-4, MemorySegment.ofArray(new int[1])));
        int live = LiveAllocations.count();
        buffer.close();
        buffer.close();
        assertTrue(buffer.isClosed());
        assertEquals(live - 1, LiveAllocations.count());
        assertThrows(IllegalStateException.class, buffer::address);
        assertThrows(IllegalStateException.class, () -> buffer.fill((byte) 0));
        assertThrows(IllegalArgumentException.class, () -> context.allocate(0));
    }

    @Test
    void liveAllocationsAreCountedUntilClosed() {
        int before = LiveAllocations.count();
        long bytesBefore = LiveAllocations.bytes();
        try (DeviceBuffer a = context.allocate(1000); DeviceBuffer b = context.allocate(24)) {
            assertEquals(before + 2, LiveAllocations.count());
            assertEquals(bytesBefore + 1024, LiveAllocations.bytes());
            assertTrue(LiveAllocations.describe().stream().anyMatch(s -> s.startsWith("1000 bytes at 0x")),
                    LiveAllocations.describe().toString());
        }
        assertEquals(before, LiveAllocations.count());
    }

    @Test
    void anAllocationTooLargeSaysSoInTheDriversWords() {
        long tooMuch = device.totalMemoryBytes() * 4;
        var e = assertThrows(CudaException.class, () -> context.allocate(tooMuch));
        assertEquals("cuMemAlloc of " + tooMuch + " bytes on device 0: CUDA_ERROR_OUT_OF_MEMORY (out of memory)",
                e.getMessage());
        assertEquals(2, e.result());
    }
}
