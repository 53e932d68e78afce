package dev.tessera.autotune;

import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.backend.KernelResources;
import dev.tessera.bench.Progress;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AutotunerTest {

    @TempDir Path cacheDir;
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);

    String log() { return logBytes.toString(StandardCharsets.UTF_8); }

    Autotuner.Builder base(dev.tessera.runtime.JitKernel k) {
        return Autotuner.builder(k).cache(TuningCache.at(cacheDir)).log(log).progress(Progress.Mode.NONE).rounds(1);
    }

    static Grid byBlock(int n) { return meta -> new int[] {(n + (int) meta.get("BLOCK") - 1) / (int) meta.get("BLOCK")}; }

    @Test
    void picksTheFastestOfPlantedConfigsAndNeverTheOneDoingExtraWork() {
        int n = 1 << 16;
        Config slow = Config.of("BLOCK", 1024, "EXTRA", 200);
        List<Config> configs = List.of(Config.of("BLOCK", 256, "EXTRA", 0), slow, Config.of("BLOCK", 1024, "EXTRA", 0),
                Config.of("BLOCK", 4096, "EXTRA", 0));
        try (Tensor x = Tensor.randn(DType.F32, 1, Device.cpu(), n); Tensor out = Tensor.full(DType.F32, Double.NaN, Device.cpu(), n)) {
            Autotuner tuner = base(TestKernels.COPY).configs(configs).key("n").benchmarker(TestKernels.quick()).verbose(true).build();
            tuner.launch(byBlock(n), x, out, n);
            TuningResult r = tuner.results().values().iterator().next();
            assertEquals(4, r.timed().size(), r.table().toString());
            assertNotEquals(slow, r.best(), r.table().toString());
            assertEquals(0, r.best().intValue("EXTRA"));
            double slowMs = r.trials().stream().filter(t -> t.config().equals(slow)).findFirst().orElseThrow().ms();
            assertTrue(slowMs > 3 * r.bestMs(), "the planted slow config is clearly slower: " + r.table());
            for (TuningResult.Trial t : r.timed()) assertTrue(r.bestMs() <= t.ms(), "winner is the minimum: " + r.table());
            assertArrayEquals(x.toFloatArray(), out.toFloatArray(), "the launch after tuning produced the result");
            assertTrue(log().contains("<- best"), "verbose prints each config and the winner:\n" + log());
            assertTrue(log().contains(slow.toString()), log());
        }
    }

    @Test
    void picksTheMinimumOfDeterministicPlantedTimes() {
        try (Tensor cost = Tensor.zeros(DType.I32, Device.cpu(), 1)) {
            var bench = new TestKernels.PlantedBenchmarker(cost);
            Autotuner tuner = base(TestKernels.PLANTED).benchmarker(bench)
                    .configs(Config.of("COST", 30), Config.of("COST", 7).warps(8), Config.of("COST", 12).stages(2), Config.of("COST", 9))
                    .heuristic("BLOCK", a -> 16).build();
            Config best = tuner.bestConfig(grid(1), new Object[] {cost}, Map.of());
            assertEquals(Config.of("COST", 7).warps(8), best);
            assertEquals(4, bench.calls.get());
            tuner.launch(grid(1), cost);
            assertEquals(4, bench.calls.get(), "the same key is not tuned again");
            assertEquals(7, cost.toLongArray()[0], "the launch used the winner");
        }
    }

    @Test
    void heuristicsComputeMetaParametersFromArguments() {
        int n = 3000;
        try (Tensor x = Tensor.randn(DType.F32, 2, Device.cpu(), n); Tensor out = Tensor.zeros(DType.F32, Device.cpu(), n)) {
            Heuristics h = Heuristics.of(TestKernels.COPY).set("BLOCK", a -> Heuristics.nextPowerOf2(a.intValue("n")))
                    .set("EXTRA", a -> a.intValue("BLOCK") > 1 << 20 ? 1 : 0);
            assertEquals(Map.of("BLOCK", 4096, "EXTRA", 0), h.apply(Autotuner.argsOf(TestKernels.COPY, new Object[] {x, out, n}, Map.of())));
            h.launch(grid(1), x, out, n);
            assertArrayEquals(x.toFloatArray(), out.toFloatArray());
        }
        assertEquals(1, Heuristics.nextPowerOf2(0));
        assertEquals(1, Heuristics.nextPowerOf2(1));
        assertEquals(1024, Heuristics.nextPowerOf2(1000));
        assertEquals(1024, Heuristics.nextPowerOf2(1024));
        assertEquals(2048, Heuristics.nextPowerOf2(1025));
        assertEquals(4, Heuristics.cdiv(10, 3));
    }

    @Test
    void resetToZeroPreventsDoubleCountingByAnAtomicAccumulator() {
        int n = 10_000;
        long[] values = LongStream.range(0, n).map(i -> i % 97).toArray();
        long expected = LongStream.of(values).sum();
        List<Config> configs = List.of(Config.of("BLOCK", 256), Config.of("BLOCK", 1024), Config.of("BLOCK", 4096));
        try (Tensor x = Tensor.fromLongs(values, DType.I32, Device.cpu(), n); Tensor total = Tensor.zeros(DType.I32, Device.cpu(), 1)) {
            Autotuner tuner = base(TestKernels.ATOMIC_SUM).configs(configs).key("n").resetToZero("total")
                    .benchmarker(TestKernels.quick()).build();
            tuner.launch(byBlock(n), x, total, n);
            assertEquals(3, tuner.results().values().iterator().next().timed().size());
            assertEquals(expected, total.toLongArray()[0], "one launch's worth, not the trials' too");
            tuner.launch(byBlock(n), x, total, n);
            assertEquals(2 * expected, total.toLongArray()[0], "after tuning, launches accumulate as the user asked");
        }
        // Control: without resetToZero the trials' sums leak into the output.
        try (Tensor x = Tensor.fromLongs(values, DType.I32, Device.cpu(), n); Tensor total = Tensor.zeros(DType.I32, Device.cpu(), 1)) {
            Autotuner tuner = base(TestKernels.ATOMIC_SUM).configs(configs).key("n").cache(TuningCache.disabled())
                    .benchmarker(TestKernels.quick()).build();
            tuner.launch(byBlock(n), x, total, n);
            assertTrue(total.toLongArray()[0] > expected, "the control shows the test can fail");
        }
    }

    @Test
    void restoreValuePutsBackInPlaceUpdates() {
        int n = 5000;
        try (Tensor x = Tensor.randn(DType.F32, 3, Device.cpu(), n)) {
            float[] before = x.toFloatArray();
            Autotuner tuner = base(TestKernels.INCREMENT).configs(Config.of("BLOCK", 128), Config.of("BLOCK", 2048))
                    .key("n").restoreValue("x").benchmarker(TestKernels.quick()).build();
            tuner.launch(byBlock(n), x, n);
            float[] after = x.toFloatArray();
            for (int i = 0; i < n; i++) assertEquals(before[i] + 1f, after[i], 0f, "element " + i);
        }
    }

    @Test
    void configsThatDoNotCompileOrExceedLimitsAreSkippedWithReasons() {
        int n = 4096;
        try (Tensor x = Tensor.randn(DType.F32, 4, Device.cpu(), n); Tensor out = Tensor.zeros(DType.F32, Device.cpu(), n)) {
            Config bad = Config.of("BLOCK", 100, "EXTRA", 0);                // arange needs a power of two
            Config tooManyThreads = Config.of("BLOCK", 256, "EXTRA", 0).warps(8);
            Config tooMuchShared = Config.of("BLOCK", 4096, "EXTRA", 0);
            Config good = Config.of("BLOCK", 512, "EXTRA", 0);
            Autotuner tuner = base(TestKernels.COPY).configs(bad, tooManyThreads, tooMuchShared, good).key("n")
                    .limits(Map.of("maxThreadsPerBlock", 128L, "sharedMemoryPerBlock", 4096L))
                    .resources((c, a) -> Map.of("sharedMemoryPerBlock", 4L * c.intValue("BLOCK")))
                    .benchmarker(TestKernels.quick()).build();
            tuner.launch(byBlock(n), x, out, n);
            TuningResult r = tuner.results().values().iterator().next();
            assertEquals(good, r.best());
            Map<Config, String> why = new java.util.HashMap<>();
            for (TuningResult.Trial t : r.skipped()) why.put(t.config(), t.skipped());
            assertTrue(why.get(bad).startsWith("does not compile"), why.toString());
            assertTrue(why.get(tooManyThreads).contains("256 threads") && why.get(tooManyThreads).contains("128"), why.toString());
            assertTrue(why.get(tooMuchShared).contains("16384 sharedMemoryPerBlock"), why.toString());
            assertTrue(log().contains("skipped config " + bad), "skips are logged:\n" + log());
            assertArrayEquals(x.toFloatArray(), out.toFloatArray());
        }
    }

    @Test
    void aKernelTooLargeForTheDeviceIsSkippedWithTheBackendsMessage() {
        int n = 5000;
        try (Tensor x = Tensor.randn(DType.F32, 6, Device.cpu(), n); Tensor out = Tensor.zeros(DType.F32, Device.cpu(), n)) {
            Config tooLarge = Config.of("BLOCK", 2048), fits = Config.of("BLOCK", 512);
            Autotuner tuner = base(TestKernels.COPY_WITH_LIMIT).configs(tooLarge, fits).key("n").benchmarker(TestKernels.quick()).build();
            tuner.launch(byBlock(n), x, out, n);
            TuningResult r = tuner.results().values().iterator().next();
            assertEquals(fits, r.best());
            String why = r.trials().stream().filter(t -> t.config().equals(tooLarge)).findFirst().orElseThrow().skipped();
            assertEquals("exceeds a resource limit: copyWithLimit[BLOCK=2048, stages=3, warps=4]: needs 131072 bytes of shared memory,"
                    + " the device allows 65536 per block", why);
            assertTrue(log().contains("skipped config " + tooLarge + ": exceeds a resource limit: copyWithLimit[BLOCK=2048"), log());
            assertTrue(r.table().toString().contains("needs 131072 bytes of shared memory"), r.table().toString());
            assertArrayEquals(x.toFloatArray(), out.toFloatArray());
        }
        assertEquals("does not compile: boom", Autotuner.compileFailure(new IllegalStateException("boom")));
        assertEquals("exceeds a resource limit: k[]: needs 2 bytes of shared memory, the device allows 1 per block",
                Autotuner.compileFailure(new RuntimeException("wrapped", KernelResources.sharedMemoryExceeded("k[]", 2, 1))));
    }

    @Test
    void theTableShowsEachConfigsRegistersAndMemoryWhereTheBackendReportsThem() {
        Config a = Config.of("BLOCK", 128), b = Config.of("BLOCK", 256);
        TuningResult r = new TuningResult("k", "n=1", "cuda:0 test", a, List.of(
                new TuningResult.Trial(a, dev.tessera.bench.BenchResult.ofMs(1.5), null, new KernelResources(40, 0, 2048, 0, 128, 1024)),
                new TuningResult.Trial(b, null, "failed when run: fault", new KernelResources(96, 0, 4096, 24, 128, 640))), false, null, 1);
        String table = r.table().toString();
        assertTrue(table.contains("resources") && table.contains("40 regs, 2048 B shared, 0 B local")
                && table.contains("96 regs, 4096 B shared, 24 B local"), table);
        TuningResult cpu = new TuningResult("k", "n=1", "cpu", a, List.of(new TuningResult.Trial(a, dev.tessera.bench.BenchResult.ofMs(1), null)),
                false, null, 1);
        assertFalse(cpu.table().toString().contains("resources"), "no column where no backend reported any:\n" + cpu.table());
    }

    @Test
    void whenEveryConfigFailsTheErrorListsEachAndWhy() {
        int n = 100;
        try (Tensor x = Tensor.randn(DType.F32, 5, Device.cpu(), n); Tensor out = Tensor.zeros(DType.F32, Device.cpu(), n)) {
            Autotuner tuner = base(TestKernels.COPY).configs(Config.of("BLOCK", 100, "EXTRA", 0), Config.of("BLOCK", 64, "EXTRA", 0).warps(32))
                    .limits(Map.of("maxThreadsPerBlock", 512L)).key("n").benchmarker(TestKernels.quick()).build();
            AutotuneException e = assertThrows(AutotuneException.class, () -> tuner.launch(byBlock(n), x, out, n));
            assertEquals(2, e.trials().size());
            assertTrue(e.getMessage().contains("BLOCK=100, EXTRA=0, warps=4, stages=3: does not compile"), e.getMessage());
            assertTrue(e.getMessage().contains("BLOCK=64, EXTRA=0, warps=32, stages=3: exceeds a resource limit"), e.getMessage());
        }
    }

    @Test
    void pruneHookAndPerformanceModelNarrowTheCandidates() {
        try (Tensor cost = Tensor.zeros(DType.I32, Device.cpu(), 1)) {
            var bench = new TestKernels.PlantedBenchmarker(cost);
            List<Config> configs = List.of(Config.of("COST", 1), Config.of("COST", 2), Config.of("COST", 3),
                    Config.of("COST", 4), Config.of("COST", 5), Config.of("COST", 6));
            Autotuner tuner = base(TestKernels.PLANTED).configs(configs).benchmarker(bench).heuristic("BLOCK", a -> 16)
                    .prune((cs, a) -> cs.stream().filter(c -> c.intValue("COST") != 1).toList())
                    .performanceModel((c, a) -> 10.0 - c.intValue("COST"), 2)   // claims high COST is fast
                    .build();
            TuningResult r = tuner.tune(grid(1), new Object[] {cost}, Map.of());
            assertEquals(2, bench.calls.get(), "only the top 2 of the model are timed");
            assertEquals(Config.of("COST", 5), r.best());
            assertEquals("pruned by the prune hook", r.trials().get(0).skipped());
            assertTrue(r.trials().get(1).skipped().contains("performance model"), r.trials().get(1).skipped());
        }
    }

    @Test
    void aNewKeyValueOrDtypeTriggersRetuning() {
        try (Tensor a = Tensor.randn(DType.F32, 6, Device.cpu(), 1000); Tensor b = Tensor.zeros(DType.F32, Device.cpu(), 1000);
             Tensor c = Tensor.randn(DType.F32, 7, Device.cpu(), 2000); Tensor d = Tensor.zeros(DType.F32, Device.cpu(), 2000);
             Tensor e = Tensor.randn(DType.F16, 8, Device.cpu(), 1000); Tensor f = Tensor.zeros(DType.F16, Device.cpu(), 1000)) {
            Autotuner tuner = base(TestKernels.COPY).configs(Config.of("BLOCK", 256, "EXTRA", 0), Config.of("BLOCK", 512, "EXTRA", 0))
                    .key("n").benchmarker(TestKernels.quick()).build();
            tuner.launch(byBlock(1000), a, b, 1000);
            tuner.launch(byBlock(1000), a, b, 1000);
            assertEquals(1, tuner.results().size());
            tuner.launch(byBlock(2000), c, d, 2000);
            assertEquals(2, tuner.results().size());
            tuner.launch(byBlock(1000), e, f, 1000);
            assertEquals(3, tuner.results().size(), tuner.results().keySet().toString());
            assertTrue(tuner.results().keySet().stream().anyMatch(k -> k.contains("n=2000")), tuner.results().keySet().toString());
            assertTrue(tuner.results().keySet().stream().anyMatch(k -> k.contains("x:f16")), tuner.results().keySet().toString());
        }
    }

    @Test
    void onTheCpuConfigsDifferingOnlyInWarpsAndStagesAreTimedOnce() {
        try (Tensor cost = Tensor.zeros(DType.I32, Device.cpu(), 1)) {
            var bench = new TestKernels.PlantedBenchmarker(cost);
            Autotuner tuner = base(TestKernels.PLANTED).benchmarker(bench).heuristic("BLOCK", a -> 16)
                    .configs(Config.of("COST", 5).warps(4), Config.of("COST", 5).warps(8).stages(4), Config.of("COST", 6)).build();
            TuningResult r = tuner.tune(grid(1), new Object[] {cost}, Map.of());
            assertEquals(2, bench.calls.get());
            assertTrue(r.trials().get(1).skipped().contains("ignores warps and stages"), r.trials().get(1).skipped());
            var gpuLike = new TestKernels.PlantedBenchmarker(cost);
            base(TestKernels.PLANTED).benchmarker(gpuLike).heuristic("BLOCK", a -> 16).launchOptionsMatter(d -> true)
                    .cache(TuningCache.disabled())
                    .configs(Config.of("COST", 5).warps(4), Config.of("COST", 5).warps(8).stages(4), Config.of("COST", 6)).build()
                    .tune(grid(1), new Object[] {cost}, Map.of());
            assertEquals(3, gpuLike.calls.get());
        }
    }

    @Test
    void interleavedRoundsKeepEachConfigsBestMedian() {
        try (Tensor cost = Tensor.zeros(DType.I32, Device.cpu(), 1)) {
            // A drifting machine: the n-th measurement reads cost + 10 * (n % 3) (so rounds 1 and 2 drift by 10 and 20).
            int[] calls = {0};
            dev.tessera.bench.Benchmarker drifting = fn -> {
                fn.run();
                return dev.tessera.bench.BenchResult.ofMs(cost.toLongArray()[0] + 10.0 * (calls[0]++ / 2));
            };
            TuningResult r = base(TestKernels.PLANTED).benchmarker(drifting).heuristic("BLOCK", a -> 16).rounds(3)
                    .configs(Config.of("COST", 5), Config.of("COST", 3)).build().tune(grid(1), new Object[] {cost}, Map.of());
            assertEquals(6, calls[0], "two configs, three rounds");
            assertEquals(Config.of("COST", 3), r.best());
            assertEquals(3.0, r.bestMs(), 1e-9, "the best round's median");
            assertEquals(5.0, r.trials().get(0).ms(), 1e-9);
        }
    }

    @Test
    void configsAreCheckedAgainstTheKernel() {
        var e = assertThrows(IllegalArgumentException.class, () -> base(TestKernels.COPY).configs(Config.of("BLOK", 1)).build());
        assertTrue(e.getMessage().contains("no constexpr of that name"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> base(TestKernels.COPY).configs(Config.of("BLOCK", 1)).key("m").build());
        assertTrue(e.getMessage().contains("key names m"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> base(TestKernels.COPY).configs(Config.of("BLOCK", 1)).resetToZero("BLOCK").build());
        assertTrue(e.getMessage().contains("not a runtime parameter"), e.getMessage());
        assertEquals("BLOCK=64, EXTRA=0, warps=8, stages=2", Config.of("BLOCK", 64, "EXTRA", 0).warps(8).stages(2).toString());
        assertThrows(IllegalArgumentException.class, () -> Config.of("BLOCK", 64).warps(3));
    }
}
