package dev.tessera.runtime;

import dev.tessera.backend.Marker;
import java.util.Objects;

/**
 * A point in a {@link Stream}: recorded, it is reached once everything queued on that stream before
 * it has finished. Another stream can {@linkplain Stream#waitFor wait} for it without the host
 * waiting; the host can {@linkplain #synchronize() wait} for it, {@linkplain #isDone() ask}, and time
 * device work between two events ({@link #elapsedMillis}). An event can be recorded again (it then
 * stands for its latest recording), so a loop need not make one per step. On the CPU an event is
 * reached when it is recorded, and its time is the host clock's.
 */
public final class Event implements AutoCloseable {
    private final Device device;
    private final Marker marker;
    private volatile boolean recorded, closed;

    private Event(Device device, Marker marker) {
        this.device = device;
        this.marker = marker;
    }

    /** For {@link Device#newEvent()}: not yet recorded. */
    static Event create(Device device) {
        Device d = device.require();
        return new Event(d, d.backendImpl().marker(d.index()));
    }

    public Device device() { return device; }

    /** Records this event on {@code stream} (of this event's device) now, in place of any earlier recording; returns this event. */
    public Event record(Stream stream) {
        Objects.requireNonNull(stream, "stream");
        stream.requireSameDevice(device, toString());
        marker().record(stream.impl());
        recorded = true;
        return this;
    }

    /** Waits until this event has been reached (returns at once if it was never recorded). */
    public void synchronize() { marker().synchronize(); }

    /** Whether this event has been reached, without waiting (true if it was never recorded). */
    public boolean isDone() { return marker().isDone(); }

    /**
     * Device time in milliseconds from {@code start} to this event (both recorded, on one device),
     * waiting for both to be reached. On a GPU the resolution is about half a microsecond.
     */
    public double elapsedMillis(Event start) {
        Objects.requireNonNull(start, "start");
        if (!start.device.equals(device)) throw new IllegalArgumentException("events of " + start.device + " and " + device + " have no common clock");
        if (!start.recorded || !recorded) {
            throw new IllegalStateException("elapsedMillis needs both events recorded; " + (!start.recorded ? "the start" : "this one") + " was not");
        }
        start.marker().synchronize();
        marker().synchronize();
        return marker.millisSince(start.marker());
    }

    /** The backend's marker, checked open. */
    Marker marker() {
        if (closed) throw new IllegalStateException(this + " is closed");
        return marker;
    }

    /** Frees the event (a CUDA event); using it afterwards throws {@link IllegalStateException}. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        marker.close();
    }

    @Override
    public String toString() { return "Event(" + device + (closed ? ", closed" : recorded ? "" : ", not recorded") + ")"; }
}
