package dev.tessera.backend;

import dev.tessera.ir.KernelIR;
import java.util.Map;
import java.util.Optional;

/** A kernel compiled for one device, ready to launch. */
public interface CompiledKernel {

    /** The optimized IR it was compiled from. */
    KernelIR ir();

    /** Text forms worth showing a user, by name: "ir" always, "ptx" for GPUs. */
    Map<String, String> artifacts();

    /**
     * Registers, shared and local memory the compiled code takes, where the backend has such
     * resources (a GPU); empty on the CPU backend.
     */
    default Optional<KernelResources> resources() { return Optional.empty(); }
}
