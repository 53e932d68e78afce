package dev.tessera.learn.basics;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.backend.CompiledKernel;
import dev.tessera.bench.Bench;
import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.BenchResult;
import dev.tessera.bench.Throughput;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.learn.Timing;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.io.PrintStream;

/**
 * Lesson 5: how fast is a kernel, and how fast could it be? Count the bytes it must move, time it,
 * divide: that is its achieved bandwidth, to compare with what the machine can do. Then look at
 * what the kernel became: its IR (and, on a GPU, its PTX).
 */
public final class Basics05Profiling {
    private Basics05Profiling() {}

    @Kernel
    static void add(Tile x, Tile y, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), load(x.add(offs), mask).add(load(y.add(offs), mask)), mask);
    }

    /** out = x copied: the simplest kernel that moves memory; its speed is this device's bandwidth floor for kernels. */
    @Kernel
    static void copy(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        store(out.add(offs), load(x.add(offs), offs.lt(n)), offs.lt(n));
    }

    static final JitKernel ADD = Jit.kernel(Basics05Profiling.class, "add");
    static final JitKernel COPY = Jit.kernel(Basics05Profiling.class, "copy");

    public static void run(PrintStream out, Device device, boolean quick) {
        int n = quick ? 1 << 18 : 1 << 24, block = 1024;
        BenchOptions opts = Timing.options(device, quick);
        try (Tensor x = Tensor.rand(DType.F32, 1, device, n); Tensor y = Tensor.rand(DType.F32, 2, device, n);
             Tensor z = Tensor.empty(DType.F32, device, n)) {
            Runnable addCall = () -> ADD.launch(grid(cdiv(n, block)), x, y, z, n, block);
            Runnable copyCall = () -> COPY.launch(grid(cdiv(n, block)), x, z, n, block);
            double addBytes = 3.0 * n * 4, copyBytes = 2.0 * n * 4;
            out.printf("vector add of n = %,d f32 on %s (%s), BLOCK = %d, %,d programs%n", n, device, device.info().name(), block, cdiv(n, block));
            out.printf("  bytes it must move: read x and y, write z = 3 x %,d x 4 B = %.1f MB%n", n, addBytes / 1e6);
            BenchResult add = Bench.doBench(addCall, opts);
            BenchResult copy = Bench.doBench(copyCall, opts);
            double javaMs = javaCopyMs(n, quick);
            out.printf("  vector add: median %.3f ms -> %.2f GB/s achieved%n", add.medianMs(), Throughput.gbps(addBytes, add.medianMs()));
            out.printf("  copy kernel (2 x n x 4 B): median %.3f ms -> %.2f GB/s%n", copy.medianMs(), Throughput.gbps(copyBytes, copy.medianMs()));
            out.printf("  plain Java copy (MemorySegment.copy, one thread): %.3f ms -> %.2f GB/s%n", javaMs, Throughput.gbps(copyBytes, javaMs));
            out.println("  A kernel that only moves memory is as good as the bandwidth it reaches: compare the vector add with the copy.");
            out.println("  It does 1 flop per 12 bytes, so the arithmetic is free; only bytes count (it is memory-bound).");
            if (device.backend().equals("cpu")) {
                out.println("  (On the CPU backend, tiles run as Java array loops with every access bounds-checked: it is for");
                out.println("   learning and checking, so expect far less than memory bandwidth. On a GPU the same kernel runs near it.)");
            }
            CompiledKernel compiled = ADD.specialize(x, y, z, n, block);
            out.println("\nWhat the kernel became (the optimized IR: one op a line, with types and source lines):");
            out.println(compiled.artifacts().get("ir").indent(2));
            String ptx = compiled.artifacts().get("ptx");
            if (ptx != null) {
                out.println("Its PTX (first 40 lines):");
                ptx.lines().limit(40).forEach(l -> out.println("  " + l));
            } else {
                out.println("PTX: this device (" + device + ") compiles no PTX; on an NVIDIA GPU the \"ptx\" artifact holds it.");
            }
            out.println("To see the IR before and after each pass for any program: TESSERA_DUMP=ir (or ir,ptx) ./tessera ...");
        }
    }

    private static double javaCopyMs(int n, boolean quick) {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var a = arena.allocate(4L * n, 64);
            var b = arena.allocate(4L * n, 64);
            return Bench.doBench(() -> java.lang.foreign.MemorySegment.copy(a, 0, b, 0, 4L * n), Timing.options(Device.cpu(), quick)).medianMs();
        }
    }
}
