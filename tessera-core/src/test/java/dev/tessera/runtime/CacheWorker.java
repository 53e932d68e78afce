package dev.tessera.runtime;

import static dev.tessera.lang.TL.*;

import dev.tessera.backend.CompiledKernel;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.trace.KernelMethod;
import dev.tessera.types.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A process that compiles one kernel through the disk cache at {@code args[0]}, runs it, checks the
 * result and prints how the cache answered: "hit" or "miss". For tests with several JVMs.
 */
public final class CacheWorker {
    private CacheWorker() {}

    @Kernel
    static void scaleAdd(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), load(x.add(offs), mask).mul(3.0).add(1.0), mask);
    }

    /** Compiles scaleAdd through {@code cache}, runs it on n elements and checks every output. */
    static CompiledKernel compileAndRun(DiskCache cache, int n) {
        KernelMethod method = KernelMethod.of(CacheWorker.class, "scaleAdd");
        try (Tensor x = Tensor.randn(DType.F32, n, Device.cpu(), n); Tensor out = Tensor.full(DType.F32, Double.NaN, Device.cpu(), n)) {
            CompiledKernel k = Compiler.compile(method, List.of(JitKernel.specOf(x), JitKernel.specOf(out), JitKernel.specOf(n)),
                    Map.of("BLOCK", 64), LaunchOptions.DEFAULT, Device.cpu(), cache);
            Device.cpu().backendImpl().launch(k, new int[] {(n + 63) / 64, 1, 1}, JitKernel.pack(new Object[] {x, out, n}), 0);
            double[] in = x.toDoubleArray(), o = out.toDoubleArray();
            for (int i = 0; i < n; i++) {
                if (o[i] != (float) ((float) in[i] * 3.0f + 1.0f)) throw new AssertionError("element " + i + ": " + o[i] + " for input " + in[i]);
            }
            return k;
        }
    }

    public static void main(String[] args) {
        DiskCache cache = new DiskCache(Path.of(args[0]));
        compileAndRun(cache, 1000);
        System.out.println(cache.hits() > 0 ? "hit" : "miss");
    }
}
