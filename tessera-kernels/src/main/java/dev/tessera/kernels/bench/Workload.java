package dev.tessera.kernels.bench;

import dev.tessera.bench.DeviceTimer;

/** The work a {@link BenchProvider} prepared for one problem: run it, time it with its timer, then close it. */
public interface Workload extends AutoCloseable {

    /** One call of the work; on an asynchronous device it may return before the work finishes. */
    void run();

    /** The timer for the device the work runs on (the CPU timer for host code). */
    DeviceTimer timer();

    /** A remark for the report, e.g. the config an autotuner chose; null for none. */
    default String note() { return null; }

    /** Frees the inputs. */
    @Override
    void close();

    /** A workload of host code timed with the CPU timer. */
    static Workload host(Runnable work, AutoCloseable resources) {
        return of(work, dev.tessera.bench.CpuTimer.shared(), resources, null);
    }

    static Workload of(Runnable work, DeviceTimer timer, AutoCloseable resources, String note) {
        return new Workload() {
            @Override public void run() { work.run(); }
            @Override public DeviceTimer timer() { return timer; }
            @Override public String note() { return note; }
            @Override public void close() {
                if (resources == null) return;
                try {
                    resources.close();
                } catch (Exception e) {
                    throw new IllegalStateException("cannot free benchmark inputs", e);
                }
            }
        };
    }
}
