package dev.tessera.bench;

import dev.tessera.backend.Backend;
import dev.tessera.backend.Buffer;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Event;
import dev.tessera.runtime.Stream;

/**
 * A {@link DeviceTimer} for any Tessera device, through its {@link Event}s (CUDA events on a GPU)
 * on the current stream: queued behind the work, read after one synchronize. Flushing the
 * cache writes a buffer several times larger than any current GPU's L2 with the device's memset.
 */
final class BackendTimer implements DeviceTimer {
    private static final long FLUSH_BYTES = 256L << 20;

    private final Device device;
    private final Backend backend;
    private Buffer flush;

    BackendTimer(Device device) {
        this.device = device.require();
        this.backend = device.backendImpl();
    }

    @Override
    public String deviceName() { return device.info().name(); }

    /**
     * Events recorded on the thread's current stream of the device when each call starts and stops,
     * so that work under {@code stream.activate()} is timed on its own stream: a borrowed
     * non-blocking stream (PyTorch's) is not ordered against the default one.
     */
    @Override
    public TimingEvents events(int count) {
        Event[] starts = new Event[count], stops = new Event[count];
        for (int i = 0; i < count; i++) {
            starts[i] = device.newEvent();
            stops[i] = device.newEvent();
        }
        return new TimingEvents() {
            @Override
            public int capacity() { return count; }

            @Override
            public void start(int i) { starts[i].record(Stream.current(device)); }

            @Override
            public void stop(int i) { stops[i].record(Stream.current(device)); }

            @Override
            public double elapsedMs(int i) { return stops[i].elapsedMillis(starts[i]); }

            @Override
            public void close() {
                for (int i = 0; i < count; i++) {
                    starts[i].close();
                    stops[i].close();
                }
            }
        };
    }

    @Override
    public void synchronize() { backend.synchronize(device.index()); }

    @Override
    public synchronized void flushCache() {
        if (flush == null) flush = backend.allocate(device.index(), FLUSH_BYTES);
        backend.fill(flush, 0, FLUSH_BYTES, (byte) 0);
    }
}
