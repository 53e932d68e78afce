package dev.tessera.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
