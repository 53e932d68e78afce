package dev.tessera.runtime;

import dev.tessera.backend.Backend;
import dev.tessera.backend.CompiledKernel;
import dev.tessera.backend.KernelResources;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.ir.KernelIR;
import dev.tessera.passes.Pipeline;
import dev.tessera.trace.ArgSpec;
import dev.tessera.trace.KernelMethod;
import dev.tessera.trace.Tracer;
import java.util.List;
import java.util.Map;

/**
 * One specialization from Java method to launchable code: trace, optimize, compile for the device.
 * With a disk cache, an entry for the same traced kernel and specialization skips the passes and
 * the backend's compiler; an unusable entry is deleted and rebuilt.
 */
final class Compiler {
    private Compiler() {}

    static CompiledKernel compile(KernelMethod method, List<ArgSpec> args, Map<String, Object> constexprs,
                                  LaunchOptions options, Device device) {
        return compile(method, args, constexprs, options, device, DiskCache.configured());
    }

    static CompiledKernel compile(KernelMethod method, List<ArgSpec> args, Map<String, Object> constexprs,
                                  LaunchOptions options, Device device, DiskCache cache) {
        long start = System.nanoTime();
        KernelIR traced = Tracer.trace(method, args, constexprs);
        long tracedAt = System.nanoTime(), optimizedAt = tracedAt;
        Dump.ir("traced", traced);
        Backend backend = device.backendImpl();
        String key = cache == null ? null : CacheKey.of(method.qualifiedName(), traced, args, constexprs, options, backend, device.index());
        CompiledKernel compiled = key == null ? null : restore(cache, key, traced, options, backend, device);
        boolean fromDiskCache = compiled != null;
        if (compiled == null) {
            KernelIR optimized = Pipeline.standard().run(traced);
            optimizedAt = System.nanoTime();
            compiled = backend.compile(optimized, options, device.index());
            byte[] data = key == null ? null : backend.serialize(compiled);
            if (data != null) cache.write(key, CacheEntry.of(traced, optimized, data).encode());
        }
        Dump.CompileTime time = new Dump.CompileTime(tracedAt - start, optimizedAt - tracedAt, System.nanoTime() - optimizedAt, fromDiskCache);
        Dump.artifacts(backend.name(), method.name(), compiled.artifacts());
        Dump.resources(KernelResources.label(method.name(), constexprs, options), device, compiled.resources(), time);
        return compiled;
    }

    /** The cached kernel, or null (after deleting the entry if it was there but unusable). */
    private static CompiledKernel restore(DiskCache cache, String key, KernelIR traced, LaunchOptions options,
                                          Backend backend, Device device) {
        byte[] payload = cache.read(key);
        if (payload == null) return null;
        try {
            CacheEntry entry = CacheEntry.decode(payload);
            KernelIR optimized = entry.optimizedFor(traced);
            CompiledKernel k = optimized == null ? null : backend.deserialize(entry.backend(), optimized, options, device.index());
            if (k != null) return k;
        } catch (RuntimeException e) {
            // an entry of a compiler whose IR this one cannot read or compile: rebuild it
        }
        cache.discard(key);
        return null;
    }
}
