package dev.tessera.kernels.lora;

import dev.tessera.kernels.matmul.Matmul;
import dev.tessera.kernels.matmul.Matmul.Epilogue;
import dev.tessera.kernels.matmul.MatmulConfig;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.Arrays;

/**
 * One linear layer with a LoRA adapter, out = X·Wᵀ + s·(X·Aᵀ)·Bᵀ, for X [T, in], the frozen weight
 * W [out, in] and the trainable A [r, in] and B [out, r], forward and backward. The base product and
 * the low-rank term are one launch of {@link Matmul#fused}: the term's [T, r] factor X·Aᵀ enters the
 * accumulator after the K loop, so out is written once and no [T, out] tensor of the term exists.
 * The forward pass saves that factor (r values a token) for the backward pass, which returns
 *
 * <pre>
 *   dXA = s·dOut·B          [T, r]
 *   dB  = s·dOutᵀ·(X·Aᵀ)    [out, r]
 *   dA  = dXAᵀ·X            [r, in]
 *   dX  = dOut·W + dXA·A    [T, in], again one fused launch
 * </pre>
 *
 * and no gradient of W, which is frozen. Every product accumulates in f32 and is rounded to its
 * output's dtype; X·Aᵀ and dXA are kept in X's dtype (as PEFT's bf16 adapters keep them), and s
 * scales X·Aᵀ's tile in registers, rounded to that dtype (exact for a power of 2).
 * {@link LoraMlp} and {@link LoraQkv} build on the package-private steps here.
 */
public final class Lora {
    private Lora() {}

    /**
     * The frozen weight W [out, in], the adapter A [r, in] and B [out, r] (r ≤ {@link Epilogue#MAX_RANK})
     * and the scale s (LoRA's α / r), one float dtype on one device.
     */
    public record Adapter(Tensor weight, Tensor a, Tensor b, double scale) {
        public Adapter {
            if (weight.rank() != 2 || a.rank() != 2 || b.rank() != 2) {
                throw new IllegalArgumentException("a LoRA adapter is W [out, in], A [r, in] and B [out, r], not " + weight + ", " + a + ", " + b);
            }
            long out = weight.shape(0), in = weight.shape(1), r = a.shape(0);
            if (a.shape(1) != in) throw new IllegalArgumentException("A must be [r, " + in + "] beside W " + weight + ", not " + a);
            if (b.shape(0) != out || b.shape(1) != r) throw new IllegalArgumentException("B must be [" + out + ", " + r + "] beside W " + weight + " and A " + a + ", not " + b);
            if (r < 1 || r > Epilogue.MAX_RANK) {
                throw new IllegalArgumentException("the LoRA rank must be in [1, " + Epilogue.MAX_RANK + "] (the fused matmul keeps X·Aᵀ's tile in registers), not " + r);
            }
            DType t = weight.dtype();
            if (t != DType.F32 && t != DType.F16 && t != DType.BF16) throw new IllegalArgumentException("a LoRA adapter must be f32, f16 or bf16, not " + t);
            if (a.dtype() != t || b.dtype() != t) throw new IllegalArgumentException("A and B must be " + t + " as W, not " + a.dtype() + " and " + b.dtype());
            if (!a.device().equals(weight.device()) || !b.device().equals(weight.device())) {
                throw new IllegalArgumentException("W, A and B must be on one device: " + weight + ", " + a + ", " + b);
            }
            if (!Double.isFinite(scale)) throw new IllegalArgumentException("the LoRA scale must be finite, not " + scale);
        }

        public int in() { return Math.toIntExact(weight.shape(1)); }

        public int out() { return Math.toIntExact(weight.shape(0)); }

        public int rank() { return Math.toIntExact(a.shape(0)); }

        public DType dtype() { return weight.dtype(); }
    }

    /** The blocking of every matmul of a LoRA layer; null for the autotuner's. */
    public record Config(MatmulConfig matmul) {
        /** The CPU with the default blocking (tuning there costs more than it saves), a GPU tuned. */
        public static Config defaultFor(Tensor x) {
            return new Config(x.device().backend().equals("cpu") ? MatmulConfig.DEFAULT : null);
        }
    }

    /**
     * What {@link #backward} needs: the input X (the caller's, unchanged until then), the factor
     * X·Aᵀ [T, r] (the forward pass's: {@link #close} frees it) and the adapter.
     */
    public record Saved(Tensor x, Tensor xa, Adapter adapter) implements AutoCloseable {
        @Override
        public void close() { xa.close(); }
    }

