package dev.tessera.backend;

import java.util.Map;
import java.util.StringJoiner;

/**
 * What one compiled kernel takes of a GPU, as the driver reports it once the module is loaded
 * ({@code cuFuncGetAttribute}): for users tuning block sizes ({@code TESSERA_DUMP=resources}) and for
 * the autotuner's tables. Backends without such resources (the CPU) report none
 * ({@link CompiledKernel#resources()} is empty).
 *
 * @param registers          registers per thread ({@code NUM_REGS})
 * @param staticSharedBytes  shared memory the code declares statically ({@code SHARED_SIZE_BYTES})
 * @param dynamicSharedBytes shared memory the code generator asks each launch for
 * @param localBytes         local memory per thread: register spills and stack ({@code LOCAL_SIZE_BYTES})
 * @param threadsPerBlock    threads each program is launched with (warps × 32)
 * @param maxThreadsPerBlock the largest block the compiled code can be launched with, given its
 *                           registers ({@code MAX_THREADS_PER_BLOCK})
 */
public record KernelResources(int registers, int staticSharedBytes, int dynamicSharedBytes, int localBytes,
                              int threadsPerBlock, int maxThreadsPerBlock) {

    /** Static plus dynamic shared memory per block. */
    public long sharedBytes() { return (long) staticSharedBytes + dynamicSharedBytes; }

    /** Whether ptxas had to put values in local memory (spills, or a stack). */
    public boolean spills() { return localBytes > 0; }

    /** {@code registers=168 shared=196608 (static=0, dynamic=196608) local=0 threads=256 maxThreads=384}. */
    public String describe() {
        return "registers=" + registers + " shared=" + sharedBytes() + " (static=" + staticSharedBytes + ", dynamic="
                + dynamicSharedBytes + ") local=" + localBytes + " threads=" + threadsPerBlock + " maxThreads=" + maxThreadsPerBlock;
    }

    /** Short form for tables: {@code 168 regs, 196608 B shared, 0 B local}. */
    public String brief() {
        return registers + " regs, " + sharedBytes() + " B shared, " + localBytes + " B local";
    }

    /**
     * One specialization of a kernel as users know it: its name, its constexprs in declaration order,
     * then the launch options, e.g. {@code matmul[BM=128, BN=256, BK=64, GROUP=8, IEEE=false, stages=3, warps=8]}.
     * Error messages and the resource dump name kernels this way, so a failing autotuner config can
     * be read off them.
     */
    public static String label(String kernel, Map<String, ?> constexprs, LaunchOptions options) {
        StringJoiner j = new StringJoiner(", ", kernel + "[", "]");
        constexprs.forEach((name, value) -> j.add(name + "=" + value));
        if (options != null) {
            j.add("stages=" + options.numStages());
            j.add("warps=" + options.numWarps());
        }
        return j.toString();
    }

    /**
     * The error for a kernel whose shared memory exceeds what a block may have, e.g.
     * {@code matmul[BM=128, BN=256, BK=64, stages=4, warps=8]: needs 262144 bytes of shared memory, the device allows 232448 per block}.
     */
    public static ResourceLimitException sharedMemoryExceeded(String label, long neededBytes, long allowedBytes) {
        return new ResourceLimitException(label + ": needs " + neededBytes + " bytes of shared memory, the device allows "
                + allowedBytes + " per block");
    }

    /** The error for a kernel whose registers leave too few threads per block for its launch. */
    public static ResourceLimitException tooFewThreads(String label, int registers, int maxThreads, int threads) {
        return new ResourceLimitException(label + ": uses " + registers + " registers per thread, so a block may have at most "
                + maxThreads + " threads, but it launches " + threads);
    }
}
