package dev.tessera.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

class StreamEventGpuTest extends GpuTestBase {

    @Test
    void eventsTimeWorkOnAStream(TestReporter reporter) {
        long bytes = 1L << 30;
        try (CudaStream stream = context.createStream();
             CudaEvent start = context.createEvent();
             CudaEvent end = context.createEvent();
             DeviceBuffer buffer = context.allocate(bytes)) {
            buffer.fillIntsAsync(0, stream); // warm-up
            start.record(stream);
            buffer.fillIntsAsync(1, stream);
            end.record(stream);
            end.synchronize();
            float ms = CudaEvent.elapsedMillis(start, end);
            reporter.publishEntry("memset 1 GiB", "%.3f ms = %.0f GB/s".formatted(ms, bytes / (ms * 1e6)));
            assertTrue(ms > 0 && ms < 1000, ms + " ms");
        }
    }

    @Test
    void theDefaultStreamWorksAndIsNeverDestroyed() {
        CudaStream stream = context.defaultStream();
        assertTrue(stream.isDefault());
        try (CudaEvent event = context.createEvent(); DeviceBuffer buffer = context.allocate(1 << 20)) {
            buffer.fillAsync((byte) 1, stream);
            event.record(stream);
            event.synchronize();
            stream.synchronize();
        }
        stream.close();
        assertDoesNotThrow(stream::synchronize);
    }

    @Test
    void aStreamWaitsForAnotherStreamsEventAndPinnedMemoryRoundTrips() {
        int words = (1 << 20) + 3;
        try (Arena arena = Arena.ofConfined();
             CudaStream first = context.createStream(); CudaStream second = context.createStream();
             CudaEvent filled = context.createEvent(); DeviceBuffer buffer = context.allocate(4L * words)) {
            MemorySegment host = context.allocatePinned(4L * words, arena);
            host.fill((byte) 0);
            buffer.fillIntsAsync(0x3f800000, first); // 1.0f
            filled.record(first);
            second.waitFor(filled);
            buffer.copyToHostAsync(0, host, second);
            second.synchronize();
            assertTrue(filled.isDone(), "second waited for the event");
            for (int i = 0; i < words; i++) assertEquals(1.0f, host.getAtIndex(ValueLayout.JAVA_FLOAT, i), "word " + i);
        }
    }

    @Test
    void aBorrowedStreamIsNeverDestroyed() {
        try (CudaStream made = context.createStream()) {
            CudaStream borrowed = CudaStream.borrow(context, made.address());
            assertEquals(made.address(), borrowed.address());
            borrowed.synchronize();
            borrowed.close();
            assertThrows(IllegalStateException.class, borrowed::synchronize);
            assertDoesNotThrow(made::synchronize, "the stream itself is still there");
        }
        assertThrows(IllegalArgumentException.class, () -> CudaStream.borrow(context, 0));
    }

    @Test
    void closedStreamsAndEventsAreRefused() {
        CudaStream stream = context.createStream();
        CudaEvent event = context.createEvent();
        assertTrue(!stream.isDefault());
        stream.close();
        stream.close();
        event.close();
        event.close();
        assertThrows(IllegalStateException.class, stream::synchronize);
        assertThrows(IllegalStateException.class, event::synchronize);
        assertThrows(IllegalStateException.class, () -> event.record(context.defaultStream()));
    }
}
