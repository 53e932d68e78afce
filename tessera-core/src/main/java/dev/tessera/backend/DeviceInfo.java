package dev.tessera.backend;

import java.util.Map;

/**
 * A device as listed by {@code tessera info}.
 *
 * @param limits resource limits the autotuner prunes against (e.g. "sharedMemoryPerBlock",
 *               "maxThreadsPerBlock", "multiprocessors"), by name
 */
public record DeviceInfo(String backend, int index, String name, String description, Map<String, Long> limits) {

    /**
     * The limit that is 1 where a dot is issued and completes apart, other work running between
     * (Hopper's {@code wgmma.mma_async}), and 0 or absent where it is synchronous ({@code mma.sync},
     * the CPU): a kernel may order its steps to overlap the products only where that pays.
     */
    public static final String ASYNCHRONOUS_DOTS = "asynchronousDots";

    /** Whether this device's dots are asynchronous ({@link #ASYNCHRONOUS_DOTS}). */
    public boolean asynchronousDots() { return limits.getOrDefault(ASYNCHRONOUS_DOTS, 0L) != 0; }

    /**
     * The limit that is 1 where a tensor descriptor's blocks are copied by hardware between global
     * and shared memory (Hopper's tensor-memory accelerator) and 0 or absent where they are masked
     * loads and stores: a library may pick its descriptor kernels where that pays.
     */
    public static final String TENSOR_COPIES = "tensorCopies";

    /** Whether this device copies descriptors' blocks in hardware ({@link #TENSOR_COPIES}). */
    public boolean tensorCopies() { return limits.getOrDefault(TENSOR_COPIES, 0L) != 0; }

    /** "cpu", "cuda:0". */
    public String id() { return backend.equals("cpu") ? "cpu" : backend + ":" + index; }

    /** The processors that run programs side by side: a GPU's multiprocessors, a CPU's cores (1 if neither is listed). */
    public int multiprocessors() {
        return Math.toIntExact(limits.getOrDefault("multiprocessors", limits.getOrDefault("cores", 1L)));
    }
}
