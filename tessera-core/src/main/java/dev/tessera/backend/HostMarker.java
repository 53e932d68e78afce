package dev.tessera.backend;

/** A {@link Marker} reading the host's clock, for backends whose launches return when done. */
final class HostMarker implements Marker {
    private long nanos;

    @Override
    public void record() { nanos = System.nanoTime(); }

    @Override
    public double millisSince(Marker start) {
        if (!(start instanceof HostMarker h)) throw new IllegalArgumentException("markers of different kinds");
        return (nanos - h.nanos) / 1e6;
    }

    @Override
    public void close() { }
}
