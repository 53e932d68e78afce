package dev.tessera.backend;

/**
 * A point in a device's queue of work, for timing: recording it queues it behind the work launched
 * so far (a CUDA event); its time is known once the device has been synchronized. Backends whose
 * launches are synchronous use the host clock ({@link #host()}).
 */
public interface Marker extends AutoCloseable {

    /** Queues this marker behind the device's work so far. */
    void record();

    /** Milliseconds from {@code start} to this marker (both recorded, device synchronized). */
    double millisSince(Marker start);

    @Override
    void close();

    /** A marker reading {@link System#nanoTime()} when recorded. */
    static Marker host() { return new HostMarker(); }
}
