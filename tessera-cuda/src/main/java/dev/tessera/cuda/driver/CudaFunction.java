package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A kernel in a loaded {@link CudaModule}: its compiled resource use, its launch limits, and launch. */
public final class CudaFunction {
    // CUfunction_attribute values from cuda.h
    private static final int MAX_THREADS_PER_BLOCK = 0;
    private static final int SHARED_SIZE_BYTES = 1;
    private static final int LOCAL_SIZE_BYTES = 3;
    private static final int NUM_REGS = 4;
    private static final int MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

    private final CudaModule module;
    private final CudaContext context;
    private final String name;
    private final MemorySegment handle;

    CudaFunction(CudaModule module, String name, MemorySegment handle) {
        this.module = module;
        this.context = module.context();
        this.name = name;
        this.handle = handle;
    }

    public String name() {
        return name;
    }

    public CudaModule module() {
        return module;
    }

    /** The driver's CUfunction. */
    MemorySegment handle() {
        return handle;
    }

    /** Registers per thread. */
    public int registers() {
        return attribute(NUM_REGS, "NUM_REGS");
    }

    /** Local (spill and stack) memory per thread, in bytes. */
    public int localBytes() {
        return attribute(LOCAL_SIZE_BYTES, "LOCAL_SIZE_BYTES");
    }

    /** Statically declared shared memory per block, in bytes. */
    public int staticSharedBytes() {
        return attribute(SHARED_SIZE_BYTES, "SHARED_SIZE_BYTES");
    }

    /** The largest block this kernel can be launched with, given its register use. */
    public int maxThreadsPerBlock() {
        return attribute(MAX_THREADS_PER_BLOCK, "MAX_THREADS_PER_BLOCK");
    }

    /** The dynamic shared memory a launch may currently ask for, in bytes. */
    public int maxDynamicSharedBytes() {
        return attribute(MAX_DYNAMIC_SHARED_SIZE_BYTES, "MAX_DYNAMIC_SHARED_SIZE_BYTES");
    }

    /**
     * Lets launches use up to {@code bytes} of dynamic shared memory. Above 48 KiB a kernel must opt
     * in this way; the ceiling is {@link CudaDevice#sharedMemoryPerBlockOptin()} minus the static use.
     */
    public void setMaxDynamicSharedBytes(int bytes) {
        module.requireOpen();
        context.makeCurrent();
        int rc = Cu.cuFuncSetAttribute(handle, MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
        if (rc != Cu.CUDA_SUCCESS) {
            throw CudaException.of(rc, "cuFuncSetAttribute MAX_DYNAMIC_SHARED_SIZE_BYTES=" + bytes + " of " + name
                    + " on " + context);
        }
    }

    /**
     * Queues the kernel on {@code stream}. The arguments are read during this call, so {@code args}
     * may be reset and refilled as soon as it returns.
     */
    public void launch(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ,
                       int dynamicSharedBytes, CudaStream stream, KernelArgs args) {
        module.requireOpen();
        if (stream.context() != context) {
            throw new IllegalArgumentException("kernel " + name + " of " + context + " launched on a stream of "
                    + stream.context());
        }
        context.makeCurrent();
        int rc = Cu.cuLaunchKernel(handle, gridX, gridY, gridZ, blockX, blockY, blockZ, dynamicSharedBytes,
                stream.handle(), args.pointers(), MemorySegment.NULL);
        if (rc != Cu.CUDA_SUCCESS) {
            throw CudaException.of(rc, "cuLaunchKernel of %s (grid %dx%dx%d, block %dx%dx%d, %d bytes of dynamic shared memory, %d arguments) on %s"
                    .formatted(name, gridX, gridY, gridZ, blockX, blockY, blockZ, dynamicSharedBytes, args.count(), context));
        }
    }

    private int attribute(int attribute, String attributeName) {
        module.requireOpen();
        context.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(JAVA_INT);
            int rc = Cu.cuFuncGetAttribute(value, attribute, handle);
            if (rc != Cu.CUDA_SUCCESS) {
                throw CudaException.of(rc, "cuFuncGetAttribute " + attributeName + " of " + name + " on " + context);
            }
            return value.get(JAVA_INT, 0);
        }
    }

    @Override
    public String toString() {
        return "kernel " + name + " on " + context;
    }
}
