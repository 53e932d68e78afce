package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/** A marker in a stream, for timing device work and waiting for a point in a stream. */
public final class CudaEvent implements AutoCloseable {
    private static final int CU_EVENT_DEFAULT = 0;
    private static final int CUDA_ERROR_NOT_READY = 600;

    private final CudaContext context;
    private final MemorySegment handle;
    private final AtomicBoolean closed = new AtomicBoolean();

    private CudaEvent(CudaContext context, MemorySegment handle) {
        this.context = context;
        this.handle = handle;
    }

    static CudaEvent create(CudaContext context) {
        context.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int rc = Cu.cuEventCreate(out, CU_EVENT_DEFAULT);
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuEventCreate on " + context);
            return new CudaEvent(context, out.get(ADDRESS, 0));
        }
    }

    /** Marks the point in {@code stream} reached once all work queued on it so far is done. */
    public void record(CudaStream stream) {
        if (stream.context() != context) {
            throw new IllegalArgumentException("event of " + context + " recorded on a stream of " + stream.context());
        }
        MemorySegment event = handle();
        context.makeCurrent();
        int rc = Cu.cuEventRecord(event, stream.handle());
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuEventRecord on " + context);
    }

    /** Waits until the recorded point has been reached. */
    public void synchronize() {
        MemorySegment event = handle();
        context.makeCurrent();
        int rc = Cu.cuEventSynchronize(event);
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuEventSynchronize on " + context);
    }

    /** Whether the recorded point has been reached (true for an event never recorded), without waiting. */
    public boolean isDone() {
        MemorySegment event = handle();
        context.makeCurrent();
        int rc = Cu.cuEventQuery(event);
        if (rc == Cu.CUDA_SUCCESS) return true;
        if (rc == CUDA_ERROR_NOT_READY) return false;
        throw CudaException.of(rc, "cuEventQuery on " + context);
    }

    /**
     * Device time in milliseconds between two recorded events (resolution about half a microsecond).
     * Both must have completed: synchronize on {@code end} first.
     */
    public static float elapsedMillis(CudaEvent start, CudaEvent end) {
        MemorySegment from = start.handle();
        MemorySegment to = end.handle();
        end.context.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment millis = arena.allocate(JAVA_FLOAT);
            int rc = Cu.cuEventElapsedTime(millis, from, to);
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuEventElapsedTime on " + end.context);
            return millis.get(JAVA_FLOAT, 0);
        }
    }

    MemorySegment handle() {
        if (closed.get()) throw new IllegalStateException("event used after close");
        return handle;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        context.makeCurrent();
        int rc = Cu.cuEventDestroy(handle);
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuEventDestroy on " + context);
    }
}
