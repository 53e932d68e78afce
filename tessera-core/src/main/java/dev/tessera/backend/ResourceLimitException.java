package dev.tessera.backend;

/**
 * A kernel compiled, but needs more of the device than a block may have (shared memory, threads for
 * its registers). The message names the kernel's specialization ({@link KernelResources#label}) and
 * the limit; the autotuner reports such a config as skipped for exceeding a resource limit.
 */
public class ResourceLimitException extends IllegalArgumentException {
    public ResourceLimitException(String message) { super(message); }
}
