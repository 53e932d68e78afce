package dev.tessera.bench;

import dev.tessera.backend.Backend;
import dev.tessera.backend.Buffer;
import dev.tessera.backend.Marker;
import dev.tessera.runtime.Device;

/**
 * A {@link DeviceTimer} for any Tessera device, through the backend's own timing markers (CUDA
 * events on a GPU): markers are queued behind the work, read after one synchronize. Flushing the
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

    @Override
    public TimingEvents events(int count) {
        Marker[] starts = new Marker[count], stops = new Marker[count];
        for (int i = 0; i < count; i++) {
            starts[i] = backend.marker(device.index());
            stops[i] = backend.marker(device.index());
        }
        return new TimingEvents() {
            @Override
            public int capacity() { return count; }

            @Override
            public void start(int i) { starts[i].record(); }

            @Override
            public void stop(int i) { stops[i].record(); }

            @Override
            public double elapsedMs(int i) { return stops[i].millisSince(starts[i]); }

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
