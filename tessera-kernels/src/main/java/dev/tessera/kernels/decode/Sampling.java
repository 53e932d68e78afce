package dev.tessera.kernels.decode;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;

/**
 * Choosing the next token from a row of logits, on the device (only the i32 token comes back):
 * greedy argmax, or a sample from softmax(logits / temperature) restricted to the k largest
 * logits, reproducible from a seed. One program walks the vocabulary in blocks.
 */
public final class Sampling {
    private Sampling() {}

    /** Keeps the first largest (score, index) of a block in {@code best}/{@code bestIndex}. */
    private static void keepBest(Var best, Var bestIndex, Tile scores, Tile start) {
        Tile blockBest = max(scores, 0);
        Tile better = blockBest.gt(best.get()); // strict: an earlier block wins a tie, as argmax's first index does
        bestIndex.set(where(better, dev.tessera.lang.TL.argmax(scores, 0).add(start), bestIndex.get()));
        best.set(where(better, blockBest, best.get()));
    }

    @Kernel
    static void argmaxKernel(Tile logits, Tile out, Tile n, @Constexpr int BLOCK) {
        Var best = var(scalar(Double.NEGATIVE_INFINITY).to(F32)), bestIndex = var(scalar(0));
        for (Tile s0 : range(0, n, BLOCK)) {
            Tile offs = arange(0, BLOCK).add(s0);
            keepBest(best, bestIndex, load(logits.add(offs), offs.lt(n), Double.NEGATIVE_INFINITY).to(F32), s0);
        }
        store(out, bestIndex.get());
    }

    /**
     * Gumbel-max over the top k: the k-th largest logit is found first (a running top-k merged block
     * by block); then argmax of logit/temperature + Gumbel noise over the logits at or above it is
     * a sample from the renormalized softmax of the top k (ties at the k-th value all take part).
     */
    @Kernel
    static void sampleTopK(Tile logits, Tile out, Tile n, Tile invTemperature, Tile seed, @Constexpr int K, @Constexpr int BLOCK) {
        Var top = var(full(F32, Double.NEGATIVE_INFINITY, K));
        for (Tile s0 : range(0, n, BLOCK)) {
            Tile offs = arange(0, BLOCK).add(s0);
            Tile v = load(logits.add(offs), offs.lt(n), Double.NEGATIVE_INFINITY).to(F32);
            top.set(topk(cat(top.get(), topk(v, K)), K));
        }
        Tile threshold = min(top.get(), 0);
        Var best = var(scalar(Double.NEGATIVE_INFINITY).to(F32)), bestIndex = var(scalar(0));
        for (Tile s0 : range(0, n, BLOCK)) {
            Tile offs = arange(0, BLOCK).add(s0);
            Tile mask = offs.lt(n);
            Tile v = load(logits.add(offs), mask, Double.NEGATIVE_INFINITY).to(F32);
            Tile gumbel = log(log(rand(seed, offs)).neg()).neg();
            keepBest(best, bestIndex, where(mask.and(v.ge(threshold)), v.mul(invTemperature).add(gumbel), Double.NEGATIVE_INFINITY), s0);
        }
        store(out, bestIndex.get());
    }

    public static final JitKernel ARGMAX = Jit.kernel(Sampling.class, "argmaxKernel");
    public static final JitKernel TOP_K = Jit.kernel(Sampling.class, "sampleTopK");

    /** The largest k a sample takes (a power of 2 up to this). */
    public static final int MAX_K = 256;

    private static int block(Tensor logits) { return logits.device().backend().equals("cpu") ? 4096 : 1024; }

    private static void check(Tensor logits, Tensor out) {
        if (logits.rank() != 1 || !logits.isContiguous()) throw new IllegalArgumentException("logits must be one contiguous row, not " + logits);
        if (out.dtype() != DType.I32 || out.numel() < 1) throw new IllegalArgumentException("the token goes into an i32 tensor, not " + out);
    }

    /** Writes the index of the first largest logit into out[0] (i32). */
    public static void argmax(Tensor logits, Tensor out) {
        check(logits, out);
        ARGMAX.withOptions(4, 1).launch(grid(1), logits, out, Math.toIntExact(logits.numel()), block(logits));
    }

    /**
     * Writes into out[0] a token drawn from softmax(logits / temperature) over the k largest logits,
     * the same for the same seed; temperature 0 is {@link #argmax}. k is rounded up to a power of 2
     * (at most {@link #MAX_K}).
     */
    public static void sampleTopK(Tensor logits, Tensor out, int k, double temperature, long seed) {
        check(logits, out);
        if (temperature < 0 || Double.isNaN(temperature)) throw new IllegalArgumentException("temperature must be 0 or more, not " + temperature);
        if (k < 1 || k > MAX_K) throw new IllegalArgumentException("k must be from 1 to " + MAX_K + ", not " + k);
        if (temperature == 0) {
            argmax(logits, out);
            return;
        }
        int kk = Math.max(2, nextPowerOf2(k)), block = Math.max(block(logits), kk);
        TOP_K.withOptions(4, 1).launch(grid(1), logits, out, Math.toIntExact(logits.numel()), (float) (1 / temperature), seed, kk, block);
    }
}
