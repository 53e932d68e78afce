package dev.tessera.backend;

import dev.tessera.ir.KernelIR;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What the runtime needs of a place that runs kernels: its devices, their memory, and compiling
 * and launching traced kernels. Implementations register through {@link java.util.ServiceLoader}.
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
     * Runs {@code grid[0] × grid[1] × grid[2]} programs. Arguments are raw bits, one per kernel
     * parameter: device addresses for pointers, sign-extended integers, float bits for f32,
     * double bits for f64. May return before the work is done (see {@link #synchronize}).
     */
    void launch(CompiledKernel kernel, int[] grid, long[] args, int device);

    /** Waits for every launch and copy on the device to finish. */
    void synchronize(int device);

    /** A timing marker on the device's queue of work (host clock where launches are synchronous). */
    default Marker marker(int device) { return Marker.host(); }
}
