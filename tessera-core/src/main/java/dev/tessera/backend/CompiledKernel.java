package dev.tessera.backend;

import dev.tessera.ir.KernelIR;
import java.util.Map;

/** A kernel compiled for one device, ready to launch. */
public interface CompiledKernel {

    /** The optimized IR it was compiled from. */
    KernelIR ir();

    /** Text forms worth showing a user, by name: "ir" always, "ptx" for GPUs. */
    Map<String, String> artifacts();
}
