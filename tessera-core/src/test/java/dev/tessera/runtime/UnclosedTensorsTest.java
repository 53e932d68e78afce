package dev.tessera.runtime;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.types.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tensors nobody closes: their off-heap memory is counted, collected before it piles up, and an
 * allocation that really does not fit fails with a message naming the limit.
 */
class UnclosedTensorsTest {
    static final long MB = 1 << 20;
    final LiveMemory cpu = LiveMemory.of(Device.cpu());
    long oldLimit;

    @BeforeEach
    void saveLimit() { oldLimit = cpu.limit(); }

    @AfterEach
    void restoreLimit() { cpu.setLimit(oldLimit); }

    @Test
    void aLoopOfUnclosedTensorsStaysBounded() {
        long before = Tensor.liveBytes(Device.cpu()), rssBefore = rss();
        cpu.setLimit(before + 256 * MB);
        long most = 0;
        for (int i = 0; i < 5_000; i++) {
            Tensor.empty(DType.F32, Device.cpu(), 256 * 1024); // 1 MB, never closed
            most = Math.max(most, Tensor.liveBytes(Device.cpu()) - before);
        }
        assertTrue(most <= 256 * MB, "at most the limit is held: " + most / MB + " MB");
        long rssGrowth = rss() - rssBefore;
        assertTrue(rssGrowth < 512 * MB, "5 GB allocated in all, resident growth " + rssGrowth / MB + " MB");
    }

    @Test
    void whatDoesNotFitFailsNamingTheLimit() {
        long before = Tensor.liveBytes(Device.cpu());
        cpu.setLimit(before + 48 * MB);
        List<Tensor> held = new ArrayList<>();
        try {
            OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> {
                for (int i = 0; i < 1000; i++) held.add(Tensor.empty(DType.F32, Device.cpu(), 256 * 1024));
            });
            assertTrue(held.size() >= 48 && held.size() < 1000, "tensors that fit are allocated: " + held.size()); // more if others were collected
            assertTrue(e.getMessage().contains("1.0 MB more would pass the limit of") && e.getMessage().contains("tessera.memory.limit.mb"),
                    e.getMessage());
            assertTrue(Tensor.liveBytes(Device.cpu()) <= before + 48 * MB, "the refused allocation holds nothing");
        } finally {
            held.forEach(Tensor::close);
        }
        assertTrue(Tensor.liveBytes(Device.cpu()) <= before, "closing gives the bytes back at once"); // (less if others were collected)
    }

    /** Resident memory of this process in bytes (0 where /proc is not there). */
    static long rss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return 0;
    }
}
