package dev.tessera.runtime;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One kernel launched from 16 Java threads at once, each with its own data: every result is right,
 * and the kernel is traced and compiled once per specialization, not once per thread.
 */
@ExtendWith(SeedExtension.class)
class ConcurrentLaunchTest {
    static final AtomicInteger TRACES = new AtomicInteger();

    @Kernel
    static void axpy(Tile a, Tile x, Tile y, Tile out, Tile n, @Constexpr int BLOCK) {
        TRACES.incrementAndGet(); // runs once per trace
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        store(out.add(offs), load(x.add(offs), m).mul(a).add(load(y.add(offs), m)), m);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void sixteenThreadsTraceAndCompileOnceAndAllGetTheirOwnResults(Device device, @Seed long seed) throws Exception {
        Device d = TestDevices.require(device);
        JitKernel k = Jit.kernel(ConcurrentLaunchTest.class, "axpy"); // fresh: nothing compiled yet
        int threads = 16, rounds = 20, n = 5000; // n is not a multiple of 16: one specialization for every thread
        int tracesBefore = TRACES.get();
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long mySeed = seed + t;
                float a = t + 0.5f;
                done.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(mySeed);
                    start.await(); // all threads reach the first launch together
                    for (int round = 0; round < rounds; round++) {
                        Tensor x = Tensor.rand(DType.F32, r.nextLong(), d, n), y = Tensor.rand(DType.F32, r.nextLong(), d, n);
                        Tensor out = Tensor.full(DType.F32, Double.NaN, d, n);
                        k.launch(grid(cdiv(n, 512)), a, x, y, out, n, 512);
                        double[] X = x.toDoubleArray(), Y = y.toDoubleArray(), ref = new double[n];
                        for (int i = 0; i < n; i++) ref[i] = (float) ((float) X[i] * a) + (float) Y[i];
                        Check.close(ref, out.toDoubleArray(), Tolerance.of(DType.F32), "thread with a = " + a + ", round " + round);
                        x.close();
                        y.close();
                        out.close();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(120, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, k.compiledCount(), "one specialization, compiled once");
        assertEquals(1, TRACES.get() - tracesBefore, "traced once for 16 threads x 20 launches");
    }
}
