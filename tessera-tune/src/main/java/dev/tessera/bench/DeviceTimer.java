package dev.tessera.bench;

/**
 * How repetitions of work are timed on one device. {@link Bench#doBench} only talks to this
 * interface, so a GPU backend plugs in an event timer without changing any caller.
 *
 * <p>The protocol, modelled on Triton's {@code do_bench}:
 * <ol>
 *   <li>{@link #events(int)} allocates the start/stop markers for all repetitions up front;</li>
 *   <li>per repetition: optionally {@link #flushCache()}, then {@code start(i)}, the work,
 *       {@code stop(i)} — all of it may be queued asynchronously on the device;</li>
 *   <li>{@link #synchronize()} once, then read {@link TimingEvents#elapsedMs(int)}.</li>
 * </ol>
 *
 * <p>Implementations: {@link CpuTimer} (synchronous work, {@code System.nanoTime}). A CUDA timer
 * records {@code cuEventRecord} pairs on the launch stream, {@code synchronize()} waits for the
 * stream, and {@code flushCache()} memsets a buffer larger than L2. Other modules register their
 * timers through {@link DeviceTimerProvider} so that {@link DeviceTimers#forDevice(String)} finds them.
 */
public interface DeviceTimer {

    /** Human-readable device name recorded with results, e.g. {@code "NVIDIA H200"}. */
    String deviceName();

    /** Allocates {@code count} start/stop marker pairs (outside any timed region). */
    TimingEvents events(int count);

    /** Blocks until all work and markers queued on the device so far have completed. */
    void synchronize();

    /**
     * Evicts the device's caches so the next repetition starts cold: on the CPU, writes through a
     * buffer larger than the last-level cache; on a GPU, an L2-sized memset. Never timed.
     */
    void flushCache();
}
