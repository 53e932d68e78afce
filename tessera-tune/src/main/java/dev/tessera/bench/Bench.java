package dev.tessera.bench;

import dev.tessera.runtime.LaunchWatch;
import java.util.Objects;

/**
 * Triton's {@code do_bench} for Java: times a piece of work many times and summarizes the
 * per-call times.
 *
 * <p>The procedure (deterministic for given options and a given estimate):
 * <ol>
 *   <li>one untimed call, then synchronize (triggers compilation, allocation, first-touch); with
 *       the default timer ({@link DeviceTimers#ofWork()}) this call also picks the timer: that of
 *       the device the work launched its kernels on, so that work on a GPU is timed by its events
 *       and not by the host clock, which would see only the launches being queued;</li>
 *   <li>unless both counts are fixed: {@code estimateCalls} calls timed together, each preceded by
 *       a cache flush when flushing, give the estimated time per call, and
 *       {@code warmups = max(1, warmupMs / estimate)}, {@code repeats = max(1, repMs / estimate)}
 *       capped at {@code maxRepeats} — so the budgets include flush time, as in Triton;</li>
 *   <li>{@code warmups} untimed calls;</li>
 *   <li>{@code repeats} timed repetitions, each: flush (untimed), start marker, call, stop marker.
 *       The markers are allocated before the loop, so the loop itself allocates nothing;</li>
 *   <li>synchronize once, read the times, and summarize them in a {@link BenchResult}.</li>
 * </ol>
 * The work must be self-contained: on a GPU it should enqueue on the timer's stream; on the CPU it
 * must finish before returning. Work that launches from other threads, or on several devices,
 * needs its timer given ({@link BenchOptions#withTimer}).
 */
public final class Bench {

    private Bench() {}

    /** {@link #doBench(Runnable, BenchOptions)} with {@link BenchOptions#defaults()}. */
    public static BenchResult doBench(Runnable fn) {
        return doBench(fn, BenchOptions.defaults());
    }

    /** Times {@code fn} as described in the class comment. */
    public static BenchResult doBench(Runnable fn, BenchOptions options) {
        Objects.requireNonNull(fn, "fn");
        Objects.requireNonNull(options, "options");
        DeviceTimer timer = options.timer();
        boolean flush = options.flushCache();

        if (timer == DeviceTimers.ofWork()) timer = DeviceTimers.forLaunches(LaunchWatch.devicesOf(fn));
        else fn.run();
        timer.synchronize();

        int warmups, repeats;
        if (options.hasFixedCounts()) {
            warmups = options.fixedWarmups();
            repeats = options.fixedRepeats();
        } else {
            double estimateMs = estimateMs(fn, timer, flush, options.estimateCalls());
            warmups = options.fixedWarmups() >= 0 ? options.fixedWarmups()
                    : options.warmupMs() == 0 ? 0 : callsWithin(options.warmupMs(), estimateMs, Integer.MAX_VALUE);
            repeats = options.fixedRepeats() >= 1 ? options.fixedRepeats()
                    : callsWithin(options.repMs(), estimateMs, options.maxRepeats());
        }

        for (int i = 0; i < warmups; i++) fn.run();

        double[] samples = new double[repeats];
        try (TimingEvents events = timer.events(repeats)) {
            timedLoop(fn, timer, events, flush, repeats);
            timer.synchronize();
            for (int i = 0; i < repeats; i++) samples[i] = Math.max(0, events.elapsedMs(i));
        }
        return BenchResult.fromSamples(samples, options.quantiles(), warmups, timer.deviceName());
    }

    /** The timed loop, kept apart so it stays small and allocation-free. */
    private static void timedLoop(Runnable fn, DeviceTimer timer, TimingEvents events, boolean flush, int repeats) {
        for (int i = 0; i < repeats; i++) {
            if (flush) timer.flushCache();
            events.start(i);
            fn.run();
            events.stop(i);
        }
    }

    /** Mean milliseconds per call (flush included when flushing) over {@code calls} calls. */
    private static double estimateMs(Runnable fn, DeviceTimer timer, boolean flush, int calls) {
        try (TimingEvents events = timer.events(1)) {
            events.start(0);
            for (int i = 0; i < calls; i++) {
                if (flush) timer.flushCache();
                fn.run();
            }
            events.stop(0);
            timer.synchronize();
            return events.elapsedMs(0) / calls;
        }
    }

    /** {@code max(1, floor(budget / perCall))}, at most {@code cap}; {@code cap} when the estimate is 0. */
    static int callsWithin(double budgetMs, double perCallMs, int cap) {
        if (!(perCallMs > 0)) return cap;
        double n = Math.floor(budgetMs / perCallMs);
        return (int) Math.max(1, Math.min(cap, n));
    }
}
