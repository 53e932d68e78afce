package dev.tessera.kernels.bench;

import dev.tessera.autotune.Autotuner;
import dev.tessera.kernels.matmul.MatmulConfig;
import dev.tessera.runtime.Device;
import dev.tessera.types.DType;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Settings shared by every measurement of one benchmark run.
 *
 * @param dtype        element type of the inputs
 * @param device       where Tessera (and other device providers) run
 * @param seed         seed of the random inputs
 * @param rows         rows of the row-wise kernels (softmax, layer norm)
 * @param tune         autotune Tessera kernels that have an autotuner before timing them
 * @param ieee         f32 matmul in full f32 precision (true) or tf32 (false)
 * @param tuners       how to derive the tuners used when {@code tune} is set from the library's
 *                     (e.g. verbose, another timing budget); identity by default
 * @param shapes       matmul: the problems to time, one per swept x (x = 1, 2, ... indexes them);
 *                     empty for square problems M = N = K = x
 * @param bTransposed  matmul: B given as Wᵀ of a row-major W [N, K] (strides (1, K)), as {@code x @ W.T}
 *                     in a linear layer, instead of a row-major B [K, N]
 * @param matmulConfig matmul without tuning: this blocking instead of {@link MatmulConfig#DEFAULT}; null for the default
 * @param headDim      attention: the head dimension D (the hidden size H·D is 2048)
 * @param causal       attention: causal (FLOPs halved) instead of full
 * @param deterministic attention backward: dQ by programs of its own instead of atomics
 * @param batch        attention-decode: the sequences decoded at once (B)
 */
public record BenchSettings(DType dtype, Device device, long seed, long rows, boolean tune, boolean ieee,
                            UnaryOperator<Autotuner> tuners, Map<Autotuner, Autotuner> derived,
                            List<MatmulShape> shapes, boolean bTransposed, MatmulConfig matmulConfig, int headDim, boolean causal,
                            boolean deterministic, int batch) {

    public BenchSettings {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(tuners, "tuners");
        derived = derived != null ? derived : new ConcurrentHashMap<>();
        shapes = shapes == null ? List.of() : List.copyOf(shapes);
        if (batch < 1) throw new IllegalArgumentException("a batch of " + batch + " sequences: give at least 1");
    }

    public static BenchSettings of(DType dtype, Device device) {
        return new BenchSettings(dtype, device, 42, 4096, false, true, UnaryOperator.identity(), null, List.of(), false, null, 128, false, true, 1);
    }

    public BenchSettings withSeed(long s) { return new BenchSettings(dtype, device, s, rows, tune, ieee, tuners, null, shapes, bTransposed, matmulConfig, headDim, causal, deterministic, batch); }

    public BenchSettings withRows(long r) { return new BenchSettings(dtype, device, seed, r, tune, ieee, tuners, null, shapes, bTransposed, matmulConfig, headDim, causal, deterministic, batch); }

    public BenchSettings withTune(boolean t) { return new BenchSettings(dtype, device, seed, rows, t, ieee, tuners, null, shapes, bTransposed, matmulConfig, headDim, causal, deterministic, batch); }

    public BenchSettings withIeee(boolean i) { return new BenchSettings(dtype, device, seed, rows, tune, i, tuners, null, shapes, bTransposed, matmulConfig, headDim, causal, deterministic, batch); }

    public BenchSettings withTuners(UnaryOperator<Autotuner> t) {
        return new BenchSettings(dtype, device, seed, rows, tune, ieee, t, null, shapes, bTransposed, matmulConfig, headDim, causal, deterministic, batch);
    }

    /** Matmul problems to sweep instead of square sizes (x = 1 … shapes.size() indexes them). */
    public BenchSettings withShapes(List<MatmulShape> s) {
        return new BenchSettings(dtype, device, seed, rows, tune, ieee, tuners, null, s, bTransposed, matmulConfig, headDim, causal, deterministic, batch);
    }

    public BenchSettings withBTransposed(boolean t) {
        return new BenchSettings(dtype, device, seed, rows, tune, ieee, tuners, null, shapes, t, matmulConfig, headDim, causal, deterministic, batch);
    }

    public BenchSettings withMatmulConfig(MatmulConfig c) {
        return new BenchSettings(dtype, device, seed, rows, tune, ieee, tuners, null, shapes, bTransposed, c, headDim, causal, deterministic, batch);
    }

    public BenchSettings withHeadDim(int d) {
        return new BenchSettings(dtype, device, seed, rows, tune, ieee, tuners, null, shapes, bTransposed, matmulConfig, d, causal, deterministic, batch);
    }

    public BenchSettings withCausal(boolean c) {
        return new BenchSettings(dtype, device, seed, rows, tune, ieee, tuners, null, shapes, bTransposed, matmulConfig, headDim, c, deterministic, batch);
    }

    public BenchSettings withDeterministic(boolean d) {
        return new BenchSettings(dtype, device, seed, rows, tune, ieee, tuners, null, shapes, bTransposed, matmulConfig, headDim, causal, d, batch);
    }

    public BenchSettings withBatch(int b) {
        return new BenchSettings(dtype, device, seed, rows, tune, ieee, tuners, null, shapes, bTransposed, matmulConfig, headDim, causal, deterministic, b);
    }

    /** The tuner to use in place of the library's {@code base} (derived once per run). */
    public Autotuner tuner(Autotuner base) { return derived.computeIfAbsent(base, tuners); }

    /**
     * The dtype as results name it: {@code tf32} for f32 matmul inputs rounded to tf32 (as torch
     * names {@code allow_tf32} runs in bench/peers/peers.py), otherwise the dtype itself.
     */
    public String dtypeLabel(KernelBench kernel) {
        return kernel == KernelBench.MATMUL && dtype == DType.F32 && !ieee ? "tf32" : dtype.toString();
    }
}
