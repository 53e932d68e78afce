package dev.tessera.bench;

import java.util.Arrays;
import java.util.Objects;

/**
 * How {@link Bench#doBench} measures, with Triton's defaults: 25 ms of warm-up, 100 ms of timed
 * repetitions, caches flushed before each repetition. Immutable; the {@code with…} methods return
 * modified copies and reject nonsense with a message naming the option.
 *
 * @param warmupMs      warm-up budget in milliseconds (0 for none); turned into a call count from
 *                      the estimated time per call
 * @param repMs         timed budget in milliseconds (&gt; 0); turned into the repetition count
 * @param quantiles     quantiles to report besides the median, each in [0, 1], e.g. {0.2, 0.8}
 * @param flushCache    flush the device caches before every timed repetition (not timed)
 * @param timer         how repetitions are timed; by default {@link DeviceTimers#ofWork()}, the timer
 *                      of the device the work launches on (the CPU's for plain Java work)
 * @param estimateCalls calls timed together to estimate the time per call (Triton uses 5)
 * @param maxRepeats    upper bound on timed repetitions, which bounds memory for very fast work
 * @param fixedWarmups  when &ge; 0, this many warm-up calls regardless of {@code warmupMs}
 * @param fixedRepeats  when &ge; 1, this many timed repetitions regardless of {@code repMs};
 *                      with both fixed counts set, no estimate is made and the run is fully
 *                      deterministic in its number of calls
 */