    /** The layer's output [T, out] (the caller's to close) and what the backward pass needs. */
    public record Output(Tensor out, Saved saved) {}

    /** The gradients of an adapter, dA [r, in] and dB [out, r]. */
    public record AdapterGrads(Tensor da, Tensor db) implements AutoCloseable {
        /** New gradients in the adapter's dtype. */
        public static AdapterGrads like(Adapter ad) {
            Tensor da = Tensor.empty(ad.dtype(), ad.a().device(), ad.a().shape());
            try {
                return new AdapterGrads(da, Tensor.empty(ad.dtype(), ad.b().device(), ad.b().shape()));
            } catch (RuntimeException | OutOfMemoryError e) {
                da.close();
                throw e;
            }
        }

        @Override
        public void close() {
            da.close();
            db.close();
        }
    }

    /** dX [T, in] (X's dtype), dA and dB. */
    public record Grads(Tensor dx, Tensor da, Tensor db) implements AutoCloseable {
        @Override
        public void close() {
            dx.close();
            da.close();
            db.close();
        }
    }

    /** out = X·Wᵀ + s·(X·Aᵀ)·Bᵀ into new tensors, blocked as {@link Config#defaultFor} says. */
    public static Output forward(Tensor x, Adapter adapter) {
        int tokens = checkInput(x, adapter);
        Tensor out = Tensor.empty(x.dtype(), x.device(), tokens, adapter.out()), xa = null;
        try {
            xa = Tensor.empty(x.dtype(), x.device(), tokens, adapter.rank());
            return forward(x, adapter, Config.defaultFor(x), out, xa);
        } catch (RuntimeException | OutOfMemoryError e) {
            out.close();
            if (xa != null) xa.close();
            throw e;
        }
    }

    /** As {@link #forward(Tensor, Adapter)} into given out [T, out] and factor xa [T, r] (both X's dtype; neither X, which the launches read). */
    public static Output forward(Tensor x, Adapter adapter, Config cfg, Tensor out, Tensor xa) {
        int tokens = checkInput(x, adapter);
        if (out == x || xa == x) throw new IllegalArgumentException("LoRA forward: out and the factor X·Aᵀ may not be X, which every launch reads");
        requireLike("out", out, x, tokens, adapter.out());
        requireLike("the factor X·Aᵀ", xa, x, tokens, adapter.rank());
        forwardInto(x, adapter, cfg, out, xa);
        return new Output(out, new Saved(x, xa, adapter));
    }

    /** The gradients for dOut [T, out], into new tensors. */
    public static Grads backward(Saved saved, Tensor dOut) {
        Tensor x = saved.x();
        Tensor dx = Tensor.empty(x.dtype(), x.device(), x.shape());
        AdapterGrads g;
        try {
            g = AdapterGrads.like(saved.adapter());
        } catch (RuntimeException | OutOfMemoryError e) {
            dx.close();
            throw e;
        }
        Grads grads = new Grads(dx, g.da(), g.db());
        try {
            return backward(saved, dOut, Config.defaultFor(x), grads);
        } catch (RuntimeException e) {
            grads.close();
            throw e;
        }
    }

    /**
     * The gradients for dOut into {@code grads}: dX in X's dtype (it may be X itself, whose last
     * reader is dA's launch), dA and dB in f32 or the adapter's dtype.
     */
    public static Grads backward(Saved saved, Tensor dOut, Config cfg, Grads grads) {
        Adapter ad = saved.adapter();
        int tokens = checkInput(saved.x(), ad);
        requireLike("the factor X·Aᵀ", saved.xa(), saved.x(), tokens, ad.rank());
        requireLike("dOut", dOut, saved.x(), tokens, ad.out());
        requireLike("dX", grads.dx(), saved.x(), tokens, ad.in());
        requireGrads(ad, grads.da(), grads.db());
        if (grads.dx() == dOut) throw new IllegalArgumentException("LoRA backward: dX may not be dOut, which the launch writing dX reads");
        try (Tensor dxa = Tensor.empty(saved.x().dtype(), saved.x().device(), tokens, ad.rank())) {
            backwardInto(saved.x(), saved.xa(), ad, dOut, cfg, grads.dx(), false, grads.da(), grads.db(), dxa);
        }
        return grads;
    }

