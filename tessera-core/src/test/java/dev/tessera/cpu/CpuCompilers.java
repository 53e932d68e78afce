package dev.tessera.cpu;

import dev.tessera.backend.CompiledKernel;
import dev.tessera.ir.KernelIR;
import java.util.List;

/** Tests' access to the CPU compiler with fusion chosen explicitly, to compare both ways in one JVM. */
public final class CpuCompilers {
    private CpuCompilers() {}

    public static CompiledKernel compile(KernelIR ir, boolean fuse) { return CpuCompiler.compile(ir, fuse); }

    /** One line per fused loop of a compiled kernel (none when it has none). */
    public static List<String> fusedLoops(CompiledKernel k) {
        String text = k.artifacts().getOrDefault("fusion", "");
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }
}
