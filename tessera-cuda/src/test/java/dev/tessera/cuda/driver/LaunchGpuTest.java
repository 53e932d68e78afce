package dev.tessera.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

class LaunchGpuTest extends GpuTestBase {
    private static final int ROUNDS = 40;
    // Few enough that the driver's launch queue never fills, so the loop measures the host side only.
    private static final int LAUNCHES_PER_ROUND = 500;

    private interface Launcher {
        void launch();
    }

    /** Median host time of one launch, in microseconds. */
    private double microsPerLaunch(Launcher launcher) {
        double[] rounds = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < LAUNCHES_PER_ROUND; i++) launcher.launch();
            rounds[r] = (System.nanoTime() - start) / 1e3 / LAUNCHES_PER_ROUND;
            context.synchronize();
        }
        Arrays.sort(rounds);
        return rounds[ROUNDS / 2];
    }

    @Test
    void hostOverheadOfACachedLaunchIsSmall(TestReporter reporter) {
        try (CudaModule module = context.loadPtx(TestPtx.kernels(target));
             DeviceBuffer buffer = context.allocate(1024)) {
            CudaFunction empty = module.function("empty");
            CudaFunction echo = module.function("echo_args");
            CudaStream stream = context.defaultStream();
            MemorySegment pair = Arena.ofAuto().allocate(16, 8);
            MemorySegment emptyHandle = empty.handle();
            Launcher raw = () -> {
                int rc = Cu.cuLaunchKernel(emptyHandle, 1, 1, 1, 32, 1, 1, 0, MemorySegment.NULL,
                        KernelArgs.forCurrentThread().pointers(), MemorySegment.NULL);
                if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "raw cuLaunchKernel");
            };
            Launcher wrapped = () -> empty.launch(1, 1, 1, 32, 1, 1, 0, stream, KernelArgs.forCurrentThread());
            Launcher withArgs = () -> echo.launch(1, 1, 1, 1, 1, 1, 0, stream, KernelArgs.forCurrentThread()
                    .ptr(buffer).i32(1).i64(2).f32(3).f64(4).ref(pair));

            for (int warm = 0; warm < 3; warm++) {
                microsPerLaunch(raw);
                microsPerLaunch(wrapped);
                microsPerLaunch(withArgs);
            }
            double rawUs = microsPerLaunch(raw);
            double wrappedUs = microsPerLaunch(wrapped);
            double argsUs = microsPerLaunch(withArgs);
            reporter.publishEntry("launch overhead", ("raw cuLaunchKernel %.2f us, CudaFunction.launch %.2f us, "
                    + "with 6 packed arguments %.2f us (median of %d x %d)").formatted(rawUs, wrappedUs, argsUs,
                    ROUNDS, LAUNCHES_PER_ROUND));
            assertTrue(wrappedUs - rawUs < 1.0, "the wrapper adds " + (wrappedUs - rawUs) + " us");
            assertTrue(argsUs < 5.0, "a launch with arguments takes " + argsUs + " us of host time");
        }
    }

    @Test
    void threadsLaunchConcurrentlyOnTheirOwnStreams() throws Exception {
        try (CudaModule module = context.loadPtx(TestPtx.kernels(target));
             ExecutorService pool = Executors.newFixedThreadPool(4)) {
            CudaFunction add = module.function("vector_add");
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int n = 10_000 + 37 * t;
                runs.add(pool.submit(() -> {
                    try (CudaStream stream = context.createStream()) {
                        ModuleGpuTest.checkVectorAdd(context, add, n, stream);
                    }
                }));
            }
            for (Future<?> run : runs) run.get();
        }
    }
}
