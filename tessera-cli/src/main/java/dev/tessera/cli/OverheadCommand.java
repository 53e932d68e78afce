package dev.tessera.cli;

import static dev.tessera.runtime.Grid.grid;

import dev.tessera.kernels.elementwise.VectorAdd;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The fixed costs of running a kernel: compiling a new specialization with the disk cache off
 * (trace, passes, code generation, loading), and the host time of a launch that hits the memory
 * cache. Both in a JVM where Tessera's own code has already run once, as Triton's figures are
 * taken in a warm Python process.
 */
@Command(name = "overhead", mixinStandardHelpOptions = true, version = Main.VERSION, description = {
        "Measure cold compile time (trace -> code -> loaded, disk cache off) and host launch overhead of a cached kernel.",
        "Example: tessera overhead --device cuda:0"})
final class OverheadCommand implements Callable<Integer> {
    @Option(names = "--device", description = "cpu, cuda or cuda:N (default: the best device present)")
    String device;

    @Option(names = "--launches", description = "launches per timed round of back-to-back launches (default: ${DEFAULT-VALUE})")
    int launches = 20_000;

    @Override
    public Integer call() {
        BenchCommand.positive("--launches", launches);
        System.setProperty("tessera.cache", "off");
        Device d = device == null ? Device.defaultDevice() : Device.parse(device).require();
        int n = 1 << 16;
        try (Tensor x = Tensor.randn(DType.F32, 1, d, n); Tensor y = Tensor.randn(DType.F32, 2, d, n);
             Tensor out = Tensor.empty(DType.F32, d, n)) {
            // warm the compiler itself (class loading, JIT) on a specialization not measured below
            Jit.kernel(VectorAdd.class, "add").specialize(x, y, out, n, 64);
            double[] compileMs = new double[5];
            int[] blocks = {128, 256, 512, 1024, 2048};
            for (int i = 0; i < blocks.length; i++) {
                JitKernel fresh = Jit.kernel(VectorAdd.class, "add");
                long t0 = System.nanoTime();
                fresh.specialize(x, y, out, n, blocks[i]);
                compileMs[i] = (System.nanoTime() - t0) / 1e6;
            }
            JitKernel cached = Jit.kernel(VectorAdd.class, "add");
            Object[] args = {x, y, out, n, 1024};
            var g = grid(1);
            // enough launches for the JIT compiler to compile the launch path before it is timed
            for (int i = 0; i < 30_000; i++) cached.launch(g, args);
            d.backendImpl().synchronize(d.index());
            double[] steady = rounds(cached, g, args, d, 5, launches);
            // fewer than a GPU queue holds, the device idle at the start of each: the cost after a pause
            double[] afterPause = rounds(cached, g, args, d, 41, 512);
            System.out.printf("device: %s (%s)%n", d, d.info().name());
            System.out.printf("cold compile of vector add (trace -> code -> loaded, disk cache off): median %.1f ms, runs %s%n",
                    median(compileMs), Arrays.toString(round(compileMs)));
            System.out.printf("host time per cached launch, back to back (%d rounds of %d): median %.2f us, rounds %s%n",
                    steady.length, launches, median(steady), Arrays.toString(round(steady)));
            System.out.printf("host time per cached launch after the device drained (%d rounds of 512): median %.2f us%n",
                    afterPause.length, median(afterPause));
        }
        return 0;
    }

    /** Microseconds per launch in each of {@code count} rounds of {@code perRound} launches, synchronizing between rounds. */
    private static double[] rounds(JitKernel k, dev.tessera.runtime.Grid g, Object[] args, Device d, int count, int perRound) {
        double[] us = new double[count];
        for (int r = 0; r < count; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < perRound; i++) k.launch(g, args);
            us[r] = (System.nanoTime() - t0) / 1e3 / perRound;
            d.backendImpl().synchronize(d.index()); // not timed
        }
        return us;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double[] round(double[] v) { return Arrays.stream(v).map(x -> Math.round(x * 100) / 100.0).toArray(); }
}
