package dev.tessera.backend;

/**
 * A point in a device's queue of work, for timing and for ordering streams: recording it queues it
 * behind the work queued so far (a CUDA event); its time is known once it has been reached. Backends
 * whose launches are synchronous use the host clock ({@link #host()}): there a marker has been
 * reached when it is recorded.
 */
public interface Marker extends AutoCloseable {

    /** Queues this marker behind the work on the device's default stream so far. */
    void record();

    /** Queues this marker behind the work on {@code stream} so far (a stream of this marker's device). */
    default void record(BackendStream stream) { record(); }

    /** Waits until the point last recorded has been reached (at once where launches are synchronous, or if never recorded). */
    default void synchronize() { }

    /** Whether the point last recorded has been reached, without waiting. */
    default boolean isDone() { return true; }

    /** Milliseconds from {@code start} to this marker (both recorded and reached). */
    double millisSince(Marker start);

    @Override
    void close();

    /** A marker reading {@link System#nanoTime()} when recorded. */
    static Marker host() { return new HostMarker(); }
}
