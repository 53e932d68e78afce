package dev.tessera.cuda.driver;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every {@link DeviceBuffer} allocated and not yet closed, so tests and long runs can prove they
 * leak nothing and a leak report can say which sizes were left behind.
 */
public final class LiveAllocations {
    private LiveAllocations() {}

    private static final Set<DeviceBuffer> LIVE = ConcurrentHashMap.newKeySet();

    static void add(DeviceBuffer buffer) {
        LIVE.add(buffer);
    }

    static void remove(DeviceBuffer buffer) {
        LIVE.remove(buffer);
    }

    /** How many device buffers are allocated and not yet closed. */
    public static int count() {
        return LIVE.size();
    }

    /** The bytes those buffers hold. */
    public static long bytes() {
        return LIVE.stream().mapToLong(DeviceBuffer::byteSize).sum();
    }

    /** A description of each live buffer, for a leak report. */
    public static List<String> describe() {
        return LIVE.stream().map(DeviceBuffer::toString).sorted().toList();
    }
}
