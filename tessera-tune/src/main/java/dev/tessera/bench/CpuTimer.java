package dev.tessera.bench;

/**
 * Times work that runs synchronously on the calling CPU thread with {@link System#nanoTime()}.
 * {@link #synchronize()} has nothing to wait for; {@link #flushCache()} writes through a
 * {@link CacheFlushBuffer} larger than the last-level cache (allocated once, reused).
 */
public final class CpuTimer implements DeviceTimer {

    private static final class Holder {
        static final CpuTimer SHARED = new CpuTimer(CacheFlushBuffer.defaultBytes());
    }

    private final CacheFlushBuffer flushBuffer;

    /** A timer whose cache flush writes {@code flushBytes} bytes. */
    public CpuTimer(long flushBytes) {
        this.flushBuffer = new CacheFlushBuffer(flushBytes);
    }

    /** The process-wide CPU timer, flushing {@link CacheFlushBuffer#defaultBytes()} bytes. */
    public static CpuTimer shared() {
        return Holder.SHARED;
    }

    @Override
    public String deviceName() {
        return CpuInfo.name();
    }

    @Override
    public TimingEvents events(int count) {
        return new NanoTimeEvents(count);
    }

    /** Nothing to do: the work ran to completion before it returned. */
    @Override
    public void synchronize() {}

    @Override
    public void flushCache() {
        flushBuffer.flush();
    }

    /** The flush buffer size in bytes. */
    public long flushBytes() {
        return flushBuffer.bytes();
    }

    /** Marker pairs held as two preallocated arrays of {@code nanoTime} readings. */
    private static final class NanoTimeEvents implements TimingEvents {
        private final long[] starts;
        private final long[] stops;

        NanoTimeEvents(int count) {
            if (count < 0) throw new IllegalArgumentException("event count must be >= 0, got " + count);
            starts = new long[count];
            stops = new long[count];
        }

        @Override public int capacity() { return starts.length; }
        @Override public void start(int i) { starts[i] = System.nanoTime(); }
        @Override public void stop(int i) { stops[i] = System.nanoTime(); }
        @Override public double elapsedMs(int i) { return (stops[i] - starts[i]) / 1e6; }
        @Override public void close() {}
    }
}
