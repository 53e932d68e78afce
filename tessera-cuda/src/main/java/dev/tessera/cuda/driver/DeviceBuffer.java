package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Device memory from cuMemAlloc. {@link #close()} frees it exactly once, from any thread; until
 * then it is listed in {@link LiveAllocations}. Offsets and sizes are in bytes and are checked
 * against the buffer, so a wrong copy fails here rather than corrupting a neighbouring allocation.
 *
 * <p>Synchronous copies accept any host segment, heap arrays included. Asynchronous ones need
 * native memory that stays alive until the stream has finished with it.
 */
public final class DeviceBuffer implements AutoCloseable {
    // Heap arrays cannot be handed to the driver (the GC may move them), so synchronous copies from
    // or to them go through a native buffer of at most this size, chunk by chunk.
    private static final long STAGING_BYTES = 8L << 20;

    private final CudaContext context;
    private final long address;
    private final long byteSize;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** False for memory another library allocated ({@link #borrow}): closing does not free it. */
    private final boolean owned;

    private DeviceBuffer(CudaContext context, long address, long byteSize, boolean owned) {
        this.context = context;
        this.address = address;
        this.byteSize = byteSize;
        this.owned = owned;
    }

    /**
     * {@code bytes} of device memory from {@code address} that someone else allocated in this
     * context (cuBLAS, JCuda, TornadoVM): copies and kernels use it in place, {@link #close()} only
     * stops this object using it, and it is not counted in {@link LiveAllocations}.
     */
    public static DeviceBuffer borrow(CudaContext context, long address, long bytes) {
        if (address == 0) throw new IllegalArgumentException("null device pointer");
        if (bytes <= 0) throw new IllegalArgumentException("a device buffer needs a positive size, not " + bytes);
        return new DeviceBuffer(context, address, bytes, false);
    }

    static DeviceBuffer allocate(CudaContext context, long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("a device buffer needs a positive size, not " + bytes);
        context.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            int rc = Cu.cuMemAlloc(out, bytes);
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuMemAlloc of " + bytes + " bytes on " + where(context));
            var buffer = new DeviceBuffer(context, out.get(JAVA_LONG, 0), bytes, true);
            LiveAllocations.add(buffer);
            return buffer;
        }
    }

    /** The device address (CUdeviceptr), for kernel arguments. */
    public long address() {
        requireOpen();
        return address;
    }

    public long byteSize() {
        return byteSize;
    }

    public CudaContext context() {
        return context;
    }

    public boolean isClosed() {
        return closed.get();
    }

    // ---- synchronous copies (ordered after all earlier work on the default stream)

    /** Copies all of {@code src} to the start of this buffer. */
    public void copyFromHost(MemorySegment src) {
        copyFromHost(0, src);
    }

    /** Copies all of {@code src} into this buffer at byte {@code offset}. */
    public void copyFromHost(long offset, MemorySegment src) {
        long bytes = src.byteSize();
        checkRange(offset, bytes);
        context.makeCurrent();
        if (src.isNative()) {
            checkCopy(Cu.cuMemcpyHtoD(address + offset, src, bytes), "cuMemcpyHtoD", bytes);
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(Math.min(bytes, STAGING_BYTES));
            for (long done = 0; done < bytes; ) {
                long chunk = Math.min(bytes - done, staging.byteSize());
                MemorySegment.copy(src, done, staging, 0, chunk);
                checkCopy(Cu.cuMemcpyHtoD(address + offset + done, staging, chunk), "cuMemcpyHtoD", chunk);
                done += chunk;
            }
        }
    }

    /** Fills all of {@code dst} from the start of this buffer. */
    public void copyToHost(MemorySegment dst) {
        copyToHost(0, dst);
    }

    /** Fills all of {@code dst} from this buffer, starting at byte {@code offset}. */
    public void copyToHost(long offset, MemorySegment dst) {
        long bytes = dst.byteSize();
        checkRange(offset, bytes);
        context.makeCurrent();
        if (dst.isNative()) {
            checkCopy(Cu.cuMemcpyDtoH(dst, address + offset, bytes), "cuMemcpyDtoH", bytes);
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(Math.min(bytes, STAGING_BYTES));
            for (long done = 0; done < bytes; ) {
                long chunk = Math.min(bytes - done, staging.byteSize());
                checkCopy(Cu.cuMemcpyDtoH(staging, address + offset + done, chunk), "cuMemcpyDtoH", chunk);
                MemorySegment.copy(staging, 0, dst, done, chunk);
                done += chunk;
            }
        }
    }

    /** Copies all of {@code src} to the start of this buffer. */
    public void copyFrom(DeviceBuffer src) {
        copyFrom(0, src, 0, src.byteSize());
    }

    /** Copies {@code bytes} from {@code src} at {@code srcOffset} into this buffer at {@code offset}. */
    public void copyFrom(long offset, DeviceBuffer src, long srcOffset, long bytes) {
        checkRange(offset, bytes);
        src.checkRange(srcOffset, bytes);
        context.makeCurrent();
        checkCopy(Cu.cuMemcpyDtoD(address + offset, src.address + srcOffset, bytes), "cuMemcpyDtoD", bytes);
    }

    // ---- asynchronous copies, queued on a stream

    /** Queues a copy of all of {@code src} (native memory) into this buffer at {@code offset}. */
    public void copyFromHostAsync(long offset, MemorySegment src, CudaStream stream) {
        requireNative(src);
        checkRange(offset, src.byteSize());
        MemorySegment s = streamHandle(stream);
        checkCopy(Cu.cuMemcpyHtoDAsync(address + offset, src, src.byteSize(), s), "cuMemcpyHtoDAsync", src.byteSize());
    }

    /** Queues a copy filling all of {@code dst} (native memory) from this buffer at {@code offset}. */
    public void copyToHostAsync(long offset, MemorySegment dst, CudaStream stream) {
        requireNative(dst);
        checkRange(offset, dst.byteSize());
        MemorySegment s = streamHandle(stream);
        checkCopy(Cu.cuMemcpyDtoHAsync(dst, address + offset, dst.byteSize(), s), "cuMemcpyDtoHAsync", dst.byteSize());
    }

    /** Queues a copy of {@code bytes} from {@code src} at {@code srcOffset} into this buffer at {@code offset}. */
    public void copyFromAsync(long offset, DeviceBuffer src, long srcOffset, long bytes, CudaStream stream) {
        checkRange(offset, bytes);
        src.checkRange(srcOffset, bytes);
        MemorySegment s = streamHandle(stream);
        checkCopy(Cu.cuMemcpyDtoDAsync(address + offset, src.address + srcOffset, bytes, s), "cuMemcpyDtoDAsync", bytes);
    }

    // ---- fills

    /** Sets every byte to {@code value}. */
    public void fill(byte value) {
        requireOpen();
        context.makeCurrent();
        checkFill(Cu.cuMemsetD8(address, value, byteSize), "cuMemsetD8");
    }

    /** Sets {@code bytes} bytes from byte {@code offset} to {@code value}. */
    public void fill(long offset, long bytes, byte value) {
        checkRange(offset, bytes);
        context.makeCurrent();
        checkFill(Cu.cuMemsetD8(address + offset, value, bytes), "cuMemsetD8");
    }

    /** Sets every 32-bit word to {@code value} (e.g. {@code Float.floatToRawIntBits(x)}, or a NaN to poison). */
    public void fillInts(int value) {
        long words = wordCount();
        context.makeCurrent();
        checkFill(Cu.cuMemsetD32(address, value, words), "cuMemsetD32");
    }

    public void fillAsync(byte value, CudaStream stream) {
        requireOpen();
        checkFill(Cu.cuMemsetD8Async(address, value, byteSize, streamHandle(stream)), "cuMemsetD8Async");
    }

    public void fillIntsAsync(int value, CudaStream stream) {
        long words = wordCount();
        checkFill(Cu.cuMemsetD32Async(address, value, words, streamHandle(stream)), "cuMemsetD32Async");
    }

    /**
     * Frees the memory once the work queued before this call, on every stream of the context, has
     * finished; later calls do nothing. Kernels and asynchronous copies on any stream (Tessera's own,
     * another library's, the default one) may still use the memory when a tensor is closed or
     * collected, and memory freed under them could be handed to the next allocation while they
     * write it. cuMemFree is not stream-ordered (cuMemFreeAsync is), and the driver API says only
     * that it "may perform implicit synchronization" for memory from cuMemAlloc, which in practice
     * it does; the context synchronize before it makes that wait certain. It costs what the driver's
     * own wait costs: freeing waits for the device either way.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true) || !owned) return;
        LiveAllocations.remove(this);
        // freed even when the wait fails (a fault earlier on the context): untracked by then, it would leak
        RuntimeException waiting = null;
        try {
            context.synchronize();
        } catch (RuntimeException e) {
            waiting = e;
        }
        int rc = Cu.cuMemFree(address);
        if (waiting != null) throw waiting;
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuMemFree of " + this);
    }

    @Override
    public String toString() {
        return "%d bytes at 0x%x on %s%s".formatted(byteSize, address, where(context), closed.get() ? " (closed)" : "");
    }

    // ---- checks

    private void requireOpen() {
        if (closed.get()) throw new IllegalStateException("device buffer of " + byteSize + " bytes used after close");
    }

    private void checkRange(long offset, long bytes) {
        requireOpen();
        Objects.checkFromIndexSize(offset, bytes, byteSize);
    }

    private long wordCount() {
        requireOpen();
        if (byteSize % 4 != 0) {
            throw new IllegalArgumentException("32-bit fill of a buffer of " + byteSize + " bytes, not a multiple of 4");
        }
        return byteSize / 4;
    }

    private MemorySegment streamHandle(CudaStream stream) {
        if (stream.context() != context) {
            throw new IllegalArgumentException("stream of " + stream.context() + " used with a buffer of " + context);
        }
        context.makeCurrent();
        return stream.handle();
    }

    private static void requireNative(MemorySegment host) {
        if (!host.isNative()) {
            throw new IllegalArgumentException("an asynchronous copy needs native (off-heap) host memory: "
                    + "the GC may move a heap array while the copy is still queued");
        }
    }

    private void checkCopy(int rc, String call, long bytes) {
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, call + " of " + bytes + " bytes with " + this);
    }

    private void checkFill(int rc, String call) {
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, call + " of " + this);
    }

    private static String where(CudaContext context) {
        return "device " + context.device().index();
    }
}
