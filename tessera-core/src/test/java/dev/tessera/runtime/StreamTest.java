package dev.tessera.runtime;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Streams and events on every device: launches on a chosen or activated stream give the right
 * values, an event orders one stream after another, asynchronous copies round-trip through pinned
 * memory, and misuse fails with a clear message. On the CPU streams order nothing (launches are
 * synchronous) and events are reached when recorded; on a GPU the same tests run on CUDA streams.
 */
@ExtendWith(SeedExtension.class)
class StreamTest {
    private static final int BLOCK = 128;
    private static final int N = 100_003; // not a multiple of the block

    /** out = x·a + b. */
    @Kernel
    static void affine(Tile x, Tile out, Tile a, Tile b, Tile n, @Constexpr int BLOCK) {
        Tile i = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = i.lt(n);
        store(out.add(i), load(x.add(i), m).mul(a).add(b), m);
    }

    static final JitKernel AFFINE = Jit.kernel(StreamTest.class, "affine");

    private static void affine(Tensor x, Tensor out, float a, float b) {
        AFFINE.launch(grid(cdiv(N, BLOCK)), x, out, a, b, N, BLOCK);
    }

    private static float[] randomFloats(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[N];
        for (int i = 0; i < N; i++) v[i] = (float) (r.nextDouble() * 8 - 4);
        return v;
    }

