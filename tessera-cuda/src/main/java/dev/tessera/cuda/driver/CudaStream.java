package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A queue of device work in one context. Streams from {@link CudaContext#createStream()} are
 * blocking streams (ordered against the default stream, so mixing them with synchronous copies
 * stays correct) and are destroyed by {@link #close()}; the context's default stream and streams
 * another library made ({@link #borrow}) are never destroyed, and closing them only stops their use
 * (the default stream stays usable).
 */
public final class CudaStream implements AutoCloseable {
    private static final int CU_STREAM_DEFAULT = 0;

    private final CudaContext context;
    private final MemorySegment handle;
    private final boolean owned;
    private final AtomicBoolean closed = new AtomicBoolean();

    CudaStream(CudaContext context, MemorySegment handle, boolean owned) {
        this.context = context;
        this.handle = handle;
        this.owned = owned;
    }

    static CudaStream create(CudaContext context) {
        context.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int rc = Cu.cuStreamCreate(out, CU_STREAM_DEFAULT);
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuStreamCreate on " + context);
            return new CudaStream(context, out.get(ADDRESS, 0), true);
        }
    }

    /**
     * A stream another library created in {@code context} ({@code address}, its {@code CUstream}),
     * used as it is: {@link #close()} never destroys it. The driver cannot check a handle, so a
     * wrong one fails at the first call that uses it, or worse: pass only live streams.
     */
    public static CudaStream borrow(CudaContext context, long address) {
        if (address == 0) throw new IllegalArgumentException("stream handle 0 is the default stream: use CudaContext.defaultStream()");
        return new CudaStream(context, MemorySegment.ofAddress(address), false);
    }

    public CudaContext context() {
        return context;
    }

    /** True for the context's default (NULL) stream. */
    public boolean isDefault() {
        return handle.equals(MemorySegment.NULL);
    }

    /** The driver's CUstream as a number, to give another library; 0 for the default stream. Valid after close, as a name. */
    public long address() {
        return handle.address();
    }

    /** The driver's CUstream. */
    MemorySegment handle() {
        if (closed.get()) throw new IllegalStateException("stream used after close");
        return handle;
    }

    /** Waits until everything queued on this stream has finished. */
    public void synchronize() {
        MemorySegment stream = handle();
        context.makeCurrent();
        int rc = Cu.cuStreamSynchronize(stream);
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuStreamSynchronize on " + context);
    }

    /** Work queued on this stream after this call waits until {@code event}'s last recorded point is reached (the host does not wait). */
    public void waitFor(CudaEvent event) {
        MemorySegment stream = handle();
        MemorySegment e = event.handle();
        context.makeCurrent();
        int rc = Cu.cuStreamWaitEvent(stream, e, 0);
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuStreamWaitEvent on " + context);
    }

    /** Destroys a stream this class created, once; work already queued still completes. */
    @Override
    public void close() {
        if (isDefault() || !closed.compareAndSet(false, true) || !owned) return;
        context.makeCurrent();
        int rc = Cu.cuStreamDestroy(handle);
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuStreamDestroy on " + context);
    }
}
