package dev.tessera.cuda;

import dev.tessera.backend.Marker;
import dev.tessera.cuda.driver.CudaContext;
import dev.tessera.cuda.driver.CudaEvent;

/** A timing point on a device's default stream: a CUDA event. */
final class CudaMarker implements Marker {
    private final CudaContext context;
    private final CudaEvent event;

    CudaMarker(CudaContext context) {
        this.context = context;
        this.event = context.createEvent();
    }

    @Override
    public void record() { event.record(context.defaultStream()); }

    @Override
    public double millisSince(Marker start) {
        if (!(start instanceof CudaMarker m)) throw new IllegalArgumentException("markers of different kinds");
        event.synchronize();
        return CudaEvent.elapsedMillis(m.event, event);
    }

    @Override
    public void close() { event.close(); }
}
