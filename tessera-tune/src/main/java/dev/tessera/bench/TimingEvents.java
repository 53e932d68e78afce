package dev.tessera.bench;

/**
 * A fixed set of start/stop marker pairs, one pair per repetition, allocated by
 * {@link DeviceTimer#events(int)} before a timed loop so that the loop itself allocates nothing.
 *
 * <p>On the CPU a marker is a {@code System.nanoTime()} reading; on a GPU it is an event recorded on
 * the stream, whose time is known only after {@link DeviceTimer#synchronize()}. Callers therefore
 * record every marker first, synchronize once, and only then read {@link #elapsedMs(int)}.
 */
public interface TimingEvents extends AutoCloseable {

    /** How many marker pairs this set holds; valid indices are {@code 0 .. capacity() - 1}. */
    int capacity();

    /** Records the start marker of repetition {@code i} (queued on the device, not waited for). */
    void start(int i);

    /** Records the stop marker of repetition {@code i}. */
    void stop(int i);

    /**
     * Milliseconds between start and stop marker {@code i}. Only valid after both were recorded and
     * the owning timer was {@linkplain DeviceTimer#synchronize() synchronized}.
     */
    double elapsedMs(int i);

    /** Releases the markers (device events on a GPU; nothing on the CPU). */
    @Override
    void close();
}
