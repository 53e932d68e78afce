package dev.tessera.runtime;

import dev.tessera.backend.Buffer;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes tensors hold on one device, and the collection of tensors nobody closed. Such a tensor
 * is freed by a {@link java.lang.ref.Cleaner} once the garbage collector finds it unreachable, but
 * its memory is off the Java heap, so it never makes the collector run: a loop of unclosed tensors
 * with a small heap grows without bound. So, as {@code java.nio} does for direct buffers:
 * <ul>
 *   <li>when the bytes held grow past twice what they were after the last collection (plus 64 MB),
 *       a collection is requested, and the allocation waits for the cleaner to free what it found
 *       (it frees more slowly than a thread allocates, so without the wait memory would still grow);</li>
 *   <li>an allocation past the device's limit first requests a collection and waits for the freed
 *       memory, and fails with an {@link OutOfMemoryError} naming the limit only if that is not
 *       enough; so does one the backend refuses (a GPU out of memory) after the same wait.</li>
 * </ul>
 * The limit is {@code tessera.memory.limit.mb} megabytes per device if set, else half the
 * machine's memory for the CPU and none of Tessera's own for other devices (they say when full).
 */
final class LiveMemory {
    /** Garbage allowed to pile up between collections when little is live. */
    static final long SLACK = 64L << 20;

    private static final Map<Device, LiveMemory> DEVICES = new ConcurrentHashMap<>();

    private final Device device;
    private final AtomicLong live = new AtomicLong();
    /** The most {@link #live} has been since the last {@link #resetPeak}. */
    private final AtomicLong peak = new AtomicLong();
    /** The bytes held at which a collection is next requested; lowered as memory is freed. */
    private volatile long collectAt = SLACK;
    private volatile long limit;

    private LiveMemory(Device device) {
        this.device = device;
        this.limit = defaultLimit(device);
    }

    static LiveMemory of(Device d) { return DEVICES.computeIfAbsent(d, LiveMemory::new); }

    static long total() { return DEVICES.values().stream().mapToLong(m -> m.live.get()).sum(); }

    long live() { return live.get(); }

    long peak() { return peak.get(); }

    void resetPeak() { peak.set(live.get()); }

    long limit() { return limit; }

    /** For tests and programs that share a device with others. */
    void setLimit(long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("a memory limit must be positive, got " + bytes);
        limit = bytes;
    }

    private static long defaultLimit(Device d) {
        String mb = System.getProperty("tessera.memory.limit.mb");
        if (mb != null && !mb.isBlank()) {
            try {
                long n = Long.parseLong(mb.strip());
                if (n > 0 && n <= Long.MAX_VALUE >> 20) return n << 20;
            } catch (NumberFormatException e) {
                // said below
            }
            throw new IllegalArgumentException("tessera.memory.limit.mb is '" + mb + "': expected a whole number of megabytes, 1 or more");
        }
        if (!d.backend().equals("cpu")) return Long.MAX_VALUE;
        try {
            var os = ManagementFactory.getOperatingSystemMXBean();
            return os instanceof com.sun.management.OperatingSystemMXBean m ? m.getTotalMemorySize() / 2 : Long.MAX_VALUE;
        } catch (LinkageError e) {
            return Long.MAX_VALUE; // a runtime without the jdk.management module (a small jlink image) cannot tell
        }
    }

    /** Allocates {@code bytes} on the device, collecting unclosed tensors first if that is what it takes. */
    Buffer allocate(long bytes) {
        reserve(bytes);
        try {
            return device.backendImpl().allocate(device.index(), bytes);
        } catch (RuntimeException | OutOfMemoryError refused) {
            // the device is full by its own measure: what the collector frees may make room
            collectAndWait(() -> false);
            try {
                return device.backendImpl().allocate(device.index(), bytes);
            } catch (RuntimeException | OutOfMemoryError again) {
                live.addAndGet(-bytes);
                throw refused;
            }
        }
    }

    /** Counts {@code bytes} as held, within the limit. */
    private void reserve(long bytes) {
        if (tryReserve(bytes)) {
            long target = collectAt;
            // Wait for the cleaner, which frees more slowly than one thread can allocate. If the
            // collection frees nothing, everything is in use: the bar doubles and the wait is over.
            if (live.get() > target && !collectAndWait(() -> live.get() <= target)) {
                long now = live.get();
                collectAt = now + Math.max(SLACK, now);
            }
            return;
        }
        if (collectAndWait(() -> tryReserve(bytes))) return;
        throw new OutOfMemoryError(String.format(Locale.ROOT, "tensors on %s hold %s; %s more would pass the limit of %s"
                        + " (tessera.memory.limit.mb). Close tensors that are no longer needed (try-with-resources), or raise the limit",
                device, mb(live.get()), mb(bytes), mb(limit)));
    }

    private boolean tryReserve(long bytes) {
        while (true) {
            long now = live.get();
            if (now + bytes > limit || now + bytes < 0) return false;
            if (live.compareAndSet(now, now + bytes)) {
                peak.accumulateAndGet(now + bytes, Math::max);
                return true;
            }
        }
    }

    /** Requests a collection and gives the cleaner up to about half a second to free what it found, until {@code done}. */
    private static boolean collectAndWait(java.util.function.BooleanSupplier done) {
        System.gc();
        for (long sleep = 1; sleep <= 256; sleep <<= 1) {
            if (done.getAsBoolean()) return true;
            try {
                Thread.sleep(sleep);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return done.getAsBoolean();
            }
        }
        return done.getAsBoolean();
    }

    /** {@code bytes} were freed. */
    void released(long bytes) {
        long now = live.addAndGet(-bytes);
        long next = now + Math.max(SLACK, now);
        if (next < collectAt) collectAt = next;
    }

    private static String mb(long bytes) { return String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0); }
}