    /** The reference, in double, rounded once to f32 as the kernel's two f32 operations are not (so compared with a tolerance). */
    private static void assertAffine(float[] x, float a, float b, float[] got, String what) {
        for (int i = 0; i < N; i++) {
            double want = (double) x[i] * a + b;
            assertEquals(want, got[i], 1e-5 * (Math.abs(want) + 1), what + ": element " + i + " of " + N);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void aKernelOnAChosenStreamGivesTheRightValues(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        float[] x = randomFloats(seed);
        try (Stream s = d.newStream(); Tensor in = Tensor.of(x, d, N); Tensor out = Tensor.full(DType.F32, Double.NaN, d, N)) {
            AFFINE.launch(s, grid(cdiv(N, BLOCK)), in, out, 1.5f, -2f, N, BLOCK);
            s.synchronize();
            assertAffine(x, 1.5f, -2f, out.toFloatArray(), "on " + s);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void launchesInsideAnActivationGoOnItsStream(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        float[] x = randomFloats(seed);
        try (Stream s = d.newStream(); Stream inner = d.newStream(); Tensor in = Tensor.of(x, d, N);
             Tensor out = Tensor.full(DType.F32, Double.NaN, d, N)) {
            assertSame(d.defaultStream(), Stream.current(d), "nothing activated yet");
            Set<Stream> seen = LaunchWatch.streamsOf(() -> {
                try (var on = s.activate()) {
                    assertSame(s, Stream.current(d));
                    affine(in, out, 3f, 0.5f);
                    try (var nested = inner.activate()) {
                        assertSame(inner, Stream.current(d));
                    }
                    assertSame(s, Stream.current(d), "closing the inner activation restores the outer one");
                }
            });
            assertEquals(Set.of(s), seen);
            assertSame(d.defaultStream(), Stream.current(d), "closing the activation restores the default stream");
            assertEquals(Set.of(d.defaultStream()), LaunchWatch.streamsOf(() -> affine(in, out, 3f, 0.5f)));
            s.synchronize();
            assertAffine(x, 3f, 0.5f, out.toFloatArray(), "after an activation of " + s);
        }
    }

    /** Stream b reads what stream a wrote, after waiting for a's event; a runs its kernel many times over, so a missing wait shows. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void aStreamWaitingForAnEventSeesWhatTheOtherStreamWrote(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        float[] x = randomFloats(seed);
        try (Stream a = d.newStream(); Stream b = d.newStream(); Tensor in = Tensor.of(x, d, N);
             Tensor mid = Tensor.full(DType.F32, Double.NaN, d, N); Tensor out = Tensor.full(DType.F32, Double.NaN, d, N)) {
            d.synchronize(); // the fills are done: only the event orders what follows
            try (var on = a.activate()) {
                for (int round = 0; round < 20; round++) affine(in, mid, 2f, 1f); // the same values each time
            }
            try (Event written = a.record()) {
                b.waitFor(written);
                try (var on = b.activate()) {
                    affine(mid, out, 0.5f, -0.5f); // (2x + 1) / 2 - 1/2 = x
                }
                b.synchronize();
                assertTrue(written.isDone(), "b waited for the event, so it has been reached");
            }
            assertAffine(x, 1f, 0f, out.toFloatArray(), "after b waited for a's event");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void asynchronousCopiesRoundTripThroughPinnedMemory(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        float[] x = randomFloats(seed);
        long bytes = 4L * N;
        try (Arena arena = Arena.ofConfined(); Stream s = d.newStream();
             Tensor in = Tensor.full(DType.F32, Double.NaN, d, N); Tensor out = Tensor.full(DType.F32, Double.NaN, d, N)) {
            MemorySegment up = d.allocatePinned(arena, bytes), down = d.allocatePinned(arena, bytes);
            MemorySegment.copy(x, 0, up, ValueLayout.JAVA_FLOAT, 0, N);
            down.fill((byte) 0xff); // NaN bits: a copy that never came shows
            d.synchronize();
            try (var on = s.activate()) {
                in.copyFromAsync(up);
                affine(in, out, -1f, 2f);
                out.copyToAsync(down);
            }
            s.synchronize();
            assertAffine(x, -1f, 2f, down.toArray(ValueLayout.JAVA_FLOAT), "copied back on " + s);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void eventsTimeTheWorkBetweenThem(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        try (Stream s = d.newStream(); Tensor in = Tensor.of(randomFloats(seed), d, N); Tensor out = Tensor.empty(DType.F32, d, N);
             Event start = s.record()) {
            AFFINE.launch(s, grid(cdiv(N, BLOCK)), in, out, 1f, 1f, N, BLOCK);
            try (Event end = d.newEvent().record(s)) {
                double ms = end.elapsedMillis(start);
                assertTrue(end.isDone() && start.isDone(), "elapsedMillis waits for both");
                assertTrue(ms >= 0 && ms < 60_000, ms + " ms");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void aClosedStreamOrEventIsRefused(Device device) {
        Device d = TestDevices.require(device);
        try (Tensor t = Tensor.zeros(DType.F32, d, N); Arena arena = Arena.ofConfined()) {
            MemorySegment host = d.allocatePinned(arena, 4L * N);
            Stream s = d.newStream();
            Event e = s.record();
            var scope = s.activate();
            s.close();
            s.close(); // twice is harmless
            for (var use : List.<Runnable>of(s::synchronize, s::record, s::activate, () -> s.waitFor(e), s::handle,
                    () -> affine(t, t, 1f, 0f), () -> AFFINE.launch(s, grid(1), t, t, 1f, 0f, N, BLOCK),
                    () -> t.copyFromAsync(host, s), () -> t.copyToAsync(host))) {
                IllegalStateException x = assertThrows(IllegalStateException.class, use::run);
                assertTrue(x.getMessage().contains("Stream(" + d) && x.getMessage().contains("closed"), x.getMessage());
            }
            scope.close();
            affine(t, t, 1f, 0f); // the default stream again
            e.close();
            for (var use : List.<Runnable>of(e::synchronize, e::isDone, () -> e.record(d.defaultStream()), () -> d.defaultStream().waitFor(e))) {
                IllegalStateException x = assertThrows(IllegalStateException.class, use::run);
                assertTrue(x.getMessage().contains("Event(" + d + ", closed)"), x.getMessage());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void theDefaultStreamIsNeverClosed(Device device) {
        Device d = TestDevices.require(device);
        Stream s = d.defaultStream();
        assertTrue(s.isDefault());
        assertEquals(0, s.handle());
        assertSame(s, Stream.fromHandle(d, 0));
        s.close();
        s.synchronize();
        try (Event e = s.record()) {
            e.synchronize();
            assertTrue(e.isDone());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void asynchronousCopiesSayWhatTheyNeed(Device device) {
        Device d = TestDevices.require(device);
        try (Tensor t = Tensor.zeros(DType.F32, d, 4, 6); Tensor strided = t.transpose(0, 1); Arena arena = Arena.ofConfined()) {
            var heap = assertThrows(IllegalArgumentException.class, () -> t.copyFromAsync(MemorySegment.ofArray(new float[24])));
            assertTrue(heap.getMessage().contains("copyFromAsync needs native (off-heap) host memory"), heap.getMessage());
            var size = assertThrows(IllegalArgumentException.class, () -> t.copyToAsync(arena.allocate(95)));
            assertEquals("copyToAsync: a segment of 95 bytes for Tensor(f32[4, 6], " + d + "), which has 96 bytes", size.getMessage());
            var layout = assertThrows(IllegalStateException.class, () -> strided.copyToAsync(arena.allocate(96)));
            assertTrue(layout.getMessage().startsWith("copyToAsync needs a contiguous tensor, not Tensor(f32[6, 4], " + d + ", strided)"), layout.getMessage());
            var pinned = assertThrows(IllegalArgumentException.class, () -> d.allocatePinned(arena, 0));
            assertEquals("pinned host memory needs a positive size, not 0", pinned.getMessage());
        }
    }

    @Test
    void onTheCpuAStreamOrdersNothingAndEventsAreReachedWhenRecorded() {
        Device cpu = Device.cpu();
        try (Stream s = cpu.newStream(); Event never = cpu.newEvent()) {
            assertEquals(0, s.handle(), "the CPU has no native streams");
            assertFalse(s.isDefault());
            assertTrue(never.isDone(), "an event never recorded is reached, as CUDA's");
            never.synchronize();
            s.waitFor(never);
            var unrecorded = assertThrows(IllegalStateException.class, () -> never.elapsedMillis(never));
            assertEquals("elapsedMillis needs both events recorded; the start was not", unrecorded.getMessage());
            try (Event e = s.record()) {
                assertTrue(e.isDone(), "recorded after synchronous work: reached at once");
                assertTrue(e.elapsedMillis(e) >= 0);
            }
        }
    }

    @Test
    void theCpuTakesNoForeignStreamHandle() {
        var e = assertThrows(IllegalArgumentException.class, () -> Stream.fromHandle(Device.cpu(), 0x7f00_1234L));
        assertEquals("the cpu backend has no native streams, so stream handle 0x7f001234 means nothing on it; use Device.newStream()", e.getMessage());
    }

    @Test
    void activationsCloseInOrderOnTheirThread() throws InterruptedException {
        Device cpu = Device.cpu();
        try (Stream a = cpu.newStream(); Stream b = cpu.newStream()) {
            var outer = a.activate();
            var inner = b.activate();
            var order = assertThrows(IllegalStateException.class, outer::close);
            assertTrue(order.getMessage().contains("close activations in reverse order"), order.getMessage());
            AtomicReference<Throwable> elsewhere = new AtomicReference<>();
            Thread t = new Thread(() -> elsewhere.set(assertThrows(IllegalStateException.class, inner::close)), "other");
            t.start();
            t.join();
            assertTrue(elsewhere.get().getMessage().contains("must be closed there, not on other"), elsewhere.get().getMessage());
            inner.close();
            inner.close(); // twice is harmless
            assertSame(a, Stream.current(cpu));
            outer.close();
            assertSame(cpu.defaultStream(), Stream.current(cpu));
        }
    }
}
