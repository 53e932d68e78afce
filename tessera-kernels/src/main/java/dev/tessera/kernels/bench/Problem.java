package dev.tessera.kernels.bench;

import dev.tessera.runtime.Device;
import dev.tessera.types.DType;

/**
 * One measurement to make: a kernel benchmark at one size, with the run's settings.
 *
 * @param kernel the benchmark (what x means, the shapes)
 * @param x      the swept size
 * @param settings dtype, device, seed, tuning and precision for the whole run
 */
public record Problem(KernelBench kernel, long x, BenchSettings settings) {

    public DType dtype() { return settings.dtype(); }

    public Device device() { return settings.device(); }

    /** The tensor dimensions at this size, e.g. {4096, 1024} for softmax at x = 1024. */
    public long[] dims() { return kernel.dims(x, settings); }

    /** {@code dims()[i]} as an int. */
    public int dim(int i) { return Math.toIntExact(dims()[i]); }
}
