package dev.tessera.kernels.bench;

import dev.tessera.autotune.Autotuner;
import dev.tessera.runtime.Device;
import dev.tessera.types.DType;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Settings shared by every measurement of one benchmark run.
 *
 * @param dtype  element type of the inputs
 * @param device where Tessera (and other device providers) run
 * @param seed   seed of the random inputs
 * @param rows   rows of the row-wise kernels (softmax, layer norm)
 * @param tune   autotune Tessera kernels that have an autotuner before timing them
 * @param ieee   f32 matmul in full f32 precision (true) or tf32 (false)
 * @param tuners how to derive the tuners used when {@code tune} is set from the library's
 *               (e.g. verbose, another timing budget); identity by default
 */
public record BenchSettings(DType dtype, Device device, long seed, long rows, boolean tune, boolean ieee,
                            UnaryOperator<Autotuner> tuners, Map<Autotuner, Autotuner> derived) {

    public BenchSettings {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(tuners, "tuners");
        derived = derived != null ? derived : new ConcurrentHashMap<>();
    }

    public static BenchSettings of(DType dtype, Device device) {
        return new BenchSettings(dtype, device, 42, 4096, false, true, UnaryOperator.identity(), null);
    }

    public BenchSettings withSeed(long s) { return new BenchSettings(dtype, device, s, rows, tune, ieee, tuners, null); }

    public BenchSettings withRows(long r) { return new BenchSettings(dtype, device, seed, r, tune, ieee, tuners, null); }

    public BenchSettings withTune(boolean t) { return new BenchSettings(dtype, device, seed, rows, t, ieee, tuners, null); }

    public BenchSettings withIeee(boolean i) { return new BenchSettings(dtype, device, seed, rows, tune, i, tuners, null); }

    public BenchSettings withTuners(UnaryOperator<Autotuner> t) { return new BenchSettings(dtype, device, seed, rows, tune, ieee, t, null); }

    /** The tuner to use in place of the library's {@code base} (derived once per run). */
    public Autotuner tuner(Autotuner base) { return derived.computeIfAbsent(base, tuners); }
}
