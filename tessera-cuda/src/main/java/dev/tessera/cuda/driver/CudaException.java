package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A CUDA driver call that did not return CUDA_SUCCESS. The message says what Tessera was doing,
 * then the driver's own name and description of the result, then any log the driver produced
 * (ptxas's errors for a PTX that does not compile), e.g.
 * {@code cuMemAlloc of 4096 bytes on device 0: CUDA_ERROR_OUT_OF_MEMORY (out of memory)}.
 */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int result;
    private final String errorName;
    private final String errorDescription;
    private final String operation;
    private final String log;

    public CudaException(String operation, int result, String errorName, String errorDescription, String log) {
        super(format(operation, result, errorName, errorDescription, log));
        this.result = result;
        this.errorName = errorName;
        this.errorDescription = errorDescription;
        this.operation = operation;
        this.log = log;
    }

    /** The exception for a failed driver call, with the driver's name and description of the result. */
    static CudaException of(int result, String operation) {
        return of(result, operation, "");
    }

    /** As {@link #of(int, String)}, with a log the driver wrote while failing (JIT and linker errors). */
    static CudaException of(int result, String operation, String log) {
        String name = driverString(result, true);
        String description = driverString(result, false);
        return new CudaException(operation,
                result,
                name != null ? name : "CUresult " + result,
                description != null ? description : "a result code this driver does not describe",
                log);
    }

    /**
     * Whether a result means a kernel faulted, which leaves the context unusable: every later call
     * in it fails with the same result until the process exits (illegal or misaligned addresses,
     * illegal instructions, a hardware stack error, a timeout, a failed launch, a device assertion).
     */
    public static boolean losesContext(int result) {
        return switch (result) {
            case 700, 702, 710, 714, 715, 716, 717, 718, 719 -> true;
            default -> false;
        };
    }

    static String format(String operation, int result, String errorName, String errorDescription, String log) {
        String message = operation + ": " + errorName + " (" + errorDescription + ")";
        if (losesContext(result)) {
            message += "; a kernel faulted, and this process's CUDA context stays unusable: every later call fails so until it"
                    + " restarts (compute-sanitizer names the faulting kernel and instruction)";
        }
        return log == null || log.isBlank() ? message : message + "\n" + log.strip();
    }

    // cuGetErrorName/String return pointers to static strings owned by the driver; null if unknown.
    private static String driverString(int result, boolean name) {
        if (Cu.loadFailure() != null) return null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocate(ADDRESS);
            int rc = name ? Cu.cuGetErrorName(result, text) : Cu.cuGetErrorString(result, text);
            MemorySegment pointer = text.get(ADDRESS, 0);
            if (rc != Cu.CUDA_SUCCESS || pointer.equals(MemorySegment.NULL)) return null;
            return pointer.reinterpret(Integer.MAX_VALUE).getString(0);
        }
    }

    /** The CUresult the driver returned. */
    public int result() {
        return result;
    }

    /** The driver's name for the result, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String errorName() {
        return errorName;
    }

    /** The driver's description of the result, e.g. {@code out of memory}. */
    public String errorDescription() {
        return errorDescription;
    }

    /** What was being done when the call failed. */
    public String operation() {
        return operation;
    }

    /** The driver's log for the failure (JIT/linker output), or an empty string. */
    public String log() {
        return log == null ? "" : log;
    }
}
