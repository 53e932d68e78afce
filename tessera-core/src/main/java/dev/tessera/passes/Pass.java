package dev.tessera.passes;

import dev.tessera.ir.KernelIR;

/** A transformation of a kernel's IR that keeps its meaning. */
public interface Pass {
    String name();

    KernelIR run(KernelIR kernel);
}
