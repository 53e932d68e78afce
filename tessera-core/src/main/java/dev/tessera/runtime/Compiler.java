package dev.tessera.runtime;

import dev.tessera.backend.CompiledKernel;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.ir.KernelIR;
import dev.tessera.passes.Pipeline;
import dev.tessera.trace.ArgSpec;
import dev.tessera.trace.KernelMethod;
import dev.tessera.trace.Tracer;
import java.util.List;
import java.util.Map;

/** One specialization from Java method to launchable code: trace, optimize, compile for the device. */
final class Compiler {
    private Compiler() {}

    static CompiledKernel compile(KernelMethod method, List<ArgSpec> args, Map<String, Object> constexprs,
                                  LaunchOptions options, Device device) {
        KernelIR traced = Tracer.trace(method, args, constexprs);
        Dump.ir("traced", traced);
        KernelIR optimized = Pipeline.standard().run(traced);
        CompiledKernel compiled = device.backendImpl().compile(optimized, options, device.index());
        compiled.artifacts().forEach((kind, text) -> {
            if (!kind.equals("ir")) Dump.artifact(kind, method.name(), text);
        });
        return compiled;
    }
}