    // ------------------------------------------------------------------ the steps LoraMlp and LoraQkv share

    /** xa = X·Aᵀ, then out = X·Wᵀ + s·xa·Bᵀ in one fused launch; shapes checked by the caller. */
    static void forwardInto(Tensor x, Adapter ad, Config cfg, Tensor out, Tensor xa) {
        try (Tensor aT = ad.a().transpose(0, 1); Tensor wT = ad.weight().transpose(0, 1); Tensor bT = ad.b().transpose(0, 1)) {
            matmul(x, aT, xa, Epilogue.scale(1), cfg);
            matmul(x, wT, out, Epilogue.lowRank(xa, bT, ad.scale()), cfg);
        }
    }

    /**
     * The backward pass of one layer: dA and dB, and dX written (or added to dX's old values, with
     * {@code accumulateDx}: the projections that share an input sum their dX); dX null for none.
     * dX may be X itself: X's last reader is dA's launch, before dX's. {@code scratch} holds dXA: a
     * [T, ≥ r] tensor in X's dtype, its first r columns used.
     */
    static void backwardInto(Tensor x, Tensor xa, Adapter ad, Tensor dOut, Config cfg, Tensor dx, boolean accumulateDx, Tensor da, Tensor db,
                             Tensor scratch) {
        try (Tensor dxa = scratch.slice(1, 0, ad.rank()); Tensor dOutT = dOut.transpose(0, 1); Tensor dxaT = dxa.transpose(0, 1)) {
            matmul(dOut, ad.b(), dxa, Epilogue.scale(ad.scale()), cfg);
            matmul(dOutT, xa, db, Epilogue.scale(ad.scale()), cfg);
            matmul(dxaT, x, da, Epilogue.scale(1), cfg);
            if (dx != null) matmul(dOut, ad.weight(), dx, Epilogue.lowRank(dxa, ad.a(), 1).accumulate(accumulateDx), cfg);
        }
    }

    /** c = α·a·b + ... with the config's blocking, or the tuned one; f32 in full precision, as the tests' references. */
    private static void matmul(Tensor a, Tensor b, Tensor c, Epilogue e, Config cfg) {
        if (cfg.matmul() == null) {
            Matmul.fusedTuned(a, b, c, e, true);
        } else {
            Matmul.fused(a, b, c, e, cfg.matmul(), true);
        }
    }

    /** Checks X against the adapter and returns its tokens. */
    static int checkInput(Tensor x, Adapter ad) {
        if (x.rank() != 2 || x.shape(1) != ad.in()) {
            throw new IllegalArgumentException("the input must be [tokens, " + ad.in() + "] for a weight " + ad.weight()
                    + " (view leading dimensions as tokens), not " + x);
        }
        if (x.dtype() != ad.dtype()) throw new IllegalArgumentException("the input must be " + ad.dtype() + " as the weight, not " + x.dtype());
        if (!x.device().equals(ad.weight().device())) throw new IllegalArgumentException("the input " + x + " is not on the weight's device " + ad.weight().device());
        return Math.toIntExact(x.shape(0));
    }

    /** Checks a tensor the layer writes or reads beside X: X's dtype and device, and the given shape. */
    static void requireLike(String what, Tensor t, Tensor x, long... shape) {
        if (t.dtype() != x.dtype() || !Arrays.equals(t.shape(), shape) || !t.device().equals(x.device())) {
            throw new IllegalArgumentException(what + " must be a " + x.dtype() + " " + Arrays.toString(shape) + " on " + x.device() + ", not " + t);
        }
    }

    /** dA and dB: the adapter's shapes, in f32 or its dtype, on its device. */
    static void requireGrads(Adapter ad, Tensor da, Tensor db) {
        for (Tensor[] g : new Tensor[][] {{da, ad.a()}, {db, ad.b()}}) {
            if (!Arrays.equals(g[0].shape(), g[1].shape()) || g[0].dtype() != ad.dtype() && g[0].dtype() != DType.F32
                    || !g[0].device().equals(g[1].device())) {
                throw new IllegalArgumentException((g[1] == ad.a() ? "dA" : "dB") + " must be " + Arrays.toString(g[1].shape()) + " in f32 or "
                        + ad.dtype() + " on " + g[1].device() + ", not " + g[0]);
            }
        }
    }
}
