package dev.tessera.cuda;

import dev.tessera.backend.BackendStream;
import dev.tessera.backend.Marker;
import dev.tessera.cuda.driver.CudaStream;

/** A CUDA stream as the runtime's {@link BackendStream}: one Tessera made, one borrowed, or a context's default stream. */
final class CudaQueue implements BackendStream {
    final CudaStream stream;

    CudaQueue(CudaStream stream) { this.stream = stream; }

    @Override
    public long handle() { return stream.address(); }

    @Override
    public void synchronize() { stream.synchronize(); }

    @Override
    public void waitFor(Marker marker) { stream.waitFor(CudaMarker.of(marker).event); }

    @Override
    public void close() { stream.close(); }

    static CudaStream of(BackendStream s) {
        if (s instanceof CudaQueue q) return q.stream;
        throw new IllegalArgumentException("not a CUDA stream: " + s);
    }
}
