package dev.tessera.cuda.driver;

/**
 * A CUDA device as the driver describes it: the limits code generation and launch configuration
 * depend on. Obtained from {@link CudaDriver#devices()}; {@link #context()} reaches the device's
 * primary context, through which memory, streams and modules are made.
 *
 * @param index                         the device ordinal (as in {@code cuda:0})
 * @param computeMajor                  compute capability, major (9 for H100)
 * @param computeMinor                  compute capability, minor
 * @param sharedMemoryPerBlock          bytes a block may use without opting in (48 KiB)
 * @param sharedMemoryPerBlockOptin     bytes a block may use once the kernel opts in through
 *                                      {@link CudaFunction#setMaxDynamicSharedBytes(int)}
 * @param clockRateKHz                  typical SM clock
 * @param memoryClockRateKHz            peak memory clock
 */
public record CudaDevice(
        int index,
        String name,
        int computeMajor,
        int computeMinor,
        int multiprocessorCount,
        int warpSize,
        int maxThreadsPerBlock,
        int maxRegistersPerBlock,
        int maxRegistersPerMultiprocessor,
        int sharedMemoryPerBlock,
        int sharedMemoryPerBlockOptin,
        int sharedMemoryPerMultiprocessor,
        int l2CacheBytes,
        long totalMemoryBytes,
        int clockRateKHz,
        int memoryClockRateKHz,
        int memoryBusWidthBits) {

    /** The compute capability as one number, major * 10 + minor (90 for H100). */
    public int computeCapability() {
        return computeMajor * 10 + computeMinor;
    }

    /** The device's primary context, retained on first use and kept for the life of the process. */
    public CudaContext context() {
        return CudaDriver.context(index);
    }

    /** One line for logs and reports, e.g. {@code cuda:0 NVIDIA H100 80GB HBM3 (cc 9.0, 132 SMs, 79.1 GiB)}. */
    public String summary() {
        return "cuda:%d %s (cc %d.%d, %d SMs, %.1f GiB)".formatted(index, name, computeMajor, computeMinor,
                multiprocessorCount, totalMemoryBytes / (double) (1L << 30));
    }
}
