package dev.tessera.backend;

/**
 * A backend's queue of work on one device: a CUDA stream on a GPU. Work queued on one stream runs
 * in the order it was queued; streams run independently except where one waits for a {@link Marker}
 * recorded on another. Backends whose calls return when their work is done use {@link #host()}:
 * the order of the calls is already the order of the work, so it orders nothing and never waits.
 */
public interface BackendStream extends AutoCloseable {

    /** The native handle (a {@code CUstream}), to hand to another library; 0 for a default stream and where there are none. */
    long handle();

    /** Waits until everything queued on this stream so far has finished. */
    void synchronize();

    /** Work queued on this stream after this call starts once {@code marker}'s recorded point has been reached; the caller does not wait. */
    void waitFor(Marker marker);

    /** Destroys a stream the backend created; a device's default stream and one another library made are left as they are. */
    @Override
    void close();

    /** The stream of backends whose launches and copies are synchronous. */
    static BackendStream host() { return HostStream.INSTANCE; }
}
