package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Compiles PTX to a cubin with the driver's linker (cuLink*), the only way to get the compiled
 * image out of the driver without the CUDA toolkit, so a disk cache can skip the JIT next time.
 */
final class CubinLinker {
    private CubinLinker() {}

    private static final int CU_JIT_INPUT_PTX = 1;

    static CubinImage compile(CudaContext context, String ptx) {
        context.makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            JitLogOptions jit = new JitLogOptions(arena);
            MemorySegment stateOut = arena.allocate(ADDRESS);
            int rc = Cu.cuLinkCreate(jit.count(), jit.keys(), jit.values(), stateOut);
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuLinkCreate on " + context, jit.logs());
            MemorySegment state = stateOut.get(ADDRESS, 0);
            CubinImage image;
            try {
                image = link(context, arena, state, jit, ptx);
            } catch (RuntimeException e) {
                // The link's own failure is the one worth reporting; destroying the state is cleanup.
                Cu.cuLinkDestroy(state);
                throw e;
            }
            rc = Cu.cuLinkDestroy(state);
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuLinkDestroy on " + context);
            return image;
        }
    }

    private static CubinImage link(CudaContext context, Arena arena, MemorySegment state, JitLogOptions jit, String ptx) {
        MemorySegment text = arena.allocateFrom(ptx);
        int rc = Cu.cuLinkAddData(state, CU_JIT_INPUT_PTX, text, text.byteSize(), arena.allocateFrom("tessera.ptx"),
                0, MemorySegment.NULL, MemorySegment.NULL);
        if (rc != Cu.CUDA_SUCCESS) {
            throw CudaException.of(rc, "cuLinkAddData of " + (text.byteSize() - 1) + " bytes of PTX on " + context, jit.logs());
        }
        MemorySegment image = arena.allocate(ADDRESS);
        MemorySegment size = arena.allocate(JAVA_LONG);
        rc = Cu.cuLinkComplete(state, image, size);
        if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuLinkComplete on " + context, jit.logs());
        // The image belongs to the link state and is freed by cuLinkDestroy: copy it out now.
        byte[] bytes = image.get(ADDRESS, 0).reinterpret(size.get(JAVA_LONG, 0)).toArray(JAVA_BYTE);
        return new CubinImage(bytes, jit.infoLog());
    }
}
