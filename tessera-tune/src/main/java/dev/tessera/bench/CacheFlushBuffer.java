package dev.tessera.bench;

import java.util.Arrays;

/**
 * A buffer larger than the CPU's last-level cache; {@link #flush()} writes all of it, evicting
 * whatever the benchmarked work left in the caches. Allocated on first use and reused by every call,
 * so flushing allocates nothing. Concurrent flushes are harmless (the contents do not matter).
 */
public final class CacheFlushBuffer {

    /** The smallest buffer used by default: 64 MiB, as large as the biggest common per-socket L3. */
    public static final long MIN_DEFAULT_BYTES = 64L << 20;

    private final long bytes;
    private long[] buffer;
    private long generation;

    /** A buffer of {@code bytes} bytes (rounded down to whole longs, at least one). */
    public CacheFlushBuffer(long bytes) {
        if (bytes <= 0 || bytes / Long.BYTES > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("cache flush buffer size must be between 1 byte and 16 GiB, got " + bytes);
        }
        this.bytes = bytes;
    }

    /** Twice the last-level cache that Linux reports, but at least {@link #MIN_DEFAULT_BYTES}. */
    public static long defaultBytes() {
        return Math.max(MIN_DEFAULT_BYTES, 2 * CpuInfo.lastLevelCacheBytes());
    }

    /** The buffer size in bytes. */
    public long bytes() {
        return bytes;
    }

    /** Writes every element of the buffer (a new value each call, so no write can be skipped). */
    public void flush() {
        long[] b = buffer;
        if (b == null) b = buffer = new long[(int) Math.max(1, bytes / Long.BYTES)];
        Arrays.fill(b, ++generation);
    }
}
