package dev.tessera.fuzz;

import dev.tessera.cpu.CpuCompilers;
import dev.tessera.ir.KernelIR;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.runtime.TensorDescriptor;
import dev.tessera.testing.IrRunner;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Differential testing: runs each random program on two executors with the same inputs and
 * compares the outputs; a mismatch is minimized by leaving out steps while it persists.
 */
public final class FuzzHarness {
    private FuzzHarness() {}

    static final JitKernel KERNEL = Jit.kernel(FuzzKernel.class, "run");

    /** The outputs of one run. */
    public record Outputs(double[] floats, long[] ints, long[] counters) {}

    /** Runs a program on inputs of n elements drawn from a seed. */
    @FunctionalInterface
    public interface Executor {
        Outputs run(FuzzProgram program, int n, long inputSeed);
    }

    /** Launches through the runtime on one device. */
    public static Executor on(Device device) {
        return (program, n, seed) -> run(program, n, seed, device,
                args -> KERNEL.launch(Grid.grid(Math.ceilDiv(n, FuzzKernel.BLOCK)), withProgram(args, program)));
    }

    /** The CPU backend with fusion on or off, whatever its default: the program's optimized IR compiled that way. */
    public static Executor onCpu(boolean fuse) {
        return (program, n, seed) -> run(program, n, seed, Device.cpu(), args -> {
            KernelIR ir = KERNEL.specialize(withProgram(args, program)).ir();
            IrRunner.run(CpuCompilers.compile(ir, fuse), new int[] {Math.ceilDiv(n, FuzzKernel.BLOCK)}, args);
        });
    }

    private static Object[] withProgram(Object[] args, FuzzProgram program) {
        Object[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = program;
        return all;
    }

    /** Draws the inputs, launches with the runtime arguments (a, b, c, outF, outI, counters, n, a's and the counters' descriptors) and reads the outputs. */
    private static Outputs run(FuzzProgram program, int n, long seed, Device device, java.util.function.Consumer<Object[]> launch) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] a = new double[n], b = new double[n];
        long[] c = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextGaussian();
            b[i] = r.nextGaussian();
            c[i] = r.nextLong(-1000, 1000);
        }
        try (Tensor ta = Tensor.from(a, DType.F32, device); Tensor tb = Tensor.from(b, DType.F32, device);
             Tensor tc = Tensor.fromLongs(c, DType.I32, device);
             Tensor outF = Tensor.full(DType.F32, Double.NaN, device, n);
             Tensor outI = Tensor.fromLongs(new long[n], DType.I32, device);
             Tensor counters = Tensor.zeros(DType.I32, device, 2 * FuzzKernel.COUNTERS)) {
            outI.fill(-7);
            launch.accept(new Object[] {ta, tb, tc, outF, outI, counters, n, TensorDescriptor.of(ta, FuzzKernel.BLOCK),
                    TensorDescriptor.of(counters.slice(0, FuzzKernel.COUNTERS, 2 * FuzzKernel.COUNTERS), FuzzKernel.COUNTERS)});
            return new Outputs(outF.toDoubleArray(), outI.toLongArray(), counters.toLongArray());
        }
    }

    /** Why two runs differ, or empty when they agree. */
    public static Optional<String> compare(Outputs x, Outputs y, double tolerance) {
        double scale = 0;
        for (double v : x.floats()) if (Double.isFinite(v)) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < x.floats().length; i++) {
            double a = x.floats()[i], b = y.floats()[i];
            boolean same = Double.compare(a, b) == 0 || (Double.isNaN(a) && Double.isNaN(b))
                    || Math.abs(a - b) <= tolerance * (Math.abs(a) + 1e-3 * scale + 1e-6);
            if (!same) return Optional.of("float output " + i + ": " + a + " vs " + b);
        }
        for (int i = 0; i < x.ints().length; i++) {
            if (x.ints()[i] != y.ints()[i]) return Optional.of("int output " + i + ": " + x.ints()[i] + " vs " + y.ints()[i]);
        }
        for (int i = 0; i < x.counters().length; i++) {
            if (x.counters()[i] != y.counters()[i]) return Optional.of("counter " + i + ": " + x.counters()[i] + " vs " + y.counters()[i]);
        }
        return Optional.empty();
    }

    /** A program on which two executors disagree, minimized. */
    public record Mismatch(FuzzProgram program, int n, long inputSeed, String difference) {
        @Override
        public String toString() {
            return difference + " — replay: " + program.replay() + ", n=" + n + ", inputSeed=" + inputSeed + "L";
        }
    }

    /** Runs {@code count} programs from {@code seed}; returns the minimized mismatches. */
    public static List<Mismatch> campaign(long seed, int count, Executor x, Executor y, double tolerance) {
        List<Mismatch> found = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            FuzzProgram p = FuzzProgram.of(r.nextLong());
            int n = 1 + r.nextInt(1500);
            long inputSeed = r.nextLong();
            Optional<String> d = differs(p, n, inputSeed, x, y, tolerance);
            if (d.isPresent()) found.add(minimize(new Mismatch(p, n, inputSeed, d.get()), x, y, tolerance));
        }
        return found;
    }

    static Optional<String> differs(FuzzProgram p, int n, long inputSeed, Executor x, Executor y, double tolerance) {
        try {
            return compare(x.run(p, n, inputSeed), y.run(p, n, inputSeed), tolerance);
        } catch (RuntimeException e) {
            return Optional.of("failed: " + e);
        }
    }

    /** Leaves out steps one at a time while the programs still disagree. */
    static Mismatch minimize(Mismatch m, Executor x, Executor y, double tolerance) {
        Mismatch best = m;
        for (int s = 0; s < m.program().steps(); s++) {
            FuzzProgram smaller = best.program().without(s);
            Optional<String> d = differs(smaller, best.n(), best.inputSeed(), x, y, tolerance);
            if (d.isPresent()) best = new Mismatch(smaller, best.n(), best.inputSeed(), d.get());
        }
        return best;
    }
}
