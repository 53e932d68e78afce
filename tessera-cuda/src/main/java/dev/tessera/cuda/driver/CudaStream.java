package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A queue of device work in one context. Streams from {@link CudaContext#createStream()} are
 * blocking streams (ordered against the default stream, so mixing them with synchronous copies
 * stays correct) and are destroyed by {@link #close()}; the context's default stream is never
 * destroyed and closing it does nothing.
 */
public final class CudaStream implements AutoCloseable {
    private static final int CU_STREAM_DEFAULT = 0;

    private final CudaContext context;
    private final MemorySegment handle;
    private final AtomicBoolean closed = new AtomicBoolean();

    CudaStream(CudaContext context, MemorySegment handle) {
        this.context = context;
        this.handle = handle;
    }

    static CudaStream create(CudaContext context) {
        context.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int rc = Cu.cuStreamCreate(out, CU_STREAM_DEFAULT);
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuStreamCreate on " + context);
            return new CudaStream(context, out.get(ADDRESS, 0));
        }
    }

    public CudaContext context() {
        return context;
    }

    /** True for the context's default (NULL) stream. */
    public boolean isDefault() {
        return handle.equals(MemorySegment.NULL);
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

    /** Destroys the stream once; work already queued still completes. */
    @Override
    public void close() {
        if (isDefault() || !closed.compareAndSet(false, true)) return;
        context.makeCurrent();
        int rc = Cu.cuStreamDestroy(handle);
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuStreamDestroy on " + context);
    }
}
