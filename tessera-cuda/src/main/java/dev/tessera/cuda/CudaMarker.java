package dev.tessera.cuda;

import dev.tessera.backend.BackendStream;
import dev.tessera.backend.Marker;
import dev.tessera.cuda.driver.CudaContext;
import dev.tessera.cuda.driver.CudaEvent;

/** A point on a device's stream, for timing and for other streams to wait for: a CUDA event. */
final class CudaMarker implements Marker {
    private final CudaContext context;
    final CudaEvent event;

    CudaMarker(CudaContext context) {
        this.context = context;
        this.event = context.createEvent();
    }

    static CudaMarker of(Marker m) {
        if (m instanceof CudaMarker c) return c;
        throw new IllegalArgumentException("not a CUDA event: " + m);
    }

    @Override
    public void record() { event.record(context.defaultStream()); }

    @Override
    public void record(BackendStream stream) { event.record(CudaQueue.of(stream)); }

    @Override
    public void synchronize() { event.synchronize(); }

    @Override
    public boolean isDone() { return event.isDone(); }

    @Override
    public double millisSince(Marker start) {
        if (!(start instanceof CudaMarker m)) throw new IllegalArgumentException("markers of different kinds");
        event.synchronize();
        return CudaEvent.elapsedMillis(m.event, event);
    }

    @Override
    public void close() { event.close(); }
}
