package dev.tessera.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.backend.Backend;
import dev.tessera.cuda.codegen.DemoKernels;
import dev.tessera.cuda.driver.CudaDriver;
import dev.tessera.cuda.driver.KernelArgs;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import dev.tessera.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Where the host time of a cached launch goes, layer by layer, for one tiny kernel: the driver's
 * cuLaunchKernel with arguments already packed, {@link CudaBackend#launch} (packing, context check),
 * and {@link JitKernel#launch} (binding, specialization key, cache lookup). Each layer is measured
 * after enough calls for the JIT compiler to have compiled it, in rounds of back-to-back launches
 * (the GPU's queue fills, so a round can be bounded by the device) and in short rounds after the
 * device drained, each checked to have done the kernel's work. It writes $OUT/launch.md (or
 * target/launch.md); the timings are figures to read, not assertions.
 */
class LaunchOverheadGpuTest {
    private static final int WARM_UP = 30_000;

    @Test
    void layers() throws Exception {
        assumeTrue(CudaDriver.isAvailable(), () -> "no CUDA here: " + CudaDriver.unavailableReason().orElse(""));
        Device d = Device.cuda(0);
        Backend backend = d.backendImpl();
        List<String> rows = new ArrayList<>();
        rows.add("| layer | back to back, 5 rounds of 20000: median (rounds) | after the device drained, 41 rounds of 512: median |");
        rows.add("|---|---|---|");
        try (Tensor x = Tensor.rand(DType.F32, 9, d, 1024); Tensor out = Tensor.empty(DType.F32, d, 1024)) {
            JitKernel jit = Jit.kernel(DemoKernels.class, "copy").withOptions(4, 1);
            Grid g = Grid.grid(1);
            CudaKernel k = (CudaKernel) jit.specialize(x, out, 1024, 1024);
            long[] raw = {x.dataPointer(), out.dataPointer(), 1024};
            int[] grid = {1, 1, 1};
            var stream = CudaDriver.device(0).context().defaultStream();
            KernelArgs packed = KernelArgs.allocate(java.lang.foreign.Arena.ofAuto(), 4);
            packed.ptr(raw[0]).ptr(raw[1]).i32(1024);
            Runnable driver = () -> k.function.launch(1, 1, 1, k.ptx.threads(), 1, 1, k.ptx.sharedBytes(), stream, packed);
            Runnable backendLaunch = () -> backend.launch(k, grid, raw, 0);
            Runnable jitLaunch = () -> jit.launch(g, x, out, 1024, 1024);
            float[] want = x.toFloatArray();
            for (var layer : java.util.List.of(java.util.Map.entry("cuLaunchKernel, arguments packed once", driver),
                    java.util.Map.entry("CudaBackend.launch", backendLaunch), java.util.Map.entry("JitKernel.launch", jitLaunch))) {
                out.fill(Double.NaN);
                rows.add(row(layer.getKey(), layer.getValue(), backend));
                assertArrayEquals(want, out.toFloatArray(), layer.getKey() + " launched the copy");
            }
        }
        String table = String.join("\n", rows) + "\n";
        System.out.print(table);
        String dir = System.getenv().getOrDefault("TESSERA_OUT", System.getenv().getOrDefault("OUT", "target"));
        Files.createDirectories(Path.of(dir));
        Files.writeString(Path.of(dir, "launch.md"), table);
    }

    private static String row(String layer, Runnable launch, Backend backend) {
        for (int i = 0; i < WARM_UP; i++) launch.run();
        backend.synchronize(0);
        double[] steady = rounds(launch, backend, 5, 20_000);
        double[] drained = rounds(launch, backend, 41, 512);
        return String.format("| %s | %.2f us %s | %.2f us |", layer, median(steady),
                Arrays.toString(Arrays.stream(steady).map(v -> Math.round(v * 100) / 100.0).toArray()), median(drained));
    }

    private static double[] rounds(Runnable launch, Backend backend, int count, int perRound) {
        double[] us = new double[count];
        for (int r = 0; r < count; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < perRound; i++) launch.run();
            us[r] = (System.nanoTime() - t0) / 1e3 / perRound;
            backend.synchronize(0);
        }
        return us;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
