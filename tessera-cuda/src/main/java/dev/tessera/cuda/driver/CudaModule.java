package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Device code loaded into a context: PTX the driver compiles on load, or a cubin compiled earlier.
 * Its functions are valid until {@link #close()} unloads it.
 */
public final class CudaModule implements AutoCloseable {
    private final CudaContext context;
    private final MemorySegment handle;
    private final String infoLog;
    private final AtomicBoolean closed = new AtomicBoolean();

    private CudaModule(CudaContext context, MemorySegment handle, String infoLog) {
        this.context = context;
        this.handle = handle;
        this.infoLog = infoLog;
    }

    static CudaModule loadPtx(CudaContext context, String ptx) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocateFrom(ptx);
            return load(context, arena, text, (text.byteSize() - 1) + " bytes of PTX");
        }
    }

    static CudaModule loadCubin(CudaContext context, byte[] image) {
        try (Arena arena = Arena.ofConfined()) {
            // ELF images are read in place; give them the alignment a malloc'd file buffer would have.
            MemorySegment bytes = arena.allocate(image.length, 16).copyFrom(MemorySegment.ofArray(image));
            return load(context, arena, bytes, "a cubin of " + image.length + " bytes");
        }
    }

    // Both forms go through cuModuleLoadDataEx so that a failure carries the driver's log
    // (e.g. a cubin built for another architecture).
    private static CudaModule load(CudaContext context, Arena arena, MemorySegment image, String what) {
        context.makeCurrent();
        JitLogOptions jit = new JitLogOptions(arena);
        MemorySegment out = arena.allocate(ADDRESS);
        int rc = Cu.cuModuleLoadDataEx(out, image, jit.count(), jit.keys(), jit.values());
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuModuleLoadDataEx of " + what + " on " + context, jit.logs());
        return new CudaModule(context, out.get(ADDRESS, 0), jit.infoLog());
    }

    public CudaContext context() {
        return context;
    }

    /** The JIT's informational log from loading (ptxas's register and spill report for PTX). */
    public String infoLog() {
        return infoLog;
    }

    /** The kernel with the given {@code .entry} name. */
    public CudaFunction function(String name) {
        requireOpen();
        context.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int rc = Cu.cuModuleGetFunction(out, handle, arena.allocateFrom(name));
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuModuleGetFunction of '" + name + "' on " + context);
            return new CudaFunction(this, name, out.get(ADDRESS, 0));
        }
    }

    void requireOpen() {
        if (closed.get()) throw new IllegalStateException("CUDA module used after close");
    }

    /** Unloads the module once; its functions must not be launched afterwards. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        context.makeCurrent();
        int rc = Cu.cuModuleUnload(handle);
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuModuleUnload on " + context);
    }
}
