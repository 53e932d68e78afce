package dev.tessera.runtime;

import dev.tessera.backend.BackendStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A queue of work on one device (a CUDA stream on a GPU): kernels and asynchronous copies queued on
 * one stream run in order; two streams run independently, except where one {@linkplain #waitFor
 * waits} for an {@link Event} recorded on the other. Work goes on a stream explicitly ({@link
 * JitKernel#launch(Stream, Grid, Object...)}, {@link Tensor#copyFromAsync(java.lang.foreign.MemorySegment,
 * Stream)}) or, without threading it through every call, by {@linkplain #activate() activating} it:
 *
 * <pre>{@code
 * try (Stream s = device.newStream()) {
 *     try (var on = s.activate()) {      // this thread's launches on s's device go on s
 *         Gemv.gemv(w, x, y);             // library code launches on s without knowing it
 *     }
 *     try (Event done = s.record()) {     // a CUDA event each call: close it, or record one event again in a loop
 *         other.waitFor(done);            // other's later work starts once s has got this far
 *     }
 * }
 * }</pre>
 *
 * <p>Only launches and the {@code *Async} copies go on the current stream. Every other call uses
 * the device's default stream as before: streams from {@link Device#newStream()} are ordered
 * against it both ways (CUDA blocking streams), so those calls stay correct next to them; reading
 * a tensor back waits for every stream of the device. A stream from {@link #fromHandle} that its
 * maker created non-blocking (PyTorch's are) is not ordered against the default stream: order it
 * with events or {@link #synchronize()}.
 *
 * <p>On the CPU every launch and copy has finished when it returns, so a stream orders nothing,
 * waits are over at once and events are reached when recorded; the same code runs on both.
 */
public final class Stream implements AutoCloseable {
    private static final Map<Device, Stream> DEFAULTS = new ConcurrentHashMap<>();
    /** Per thread, the activated stream of each device that has one; null on threads that never activated one. */
    private static final ThreadLocal<Map<Device, Stream>> CURRENT = new ThreadLocal<>();

    private enum Origin { CREATED, BORROWED, DEFAULT }

    private final Device device;
    private final BackendStream impl;
    private final Origin origin;
    private volatile boolean closed;

    private Stream(Device device, BackendStream impl, Origin origin) {
        this.device = device;
        this.impl = impl;
        this.origin = origin;
    }

    /** For {@link Device#newStream()}. */
    static Stream create(Device device) {
        Device d = device.require();
        return new Stream(d, d.backendImpl().createStream(d.index()), Origin.CREATED);
    }

    /** For {@link Device#defaultStream()}: one object per device. */
    static Stream defaultOf(Device device) {
        Stream s = DEFAULTS.get(device); // every launch comes here: no check once the device has been seen
        return s != null ? s : DEFAULTS.computeIfAbsent(device.require(), d -> new Stream(d, d.backendImpl().defaultStream(d.index()), Origin.DEFAULT));
    }

    /**
     * A stream another library made ({@code handle}, a {@code CUstream} of the device's primary
     * context, as {@code torch.cuda.current_stream().cuda_stream} or cuBLAS's stream gives), used as
     * it is: {@link #close()} stops Tessera using it and never destroys it. Handle 0 is the default
     * stream. The CPU has no native streams: there any handle is refused.
     */
    public static Stream fromHandle(Device device, long handle) {
        Device d = device.require();
        if (handle == 0) return defaultOf(d);
        return new Stream(d, d.backendImpl().wrapStream(d.index(), handle), Origin.BORROWED);
    }

    /** The stream this thread's launches on {@code device} go on: the innermost one {@linkplain #activate activated} here, else the default stream. */
    public static Stream current(Device device) {
        Map<Device, Stream> active = CURRENT.get();
        Stream s = active == null ? null : active.get(device);
        return s != null ? s : defaultOf(device);
    }

    public Device device() { return device; }

    /** The native handle (a {@code CUstream}) to give another library; 0 for the default stream and on the CPU. */
    public long handle() { return impl().handle(); }

    public boolean isDefault() { return origin == Origin.DEFAULT; }

    /** Waits until everything queued on this stream so far has finished (not work on other streams). */
    public void synchronize() { impl().synchronize(); }

    /**
     * A new event recorded on this stream now: reached once everything queued on it so far has
     * finished. Each call makes a CUDA event the caller closes; a loop records one event again
     * ({@link Event#record(Stream)}) instead.
     */
    public Event record() {
        impl();
        Event e = Event.create(device);
        try {
            return e.record(this);
        } catch (RuntimeException failed) {
            e.close();
            throw failed;
        }
    }

    /**
     * Work queued on this stream from now on starts only once {@code event} has been reached; the
     * calling thread does not wait. An event never recorded is reached already. The event must be of
     * this stream's device.
     */
    public void waitFor(Event event) {
        Objects.requireNonNull(event, "event");
        requireSameDevice(event.device(), event.toString());
        impl().waitFor(event.marker());
    }

    /**
     * Makes this stream the calling thread's current stream for its device until the returned scope
     * closes, which makes the one current before it current again (as {@code torch.cuda.stream(s)}
     * does). Scopes nest; close them in reverse order, on the thread that opened them
     * (try-with-resources does both).
     */
    public Scope activate() {
        impl();
        Map<Device, Stream> active = CURRENT.get();
        if (active == null) CURRENT.set(active = new HashMap<>(4));
        return new Scope(this, active.put(device, this), Thread.currentThread());
    }

    /** An activation of a stream, from {@link #activate()}. */
    public static final class Scope implements AutoCloseable {
        private final Stream stream;
        private final Stream previous;
        private final Thread owner;
        private boolean closed;

        private Scope(Stream stream, Stream previous, Thread owner) {
            this.stream = stream;
            this.previous = previous;
            this.owner = owner;
        }

        /** Makes the stream that was current before {@link #activate()} current again; closing twice does nothing. */
        @Override
        public void close() {
            if (closed) return;
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException("the activation of " + stream + " was opened on thread " + owner.getName()
                        + " and must be closed there, not on " + Thread.currentThread().getName());
            }
            Map<Device, Stream> active = CURRENT.get();
            if (active.get(stream.device) != stream) {
                throw new IllegalStateException("the activation of " + stream + " is closed while a later one of "
                        + active.get(stream.device) + " is still open: close activations in reverse order");
            }
            closed = true;
            if (previous != null) active.put(stream.device, previous);
            else active.remove(stream.device);
        }
    }

    /**
     * Destroys a stream made by {@link Device#newStream()}; work already queued on it still runs to
     * the end, and tensors it uses stay valid until then (closing a tensor frees its memory only
     * after the device's queued work). A {@link #fromHandle} stream is only no longer used; the
     * default stream is never closed. Using a closed stream throws {@link IllegalStateException};
     * close a stream only once no other thread launches on it (a launch racing the close may reach
     * the driver after the stream is gone).
     */
    @Override
    public void close() {
        if (origin == Origin.DEFAULT || closed) return;
        closed = true;
        impl.close();
    }

    /** The backend's stream, checked open. */
    BackendStream impl() {
        if (closed) throw new IllegalStateException(this + " is closed");
        return impl;
    }

    /** Throws an {@link IllegalArgumentException} naming both devices unless {@code thing} (for the message) is on this stream's device. */
    void requireSameDevice(Device other, String thing) {
        if (!other.equals(device)) {
            throw new IllegalArgumentException(thing + " is on " + other + " but " + this + " queues work on " + device + "; use a stream of " + other);
        }
    }

    @Override
    public String toString() {
        String which = switch (origin) {
            case DEFAULT -> "default";
            case BORROWED -> "0x" + Long.toHexString(impl.handle()) + ", borrowed";
            case CREATED -> impl.handle() == 0 ? "#" + Integer.toHexString(System.identityHashCode(this)) : "0x" + Long.toHexString(impl.handle());
        };
        return "Stream(" + device + ", " + which + (closed ? ", closed" : "") + ")";
    }
}
