package dev.tessera.bench;

import java.util.Objects;
import java.util.function.LongToDoubleFunction;

/**
 * What a sweep reports for each measurement, computed from the x value and the median time:
 * milliseconds, GB/s, TFLOP/s, GFLOP/s or anything else.
 *
 * @param unit     the unit shown on axes and in table titles, e.g. {@code "GB/s"}
 * @param jsonKey  the key under which results logs record it, e.g. {@code "GBps"}; {@code "ms"} when
 *                 the metric is the time itself (the log records {@code "ms"} anyway)
 * @param function the value for a given x and median milliseconds
 */
public record Metric(String unit, String jsonKey, Function function) {

    /** A metric's value from the x value and the median milliseconds. */
    @FunctionalInterface
    public interface Function {
        double apply(long x, double ms);
    }

    public Metric {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(jsonKey, "jsonKey");
        Objects.requireNonNull(function, "function");
        if (unit.isBlank() || jsonKey.isBlank()) throw new IllegalArgumentException("a metric needs a unit and a JSON key");
    }

    /** The metric's value for {@code x} and {@code ms}. */
    public double apply(long x, double ms) {
        return function.apply(x, ms);
    }

    /** True when the metric is the time itself, so results logs need no extra key. */
    public boolean isTime() {
        return jsonKey.equals("ms");
    }

    /** The median time in milliseconds. */
    public static Metric ms() {
        return new Metric("ms", "ms", (x, ms) -> ms);
    }

    /** GB/s from the bytes that must move (read + written) at each x. */
    public static Metric gbps(LongToDoubleFunction bytesOfX) {
        Objects.requireNonNull(bytesOfX, "bytesOfX");
        return new Metric("GB/s", "GBps", (x, ms) -> Throughput.gbps(bytesOfX.applyAsDouble(x), ms));
    }

    /** TFLOP/s from the floating-point operations at each x. */
    public static Metric tflops(LongToDoubleFunction flopsOfX) {
        Objects.requireNonNull(flopsOfX, "flopsOfX");
        return new Metric("TFLOP/s", "TFLOPs", (x, ms) -> Throughput.tflops(flopsOfX.applyAsDouble(x), ms));
    }

    /** GFLOP/s from the floating-point operations at each x (for the CPU backend's smaller rates). */
    public static Metric gflops(LongToDoubleFunction flopsOfX) {
        Objects.requireNonNull(flopsOfX, "flopsOfX");
        return new Metric("GFLOP/s", "GFLOPs", (x, ms) -> Throughput.gflops(flopsOfX.applyAsDouble(x), ms));
    }
}