public record BenchOptions(double warmupMs, double repMs, double[] quantiles, boolean flushCache,
                           DeviceTimer timer, int estimateCalls, int maxRepeats,
                           int fixedWarmups, int fixedRepeats) {

    public static final double DEFAULT_WARMUP_MS = 25;
    public static final double DEFAULT_REP_MS = 100;
    public static final int DEFAULT_ESTIMATE_CALLS = 5;
    public static final int DEFAULT_MAX_REPEATS = 100_000;
    private static final double[] DEFAULT_QUANTILES = {0.2, 0.8};

    public BenchOptions {
        if (!(warmupMs >= 0) || Double.isInfinite(warmupMs)) {
            throw new IllegalArgumentException("BenchOptions.warmupMs must be a finite number of milliseconds >= 0, got " + warmupMs);
        }
        if (!(repMs > 0) || Double.isInfinite(repMs)) {
            throw new IllegalArgumentException("BenchOptions.repMs must be a finite number of milliseconds > 0, got " + repMs);
        }
        Objects.requireNonNull(quantiles, "BenchOptions.quantiles must not be null (use an empty array for none)");
        quantiles = quantiles.clone();
        for (double q : quantiles) {
            if (!(q >= 0 && q <= 1)) {
                throw new IllegalArgumentException("BenchOptions.quantiles must lie in [0, 1], got " + q
                        + " in " + Arrays.toString(quantiles) + " (write 0.2 for the 20th percentile)");
            }
        }
        Objects.requireNonNull(timer, "BenchOptions.timer must not be null (use CpuTimer.shared())");
        if (estimateCalls < 1) {
            throw new IllegalArgumentException("BenchOptions.estimateCalls must be >= 1, got " + estimateCalls);
        }
        if (maxRepeats < 1) {
            throw new IllegalArgumentException("BenchOptions.maxRepeats must be >= 1, got " + maxRepeats);
        }
        if (fixedWarmups < -1) {
            throw new IllegalArgumentException("BenchOptions.fixedWarmups must be >= 0, or -1 to derive it from warmupMs, got " + fixedWarmups);
        }
        if (fixedRepeats == 0 || fixedRepeats < -1) {
            throw new IllegalArgumentException("BenchOptions.fixedRepeats must be >= 1, or -1 to derive it from repMs, got " + fixedRepeats);
        }
        if (fixedRepeats > maxRepeats) {
            throw new IllegalArgumentException("BenchOptions.fixedRepeats (" + fixedRepeats + ") exceeds maxRepeats (" + maxRepeats + ")");
        }
    }

    /**
     * Triton's defaults: 25 ms warm-up, 100 ms repetitions, quantiles 0.2 and 0.8, caches flushed,
     * the timer of the device the work launches on.
     */
    public static BenchOptions defaults() {
        return new BenchOptions(DEFAULT_WARMUP_MS, DEFAULT_REP_MS, DEFAULT_QUANTILES, true,
                DeviceTimers.ofWork(), DEFAULT_ESTIMATE_CALLS, DEFAULT_MAX_REPEATS, -1, -1);
    }

    /** The requested quantiles (a copy). */
    @Override
    public double[] quantiles() {
        return quantiles.clone();
    }

    public BenchOptions withWarmupMs(double ms) {
        return new BenchOptions(ms, repMs, quantiles, flushCache, timer, estimateCalls, maxRepeats, fixedWarmups, fixedRepeats);
    }

    public BenchOptions withRepMs(double ms) {
        return new BenchOptions(warmupMs, ms, quantiles, flushCache, timer, estimateCalls, maxRepeats, fixedWarmups, fixedRepeats);
    }

    public BenchOptions withQuantiles(double... qs) {
        return new BenchOptions(warmupMs, repMs, qs, flushCache, timer, estimateCalls, maxRepeats, fixedWarmups, fixedRepeats);
    }

    public BenchOptions withFlushCache(boolean flush) {
        return new BenchOptions(warmupMs, repMs, quantiles, flush, timer, estimateCalls, maxRepeats, fixedWarmups, fixedRepeats);
    }

    public BenchOptions withTimer(DeviceTimer t) {
        return new BenchOptions(warmupMs, repMs, quantiles, flushCache, t, estimateCalls, maxRepeats, fixedWarmups, fixedRepeats);
    }

    public BenchOptions withEstimateCalls(int calls) {
        return new BenchOptions(warmupMs, repMs, quantiles, flushCache, timer, calls, maxRepeats, fixedWarmups, fixedRepeats);
    }

    public BenchOptions withMaxRepeats(int max) {
        return new BenchOptions(warmupMs, repMs, quantiles, flushCache, timer, estimateCalls, max, fixedWarmups, fixedRepeats);
    }

    /**
     * Fixed call counts instead of time budgets: {@code warmups} &ge; 0 untimed calls, then
     * {@code repeats} &ge; 1 timed ones ({@code maxRepeats} is raised to {@code repeats} if lower).
     */
    public BenchOptions withFixedCounts(int warmups, int repeats) {
        if (warmups < 0) throw new IllegalArgumentException("BenchOptions.withFixedCounts: warmups must be >= 0, got " + warmups);
        if (repeats < 1) throw new IllegalArgumentException("BenchOptions.withFixedCounts: repeats must be >= 1, got " + repeats);
        return new BenchOptions(warmupMs, repMs, quantiles, flushCache, timer, estimateCalls,
                Math.max(maxRepeats, repeats), warmups, repeats);
    }

    /** True when both counts are fixed, so {@link Bench#doBench} makes no estimate. */
    public boolean hasFixedCounts() {
        return fixedWarmups >= 0 && fixedRepeats >= 1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BenchOptions b && Double.compare(warmupMs, b.warmupMs) == 0
                && Double.compare(repMs, b.repMs) == 0 && Arrays.equals(quantiles, b.quantiles)
                && flushCache == b.flushCache && timer.equals(b.timer) && estimateCalls == b.estimateCalls
                && maxRepeats == b.maxRepeats && fixedWarmups == b.fixedWarmups && fixedRepeats == b.fixedRepeats;
    }

    @Override
    public int hashCode() {
        return Objects.hash(warmupMs, repMs, Arrays.hashCode(quantiles), flushCache, timer, estimateCalls,
                maxRepeats, fixedWarmups, fixedRepeats);
    }

    @Override
    public String toString() {
        return "BenchOptions[warmupMs=" + warmupMs + ", repMs=" + repMs + ", quantiles=" + Arrays.toString(quantiles)
                + ", flushCache=" + flushCache + ", timer=" + timer.deviceName() + ", estimateCalls=" + estimateCalls
                + ", maxRepeats=" + maxRepeats + ", fixedWarmups=" + fixedWarmups + ", fixedRepeats=" + fixedRepeats + "]";
    }
}
