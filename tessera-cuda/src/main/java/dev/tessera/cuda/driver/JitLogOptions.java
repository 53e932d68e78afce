package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The JIT options that make the driver write ptxas's messages into our buffers instead of dropping
 * them: without them a bad PTX yields only CUDA_ERROR_INVALID_PTX, with no line or reason. Verbose
 * logging adds ptxas's register/spill report to the info log. The buffers live in the given arena,
 * which must outlast every driver call that uses these options.
 */
final class JitLogOptions {
    // CUjit_option values from cuda.h
    private static final int CU_JIT_INFO_LOG_BUFFER = 3;
    private static final int CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
    private static final int CU_JIT_ERROR_LOG_BUFFER = 5;
    private static final int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
    private static final int CU_JIT_LOG_VERBOSE = 12;

    private static final int LOG_BYTES = 64 << 10;

    private final MemorySegment keys;
    private final MemorySegment values;
    private final MemorySegment infoLog;
    private final MemorySegment errorLog;

    JitLogOptions(Arena arena) {
        infoLog = arena.allocate(LOG_BYTES);
        errorLog = arena.allocate(LOG_BYTES);
        keys = arena.allocateFrom(JAVA_INT, CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES,
                CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, CU_JIT_LOG_VERBOSE);
        // Each option value occupies a pointer-sized slot: buffers as pointers, integers as the value itself.
        values = arena.allocate(ADDRESS, count());
        values.setAtIndex(ADDRESS, 0, infoLog);
        values.setAtIndex(JAVA_LONG, 1, LOG_BYTES);
        values.setAtIndex(ADDRESS, 2, errorLog);
        values.setAtIndex(JAVA_LONG, 3, LOG_BYTES);
        values.setAtIndex(JAVA_LONG, 4, 1);
    }

    int count() {
        return (int) (keys.byteSize() / JAVA_INT.byteSize());
    }

    /** The CUjit_option array. */
    MemorySegment keys() {
        return keys;
    }

    /** The matching void* array of option values. */
    MemorySegment values() {
        return values;
    }

    String infoLog() {
        return infoLog.getString(0).strip();
    }

    String errorLog() {
        return errorLog.getString(0).strip();
    }

    /** Everything the driver wrote, errors first: what a failure should show. */
    String logs() {
        String error = errorLog();
        String info = infoLog();
        if (error.isEmpty()) return info;
        return info.isEmpty() ? error : error + "\n" + info;
    }
}
