package dev.tessera.bench;

import java.util.Objects;
import java.util.function.LongFunction;
import java.util.function.LongToDoubleFunction;

/**
 * One line of a {@link PerfReport}: an implementation measured at every x (e.g. {@code "tessera"},
 * {@code "java"}). The function does its own setup for x (allocating inputs outside the timed work)
 * and returns the timing, usually from {@link Bench#doBench}.
 *
 * @param name    the column and legend name
 * @param measure the timing at x
 * @param metric  the metric for this provider, or {@code null} for the report's; it must have the
 *                report metric's unit (e.g. to count the bytes a provider really moves)
 */
public record Provider(String name, LongFunction<BenchResult> measure, Metric metric) {

    public Provider {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(measure, "measure");
        if (name.isBlank()) throw new IllegalArgumentException("a provider needs a name");
    }

    /** A provider whose function returns a full {@link BenchResult}. */
    public static Provider of(String name, LongFunction<BenchResult> measure) {
        return new Provider(name, measure, null);
    }

    /** A provider whose function returns the time in milliseconds. */
    public static Provider ofMs(String name, LongToDoubleFunction msOfX) {
        Objects.requireNonNull(msOfX, "msOfX");
        return new Provider(name, x -> BenchResult.ofMs(msOfX.applyAsDouble(x)), null);
    }

    /** This provider with its own metric (same unit as the report's). */
    public Provider withMetric(Metric m) {
        return new Provider(name, measure, Objects.requireNonNull(m, "metric"));
    }
}
