package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.Test;

class BenchTest {

    /** Busy-waits for {@code nanos} of wall time: a calibrated workload on any machine. */
    static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) Thread.onSpinWait();
    }

    static volatile double sink;

    /** Arithmetic whose cost is proportional to {@code n}, independent of the clock. */
    static void compute(int n) {
        double acc = 1;
        for (int i = 0; i < n; i++) acc = acc * 1.0000001 + 1e-9;
        sink = acc;
    }

    private static BenchOptions quick() {
        return BenchOptions.defaults().withWarmupMs(5).withRepMs(30).withFlushCache(false);
    }

    @Test
    void countsFollowTheBudgetsExactlyOnAVirtualClock() {
        FakeTimer t = new FakeTimer();
        int[] calls = {0};
        BenchResult r = Bench.doBench(() -> { calls[0]++; t.advance(1.0); },
                BenchOptions.defaults().withTimer(t).withFlushCache(true));
        // 1 first call + 5 estimate calls + 25 warm-ups (25 ms / 1 ms) + 100 repetitions (100 ms / 1 ms)
        assertEquals(100, r.samples());
        assertEquals(25, r.warmups());
        assertEquals(1 + 5 + 25 + 100, calls[0]);
        assertEquals(5 + 100, t.flushes, "flush before each estimate call and each repetition");
        assertEquals(1.0, r.medianMs(), 1e-12);
        assertEquals(1.0, r.minMs(), 1e-12);
        assertEquals(1.0, r.maxMs(), 1e-12);
        assertEquals("fake device", r.device());
        assertEquals(t.eventSets, t.closedEventSets, "event sets are closed");
        assertTrue(t.synchronizes >= 3, "synchronize after first call, estimate and timed loop");
    }

    @Test
    void slowWorkStillGetsAtLeastOneWarmupAndOneRepetition() {
        FakeTimer t = new FakeTimer();
        BenchResult r = Bench.doBench(() -> t.advance(500), BenchOptions.defaults().withTimer(t));
        assertEquals(1, r.samples());
        assertEquals(1, r.warmups());
    }

    @Test
    void zeroWarmupMeansNoWarmupCalls() {
        FakeTimer t = new FakeTimer();
        BenchResult r = Bench.doBench(() -> t.advance(1), BenchOptions.defaults().withTimer(t).withWarmupMs(0));
        assertEquals(0, r.warmups());
    }

    @Test
    void maxRepeatsCapsVeryFastWork() {
        FakeTimer t = new FakeTimer();
        BenchResult r = Bench.doBench(() -> t.advance(1e-6), BenchOptions.defaults().withTimer(t).withMaxRepeats(1000));
        assertEquals(1000, r.samples());
        FakeTimer zero = new FakeTimer();
        BenchResult z = Bench.doBench(() -> {}, BenchOptions.defaults().withTimer(zero).withMaxRepeats(50).withWarmupMs(0));
        assertEquals(50, z.samples(), "a zero estimate uses the cap rather than dividing by zero");
        assertEquals(0, z.medianMs());
    }

    @Test
    void fixedCountsSkipTheEstimate() {
        FakeTimer t = new FakeTimer();
        int[] calls = {0};
        BenchResult r = Bench.doBench(() -> { calls[0]++; t.advance(2); },
                BenchOptions.defaults().withTimer(t).withFixedCounts(3, 7));
        assertEquals(7, r.samples());
        assertEquals(3, r.warmups());
        assertEquals(1 + 3 + 7, calls[0]);
        assertEquals(7, t.flushes);
    }

    @Test
    void statisticsOfKnownSamples() {
        FakeTimer t = new FakeTimer();
        // the first (untimed) call takes 0 ms, then 5 timed calls take 5, 1, 4, 2 and 3 ms
        double[] durations = {0, 5, 1, 4, 2, 3};
        int[] k = {0};
        BenchResult r = Bench.doBench(() -> t.advance(durations[k[0]++]),
                BenchOptions.defaults().withTimer(t).withFixedCounts(0, 5).withQuantiles(0.2, 0.8, 0.5));
        assertEquals(3, r.medianMs(), 1e-12);
        assertEquals(3, r.meanMs(), 1e-12);
        assertEquals(1, r.minMs(), 1e-12);
        assertEquals(5, r.maxMs(), 1e-12);
        assertArrayEquals(new double[] {1.8, 4.2, 3.0}, r.quantileMs(), 1e-12);
        assertArrayEquals(new double[] {1, 2, 3, 4, 5}, r.sortedSamplesMs(), 1e-12);
        assertEquals(Math.sqrt(2.5), r.stdevMs(), 1e-12);
    }

    @Test
    void busyWaitOfOneMillisecondMeasuresAboutOneMillisecond() {
        BenchResult r = Bench.doBench(() -> spin(1_000_000), quick());
        // a spin can only take longer than asked; preemption on a busy machine inflates some
        // repetitions, which the median shrugs off and the minimum avoids altogether
        assertTrue(r.minMs() >= 0.95 && r.minMs() < 2, "min " + r);
        assertTrue(r.medianMs() >= 0.95 && r.medianMs() < 10, "median " + r);
    }

    @Test
    void fourTimesTheWorkMeasuresLonger() {
        BenchOptions o = quick();
        BenchResult spin1 = Bench.doBench(() -> spin(500_000), o);
        BenchResult spin4 = Bench.doBench(() -> spin(2_000_000), o);
        assertTrue(spin4.medianMs() > spin1.medianMs(), spin1 + " vs " + spin4);
        assertTrue(spin4.minMs() > 3 * spin1.minMs(), spin1 + " vs " + spin4);

        BenchResult work1 = Bench.doBench(() -> compute(200_000), o);
        BenchResult work4 = Bench.doBench(() -> compute(800_000), o);
        assertTrue(work4.medianMs() > work1.medianMs(), work1 + " vs " + work4);
        assertTrue(work4.minMs() > 2 * work1.minMs(), work1 + " vs " + work4);
    }

    @Test
    void quantilesAreOrdered() {
        BenchResult r = Bench.doBench(() -> compute(20_000), quick().withQuantiles(0.1, 0.2, 0.5, 0.8, 0.9));
        double[] q = r.quantileMs();
        assertTrue(r.minMs() <= q[0]);
        for (int i = 1; i < q.length; i++) assertTrue(q[i - 1] <= q[i], java.util.Arrays.toString(q));
        assertTrue(q[q.length - 1] <= r.maxMs());
        assertEquals(r.medianMs(), q[2], 1e-12);
        assertTrue(r.minMs() <= r.meanMs() && r.meanMs() <= r.maxMs());
    }

    @Test
    void budgetsAreRespectedRoughly() {
        BenchOptions o = BenchOptions.defaults().withWarmupMs(10).withRepMs(40).withFlushCache(false);
        long t0 = System.nanoTime();
        BenchResult r = Bench.doBench(() -> spin(1_000_000), o);
        double wallMs = (System.nanoTime() - t0) * 1e-6;
        // ~1 ms per call: ~10 warm-ups, ~40 repetitions, ~56 ms in all
        // (a busy machine inflates the estimate, so fewer calls are made, never more)
        assertTrue(r.samples() >= 5 && r.samples() <= 41, "samples " + r.samples());
        assertTrue(r.warmups() >= 1 && r.warmups() <= 11, "warmups " + r.warmups());
        assertTrue(wallMs < 2000, "took " + wallMs + " ms");
    }

    @Test
    void flushingWorksOnTheCpuAndIsNotTimed() {
        CpuTimer t = new CpuTimer(8L << 20);
        BenchResult r = Bench.doBench(() -> spin(200_000),
                BenchOptions.defaults().withTimer(t).withFixedCounts(2, 10));
        assertEquals(10, r.samples());
        assertTrue(r.medianMs() < 5, "flush time must not be counted: " + r);
    }

    @Test
    void timedLoopAllocatesOnlyTheSampleArrays() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        Runnable fn = () -> compute(10);
        BenchOptions base = BenchOptions.defaults().withFlushCache(false).withQuantiles();
        long small = Long.MAX_VALUE, large = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) { // the minimum drops one-time costs (class loading, JIT)
            long a = mx.getThreadAllocatedBytes(tid);
            Bench.doBench(fn, base.withFixedCounts(0, 10));
            long b = mx.getThreadAllocatedBytes(tid);
            Bench.doBench(fn, base.withFixedCounts(0, 10_010));
            long c = mx.getThreadAllocatedBytes(tid);
            small = Math.min(small, b - a);
            large = Math.min(large, c - b);
        }
        // per repetition: two long markers, one double sample and its sorted copy = 32 bytes
        double perRep = (large - small) / 10_000.0;
        System.out.println("doBench allocates " + perRep + " bytes per timed repetition");
        assertTrue(perRep <= 40, "allocated " + perRep + " bytes per repetition");
    }

    @Test
    void optionValidationSaysWhatIsWrong() {
        BenchOptions d = BenchOptions.defaults();
        assertMessage(() -> d.withRepMs(0), "repMs");
        assertMessage(() -> d.withRepMs(Double.NaN), "repMs");
        assertMessage(() -> d.withWarmupMs(-1), "warmupMs");
        assertMessage(() -> d.withWarmupMs(Double.POSITIVE_INFINITY), "warmupMs");
        assertMessage(() -> d.withQuantiles(0.2, 80), "quantiles must lie in [0, 1], got 80.0");
        assertMessage(() -> d.withQuantiles(Double.NaN), "quantiles");
        assertMessage(() -> d.withEstimateCalls(0), "estimateCalls");
        assertMessage(() -> d.withMaxRepeats(0), "maxRepeats");
        assertMessage(() -> d.withFixedCounts(-1, 5), "warmups");
        assertMessage(() -> d.withFixedCounts(0, 0), "repeats");
        NullPointerException npe = assertThrows(NullPointerException.class, () -> d.withTimer(null));
        assertTrue(npe.getMessage().contains("timer"));
    }

    @Test
    void optionsAreImmutable() {
        double[] q = {0.2, 0.8};
        BenchOptions o = BenchOptions.defaults().withQuantiles(q);
        q[0] = 0.9;
        assertEquals(0.2, o.quantiles()[0]);
        o.quantiles()[0] = 0.7;
        assertEquals(0.2, o.quantiles()[0]);
        assertEquals(o, BenchOptions.defaults().withQuantiles(0.2, 0.8));
        assertEquals(25, BenchOptions.defaults().warmupMs());
        assertEquals(100, BenchOptions.defaults().repMs());
    }

    @Test
    void benchmarkerDelegates() {
        FakeTimer t = new FakeTimer();
        Benchmarker b = Benchmarker.of(BenchOptions.defaults().withTimer(t).withFixedCounts(0, 4));
        assertEquals(4, b.bench(() -> t.advance(3)).samples());
    }

    @Test
    void deviceTimersFindTheCpu() {
        assertSame(CpuTimer.shared(), DeviceTimers.forDevice("cpu"));
        assertSame(CpuTimer.shared(), DeviceTimers.forDevice(" CPU "));
        assertMessage(() -> DeviceTimers.forDevice("cuda:0"), "cuda"); // no CUDA backend on this module's class path
        assertFalse(CpuTimer.shared().deviceName().isBlank());
        assertTrue(CpuTimer.shared().flushBytes() >= CacheFlushBuffer.MIN_DEFAULT_BYTES);
    }

    @Test
    void cacheSizesParse() {
        assertEquals(32L << 20, CpuInfo.parseSize("32768K\n"));
        assertEquals(32L << 20, CpuInfo.parseSize("32M"));
        assertEquals(512, CpuInfo.parseSize("512"));
        assertEquals(0, CpuInfo.parseSize("lots"));
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable e, String part) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(part), "message '" + ex.getMessage() + "' lacks '" + part + "'");
    }
}
