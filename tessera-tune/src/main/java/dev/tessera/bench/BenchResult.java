package dev.tessera.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * The timings of one {@link Bench#doBench} run, in milliseconds per call. The {@linkplain #medianMs()
 * median} is the headline figure (robust to the occasional preempted repetition); mean, min, max,
 * standard deviation and the requested quantiles describe the spread.
 */
public final class BenchResult {

    private final double[] sortedMs;
    private final double[] quantiles;
    private final double[] quantileMs;
    private final double meanMs;
    private final double stdevMs;
    private final int warmups;
    private final String device;

    private BenchResult(double[] sortedMs, double[] quantiles, int warmups, String device) {
        this.sortedMs = sortedMs;
        this.quantiles = quantiles;
        this.quantileMs = new double[quantiles.length];
        for (int i = 0; i < quantiles.length; i++) quantileMs[i] = Stats.quantile(sortedMs, quantiles[i]);
        this.meanMs = Stats.mean(sortedMs);
        this.stdevMs = Stats.stdev(sortedMs);
        this.warmups = warmups;
        this.device = device;
    }

    /**
     * A result from per-repetition samples (any order; copied).
     *
     * @param samplesMs milliseconds per repetition, at least one, none negative or NaN
     * @param quantiles the quantiles to report, each in [0, 1]
     * @param warmups   how many untimed warm-up calls preceded them
     * @param device    the device name, or {@code null} when unknown
     */
    public static BenchResult fromSamples(double[] samplesMs, double[] quantiles, int warmups, String device) {
        if (samplesMs.length == 0) throw new IllegalArgumentException("a BenchResult needs at least one sample");
        double[] sorted = samplesMs.clone();
        for (double s : sorted) {
            if (!(s >= 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("sample times must be finite and >= 0 ms, got " + s);
            }
        }
        Arrays.sort(sorted);
        double[] qs = quantiles.clone();
        for (double q : qs) {
            if (!(q >= 0 && q <= 1)) throw new IllegalArgumentException("quantiles must lie in [0, 1], got " + q);
        }
        return new BenchResult(sorted, qs, warmups, device);
    }

    /** A result holding a single time, for providers that measure by other means and return milliseconds. */
    public static BenchResult ofMs(double ms) {
        return fromSamples(new double[] {ms}, new double[0], 0, null);
    }

    /** The median time per call (the headline figure). */
    public double medianMs() { return Stats.quantile(sortedMs, 0.5); }

    public double meanMs() { return meanMs; }

    public double minMs() { return sortedMs[0]; }

    public double maxMs() { return sortedMs[sortedMs.length - 1]; }

    /** Sample standard deviation of the repetition times. */
    public double stdevMs() { return stdevMs; }

    /** The number of timed repetitions. */
    public int samples() { return sortedMs.length; }

    /** The number of untimed warm-up calls. */
    public int warmups() { return warmups; }

    /** The device the work was timed on, or {@code null} when not known (see {@link #ofMs}). */
    public String device() { return device; }

    /** The requested quantiles, in the order given (a copy). */
    public double[] quantiles() { return quantiles.clone(); }

    /** The times at the requested quantiles, parallel to {@link #quantiles()} (a copy). */
    public double[] quantileMs() { return quantileMs.clone(); }

    /** The time at any quantile {@code q} in [0, 1], computed from the samples. */
    public double quantileMs(double q) { return Stats.quantile(sortedMs, q); }

    /** All repetition times, ascending (a copy). */
    public double[] sortedSamplesMs() { return sortedMs.clone(); }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "median %s ms (mean %s, min %s, max %s", Fmt.number(medianMs()), Fmt.number(meanMs),
                Fmt.number(minMs()), Fmt.number(maxMs())));
        for (int i = 0; i < quantiles.length; i++) {
            sb.append(", p").append(Fmt.number(quantiles[i] * 100)).append(' ').append(Fmt.number(quantileMs[i]));
        }
        return sb.append("; ").append(samples()).append(" samples)").toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BenchResult r && Arrays.equals(sortedMs, r.sortedMs) && Arrays.equals(quantiles, r.quantiles)
                && warmups == r.warmups && Objects.equals(device, r.device);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(sortedMs), Arrays.hashCode(quantiles), warmups, device);
    }
}
