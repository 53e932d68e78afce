package dev.tessera.kernels.bench;

import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.BenchResult;
import dev.tessera.bench.Bench;
import dev.tessera.bench.PerfReport;
import dev.tessera.bench.Provider;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Builds the {@link PerfReport} of one kernel benchmark: every provider at every size, each
 * measurement preparing its inputs (untimed), timing the work with {@code doBench} and the
 * provider's timer, and freeing the inputs.
 *
 * <pre>{@code
 * BenchSuite suite = new BenchSuite(KernelBench.SOFTMAX, BenchSettings.of(DType.F32, Device.cpu()), BenchOptions.defaults());
 * SweepResult r = suite.report(suite.kernel().defaultSizes(Device.cpu()), BenchProviders.all()).build().run();
 * }</pre>
 */
public final class BenchSuite {

    private final KernelBench kernel;
    private final BenchSettings settings;
    private final BenchOptions options;
    private final Map<String, Map<Long, String>> notes = new ConcurrentHashMap<>();
    private volatile long deadlineNanos = Long.MAX_VALUE;
    private volatile double timeLimitSeconds;

    public BenchSuite(KernelBench kernel, BenchSettings settings, BenchOptions options) {
        this.kernel = kernel;
        this.settings = settings;
        this.options = options;
    }

    public KernelBench kernel() { return kernel; }

    public BenchSettings settings() { return settings; }

    /**
     * Stops starting measurements {@code seconds} from now: those not begun by then fail with a
     * message saying so (the sweep keeps what it measured), so a slow path cannot take a whole
     * time-limited run (the GPU report's). A measurement under way, tuning included, runs to its end.
     */
    public BenchSuite stopAfter(double seconds) {
        if (!(seconds > 0)) throw new IllegalArgumentException("the time limit must be a positive number of seconds, got " + seconds);
        timeLimitSeconds = seconds;
        deadlineNanos = System.nanoTime() + (long) (seconds * 1e9);
        return this;
    }

    /** A report builder over {@code sizes} and {@code providers}; callers may adjust it before {@code build()}. */
    public PerfReport.Builder report(long[] sizes, List<BenchProvider> providers) {
        String dtype = settings.dtypeLabel(kernel);
        boolean listed = kernel.listedSizes(settings) != null;
        PerfReport.Builder b = PerfReport.builder(kernel.name() + "-" + dtype + (settings.bTransposed() ? "-bt" : "") + "-"
                        + settings.device().backend())
                .title(kernel.name() + " (" + dtype + (settings.bTransposed() ? ", B as W.T" : "") + ", " + settings.device() + ")")
                .kernel(kernel.name()).dtype(dtype)
                .x(kernel.xName(settings), sizes).shape(x -> kernel.shape(x, settings)).shapeColumn(listed)
                .metric(kernel.metric(settings)).logX(!listed);
        for (BenchProvider p : providers) b.provider(Provider.of(p.name(), x -> measure(p, x)));
        return b;
    }

    /** Prepares, times and frees one measurement. */
    public BenchResult measure(BenchProvider provider, long x) {
        if (System.nanoTime() > deadlineNanos) {
            throw new IllegalStateException("not measured: the time limit of " + timeLimitSeconds + " s ran out before "
                    + kernel.shape(x, settings));
        }
        Problem problem = new Problem(kernel, x, settings);
        String why = provider.unsupported(problem);
        if (why != null) throw new UnsupportedOperationException(provider.name() + ": " + why);
        try (Workload w = provider.prepare(problem)) {
            if (w.note() != null) notes.computeIfAbsent(provider.name(), k -> new TreeMap<>()).put(x, w.note());
            return Bench.doBench(w::run, options.withTimer(w.timer()));
        }
    }

    /**
     * Runs each provider's work at size {@code x} for about {@code ms} milliseconds, untimed, so a
     * JIT-compiled host (the CPU backend, plain Java) has compiled its hot code before the first
     * measurement; without it the first size of a CPU sweep reads several times too slow. Tuning
     * happens here too, when the settings ask for it.
     */
    public void warmUp(List<BenchProvider> providers, long x, double ms) {
        Problem problem = new Problem(kernel, x, settings);
        for (BenchProvider p : providers) {
            if (p.unsupported(problem) != null) continue;
            try (Workload w = p.prepare(problem)) {
                long end = System.nanoTime() + (long) (ms * 1e6);
                do {
                    w.run();
                    w.timer().synchronize();
                } while (System.nanoTime() < end);
            } catch (RuntimeException e) {
                // the sweep will report it
            }
        }
    }

    /** Remarks the providers made (e.g. tuned configs), by provider and size. */
    public Map<String, Map<Long, String>> notes() { return notes; }
}
