package dev.tessera.backend;

import dev.tessera.ir.KernelIR;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What the runtime needs of a place that runs kernels: its devices, their memory, and compiling
 * and launching traced kernels. Implementations register through {@link java.util.ServiceLoader}.
 *
 * <p>Streams ({@link BackendStream}): the methods that take one queue their work on it; the others
 * use the device's default stream. The defaults suit a backend whose calls return when their work
 * is done (the CPU's): every stream is {@link BackendStream#host()}, the stream arguments are
 * ignored, and markers are reached when recorded.
 */
public interface Backend {

    /** "cpu", "cuda". */
    String name();

    /** The devices of this kind on this machine; empty when there are none. */
    List<DeviceInfo> devices();

    /** Why {@link #devices()} is empty (for {@code tessera info}); null when it is not. */
    String unavailableReason();

    /** Preference when choosing a default device: higher wins (GPUs over the CPU). */
    int priority();

    Buffer allocate(int device, long bytes);

    /**
     * Host memory used in place as device memory, for {@code Tensor.wrap}: no copy; the buffer's
     * {@link Buffer#close} stops Tessera using it and never frees it (the caller owns it).
     */
    default Buffer wrapHost(int device, MemorySegment memory) {
        throw new UnsupportedOperationException("the " + name() + " backend cannot use host memory in place; copy it in with Tensor.of");
    }

    /**
     * Memory that another library allocated on the device ({@code bytes} from {@code address}),
     * used in place, for {@code Tensor.fromDevicePointer}; as with {@link #wrapHost}, closing the
     * buffer never frees it.
     */
    default Buffer wrapDevice(int device, long address, long bytes) {
        throw new UnsupportedOperationException("the " + name() + " backend cannot use memory allocated outside Tessera");
    }

    /** Host to device. */
    void copyIn(MemorySegment source, Buffer target, long targetOffset, long bytes);

    /** Device to host. */
    void copyOut(Buffer source, long sourceOffset, MemorySegment target, long bytes);

    /** Device to device, within one backend. */
    void copy(Buffer source, long sourceOffset, Buffer target, long targetOffset, long bytes);

    /** Sets {@code bytes} bytes to {@code value}. */
    void fill(Buffer target, long offset, long bytes, byte value);

    /** What changes compiled code on this device, for cache keys: "cpu", "sm_90a/ptx9.0", ... */
    String target(int device);

    /** Compiles optimized IR for one device. */
    CompiledKernel compile(KernelIR kernel, LaunchOptions options, int device);

    /**
     * What the disk cache keeps of a compiled kernel so that a later process can skip compiling it
     * (PTX and the driver's image, say), or null when it cannot be cached. The runtime stores the
     * optimized IR beside these bytes, so they need not repeat it.
     */
    default byte[] serialize(CompiledKernel k) { return null; }

    /**
     * The kernel {@link #serialize} described, for {@code optimized} (the runtime's copy of its IR,
     * parsed back) on {@code device}; null when the bytes are not usable here (then it is compiled
     * afresh). The runtime has verified the bytes are exactly those written.
     */
    default CompiledKernel deserialize(byte[] data, KernelIR optimized, LaunchOptions options, int device) { return null; }

    /**
     * Runs {@code grid[0] × grid[1] × grid[2]} programs on the device's default stream. Arguments are raw bits, one per kernel
     * parameter: device addresses for pointers, sign-extended integers, float bits for f32,
     * double bits for f64; a tensor descriptor of rank r takes 1 + 2r words: the address of its
     * first element, its shape, then its strides in elements. May return before the work is done
     * (see {@link #synchronize}).
     */
    void launch(CompiledKernel kernel, int[] grid, long[] args, int device);

    /** {@link #launch(CompiledKernel, int[], long[], int)} queued on {@code stream}, a stream of {@code device}. */
    default void launch(CompiledKernel kernel, int[] grid, long[] args, int device, BackendStream stream) {
        launch(kernel, grid, args, device);
    }

    /** Waits for every launch and copy on the device to finish, on every stream. */
    void synchronize(int device);

    /** A new stream of {@code device}, destroyed by its {@link BackendStream#close()}. */
    default BackendStream createStream(int device) { return BackendStream.host(); }

    /** The stream every method without a stream argument uses. */
    default BackendStream defaultStream(int device) { return BackendStream.host(); }

    /** A native stream another library made ({@code handle}, a {@code CUstream}), used as it is and never destroyed. */
    default BackendStream wrapStream(int device, long handle) {
        throw new IllegalArgumentException("the " + name() + " backend has no native streams, so stream handle 0x"
                + Long.toHexString(handle) + " means nothing on it; use Device.newStream()");
    }

    /**
     * Host to device, queued on {@code stream}: may return before the copy is done, so {@code source}
     * (native memory) must stay alive and unchanged until the stream has passed the copy.
     */
    default void copyInAsync(MemorySegment source, Buffer target, long targetOffset, long bytes, BackendStream stream) {
        copyIn(source, target, targetOffset, bytes);
    }

    /** Device to host, queued on {@code stream}: {@code target} (native memory) holds the bytes once the stream has passed the copy. */
    default void copyOutAsync(Buffer source, long sourceOffset, MemorySegment target, long bytes, BackendStream stream) {
        copyOut(source, sourceOffset, target, bytes);
    }

    /**
     * {@code bytes} of host memory that the device copies to and from without staging (page-locked
     * on a GPU, which is what lets an asynchronous copy overlap other work), freed when {@code arena}
     * closes. Plain native memory where there is no difference.
     */
    default MemorySegment allocatePinned(int device, long bytes, Arena arena) { return arena.allocate(bytes, 64); }

    /** A timing marker of the device, to record on its streams (host clock where launches are synchronous). */
    default Marker marker(int device) { return Marker.host(); }
}
