package dev.tessera.cuda.codegen;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.backend.Backend;
import dev.tessera.backend.Marker;
import dev.tessera.cuda.driver.CudaDriver;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A first look at speed on a GPU (the benchmark against Triton comes later): device copy bandwidth
 * as the ceiling, then Tessera's copy, vector add, softmax and layer norm in GB/s (bytes read plus
 * written, median of device-event timings after warm-up), an FMA matmul, and the host cost of a
 * cached launch. Writes $OUT/perf.md (or target/perf.md).
 */
class PerfSmokeGpuTest {
    private final List<String> rows = new ArrayList<>();
    private Backend backend;
    private final Device d = Device.cuda(0);

    /** Median milliseconds of {@code body} over repetitions, timed with device events. */
    private double time(Runnable body, int reps) {
        for (int i = 0; i < 3; i++) body.run();
        backend.synchronize(0);
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            try (Marker start = backend.marker(0); Marker end = backend.marker(0)) {
                start.record();
                body.run();
                end.record();
                backend.synchronize(0);
                ms[i] = end.millisSince(start);
            }
        }
        Arrays.sort(ms);
        return ms[reps / 2];
    }

    private void row(String what, double ms, double bytes, double flops) {
        String s = String.format("| %s | %.3f | %s | %s |", what, ms, bytes > 0 ? String.format("%.0f", bytes / ms / 1e6) : "-",
                flops > 0 ? String.format("%.2f", flops / ms / 1e9) : "-");
        rows.add(s);
        System.out.println(s);
    }

    @Test
    void measure() throws Exception {
        assumeTrue(CudaDriver.isAvailable(), () -> "no CUDA here: " + CudaDriver.unavailableReason().orElse(""));
        backend = d.backendImpl();
        rows.add("| what | ms (median) | GB/s | TFLOP/s |");
        rows.add("|---|---|---|---|");
        long n = 1L << 28; // 1 GiB of f32
        Tensor x = Tensor.rand(DType.F32, 1, d, n), y = Tensor.rand(DType.F32, 2, d, n), out = Tensor.empty(DType.F32, d, n);
        row("device memcpy 1 GiB (cuMemcpyDtoD)", time(() -> backend.copy(x.buffer(), 0, out.buffer(), 0, n * 4), 10), 2.0 * n * 4, 0);
        for (int block : new int[] {1024, 4096}) {
            for (int warps : new int[] {4, 8}) {
                JitKernel copy = Jit.kernel(DemoKernels.class, "copy").withOptions(warps, 1);
                int nn = (int) n;
                row("copy f32 1 GiB BLOCK=" + block + " warps=" + warps,
                        time(() -> copy.launch(Grid.grid((int) ((n + block - 1) / block)), x, out, nn, block), 10), 2.0 * n * 4, 0);
            }
        }
        JitKernel add = Jit.kernel(DemoKernels.class, "add").withOptions(4, 1);
        row("vector add f32 3 x 1 GiB BLOCK=1024", time(() -> add.launch(Grid.grid((int) (n / 1024)), x, y, out, (int) n, 1024), 10), 3.0 * n * 4, 0);
        x.close();
        y.close();
        out.close();

        softmax(DType.F32, 4096, 4096, 8);
        softmax(DType.F32, 4096, 4096, 16);
        softmax(DType.BF16, 8192, 16384, 16);
        layerNorm(DType.F16, 4096, 8192, 16);
        matmul(1024, 4);
        launchOverhead();

        String table = String.join("\n", rows) + "\n";
        String dir = System.getenv().getOrDefault("TESSERA_OUT", System.getenv("OUT"));
        Path file = dir != null && !dir.isBlank() ? Path.of(dir, "perf.md") : Path.of("target", "perf.md");
        Files.createDirectories(file.getParent());
        Files.writeString(file, table);
    }

    private void softmax(DType t, int rows, int cols, int warps) {
        Tensor x = Tensor.randn(t, 3, d, rows, cols), out = Tensor.empty(t, d, rows, cols);
        JitKernel k = Jit.kernel(DemoKernels.class, "softmax").withOptions(warps, 1);
        row("softmax " + t + " " + rows + "x" + cols + " warps=" + warps,
                time(() -> k.launch(Grid.grid(rows), x, out, cols, cols, cols), 20), 2.0 * rows * cols * t.byteSize(), 0);
        x.close();
        out.close();
    }

    private void layerNorm(DType t, int rows, int cols, int warps) {
        Tensor x = Tensor.randn(t, 4, d, rows, cols), w = Tensor.randn(t, 5, d, cols), b = Tensor.randn(t, 6, d, cols);
        Tensor out = Tensor.empty(t, d, rows, cols);
        JitKernel k = Jit.kernel(DemoKernels.class, "layerNorm").withOptions(warps, 1);
        row("layer norm " + t + " " + rows + "x" + cols + " warps=" + warps,
                time(() -> k.launch(Grid.grid(rows), x, w, b, out, cols, cols, 1e-5f, cols), 20), 2.0 * rows * cols * t.byteSize(), 0);
        x.close();
        out.close();
    }

    private void matmul(int size, int warps) {
        Tensor a = Tensor.randn(DType.F32, 7, d, size, size), b = Tensor.randn(DType.F32, 8, d, size, size), c = Tensor.empty(DType.F32, d, size, size);
        JitKernel k = Jit.kernel(DemoKernels.class, "matmul").withOptions(warps, 1);
        row("matmul f32 (FMA) " + size + "^3 64x64x32 warps=" + warps,
                time(() -> k.launch(Grid.grid(size / 64, size / 64), a, b, c, size, size, size, 64, 64, 32), 10), 0, 2.0 * size * size * size);
        a.close();
        b.close();
        c.close();
    }

    /** Host microseconds per cached, asynchronous launch of a tiny kernel. */
    private void launchOverhead() {
        Tensor x = Tensor.rand(DType.F32, 9, d, 1024), out = Tensor.empty(DType.F32, d, 1024);
        JitKernel k = Jit.kernel(DemoKernels.class, "copy").withOptions(4, 1);
        Grid g = Grid.grid(1);
        for (int i = 0; i < 1000; i++) k.launch(g, x, out, 1024, 1024);
        backend.synchronize(0);
        int launches = 20000;
        long t0 = System.nanoTime();
        for (int i = 0; i < launches; i++) k.launch(g, x, out, 1024, 1024);
        long t1 = System.nanoTime();
        backend.synchronize(0);
        String s = String.format("| host time per cached launch (JitKernel.launch, 20000 in a row) | %.2f us | - | - |", (t1 - t0) / 1e3 / launches);
        rows.add(s);
        System.out.println(s);
        // the backend's share: argument packing and cuLaunchKernel
        var compiled = k.specialize(x, out, 1024, 1024);
        long[] raw = {x.dataPointer(), out.dataPointer(), 1024};
        int[] grid = {1, 1, 1};
        for (int i = 0; i < 1000; i++) backend.launch(compiled, grid, raw, 0);
        backend.synchronize(0);
        long t2 = System.nanoTime();
        for (int i = 0; i < launches; i++) backend.launch(compiled, grid, raw, 0);
        long t3 = System.nanoTime();
        backend.synchronize(0);
        s = String.format("| host time per launch in the backend alone (CudaBackend.launch) | %.2f us | - | - |", (t3 - t2) / 1e3 / launches);
        rows.add(s);
        System.out.println(s);
    }
}
