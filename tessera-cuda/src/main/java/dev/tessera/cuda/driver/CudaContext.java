package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A device's primary context: the one the CUDA runtime and other libraries in the process share.
 * It is retained on first use and never released, since releasing it would invalidate every buffer,
 * stream and module made in it; the driver tears it down when the process exits.
 *
 * <p>Any Java thread may use it: every operation first makes the context current on the calling
 * thread, which costs one cheap driver query when it already is.
 */
public final class CudaContext {
    // Out-parameter for cuCtxGetCurrent, per thread so the check needs no allocation and no lock;
    // an automatic arena frees it once its thread is gone.
    private static final ThreadLocal<MemorySegment> CURRENT = ThreadLocal.withInitial(
            () -> Arena.ofAuto().allocate(ADDRESS));

    private final CudaDevice device;
    private final CudaStream defaultStream;
    private volatile MemorySegment handle;
    /** The kernel launched last: a synchronization that finds a fault names it (a reference store a launch, no string built). */
    private volatile String lastLaunch;

    CudaContext(CudaDevice device) {
        this.device = device;
        this.defaultStream = new CudaStream(this, MemorySegment.NULL, false);
    }

    public CudaDevice device() {
        return device;
    }

    /** Makes this context current on the calling thread (retaining it the first time). */
    public void makeCurrent() {
        MemorySegment context = handle;
        if (context == null) context = retain();
        MemorySegment current = CURRENT.get();
        int rc = Cu.cuCtxGetCurrent(current);
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuCtxGetCurrent on device " + device.index());
        if (current.get(JAVA_LONG, 0) != context.address()) {
            rc = Cu.cuCtxSetCurrent(context);
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuCtxSetCurrent on device " + device.index());
        }
    }

    private synchronized MemorySegment retain() {
        if (handle == null) {
            int deviceHandle = DeviceQuery.handle(device.index());
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(ADDRESS);
                int rc = Cu.cuDevicePrimaryCtxRetain(out, deviceHandle);
                if (rc != Cu.CUDA_SUCCESS) {
                    throw CudaException.of(rc, "cuDevicePrimaryCtxRetain on device " + device.index());
                }
                handle = out.get(ADDRESS, 0);
            }
        }
        return handle;
    }

    /** Waits until all work queued in this context, on every stream, has finished. */
    public void synchronize() {
        makeCurrent();
        int rc = Cu.cuCtxSynchronize();
        if (rc == Cu.CUDA_SUCCESS) return;
        String last = lastLaunch;
        throw CudaException.of(rc, "cuCtxSynchronize on device " + device.index()
                + (CudaException.losesContext(rc) && last != null ? ", a kernel launched since the last synchronization having faulted (the last launched: " + last + ")" : ""));
    }

    /** Records the kernel a launch runs, for the message of a fault found later. */
    public void noteLaunch(String kernel) { lastLaunch = kernel; }

    /** Free and total device memory as the driver sees it now. */
    public MemoryInfo memoryInfo() {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(JAVA_LONG);
            MemorySegment total = arena.allocate(JAVA_LONG);
            int rc = Cu.cuMemGetInfo(free, total);
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuMemGetInfo on device " + device.index());
            return new MemoryInfo(free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0));
        }
    }

    /** Allocates {@code bytes} of device memory (256-byte aligned, contents undefined). */
    public DeviceBuffer allocate(long bytes) {
        return DeviceBuffer.allocate(this, bytes);
    }

    /**
     * {@code bytes} of page-locked host memory for this context (not portable, so that waiting for
     * this context's work before the free covers every copy that may use it), which asynchronous
     * copies move without staging, freed with {@code cuMemFreeHost} when {@code arena}
     * closes, after the work queued in this context has finished (a copy still queued may use it;
     * see {@link DeviceBuffer#close()} for why the wait is explicit).
     */
    public MemorySegment allocatePinned(long bytes, Arena arena) {
        if (bytes <= 0) throw new IllegalArgumentException("pinned host memory needs a positive size, not " + bytes);
        makeCurrent();
        MemorySegment pointer;
        try (Arena out = Arena.ofConfined()) {
            MemorySegment p = out.allocate(ADDRESS);
            int rc = Cu.cuMemHostAlloc(p, bytes, 0);   // pinned for this context only: its free waits for this context's work
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuMemHostAlloc of " + bytes + " bytes on device " + device.index());
            pointer = p.get(ADDRESS, 0);
        }
        return pointer.reinterpret(bytes, arena, memory -> {
            // freed even when the wait fails (a fault earlier on the context), so that it cannot leak
            try {
                synchronize(); // makes the context current too: the arena may close on another thread
            } finally {
                int rc = Cu.cuMemFreeHost(memory);
                if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuMemFreeHost of " + bytes + " bytes on device " + device.index());
            }
        });
    }

    /** The legacy default (NULL) stream, which orders itself against every blocking stream. */
    public CudaStream defaultStream() {
        return defaultStream;
    }

    public CudaStream createStream() {
        return CudaStream.create(this);
    }

    /** An event that records timing, for {@link CudaEvent#elapsedMillis(CudaEvent, CudaEvent)}. */
    public CudaEvent createEvent() {
        return CudaEvent.create(this);
    }

    /** JIT-compiles PTX text for this device and loads it; a PTX that does not compile throws with ptxas's log. */
    public CudaModule loadPtx(String ptx) {
        return CudaModule.loadPtx(this, ptx);
    }

    /** Loads a cubin image, e.g. one from {@link #compileToCubin(String)} kept in a disk cache. */
    public CudaModule loadCubin(byte[] image) {
        return CudaModule.loadCubin(this, image);
    }

    /** Compiles PTX to a cubin for this device with the driver's linker, without loading it. */
    public CubinImage compileToCubin(String ptx) {
        return CubinLinker.compile(this, ptx);
    }

    @Override
    public String toString() {
        return "primary context of cuda:" + device.index();
    }
}
