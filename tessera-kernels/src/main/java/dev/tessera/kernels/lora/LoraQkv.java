package dev.tessera.kernels.lora;

import dev.tessera.kernels.lora.Lora.Adapter;
import dev.tessera.kernels.lora.Lora.AdapterGrads;
import dev.tessera.kernels.lora.Lora.Config;
import dev.tessera.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * An attention layer's Q, K and V projections of one input X [T, d], each with a LoRA adapter
 * ({@link Lora}'s fused base + low-rank product; K and V may be narrower than Q, as with grouped-query
 * attention). The backward pass sums the three projections' dX in one tensor: the first writes it,
 * the other two add to it in their fused launch's epilogue, so no [T, d] partial is kept.
 */
public final class LoraQkv {
    private LoraQkv() {}

    /** The three adapted projections of one input width d, one dtype and device. */
    public record Weights(Adapter q, Adapter k, Adapter v) {
        public Weights {
            if (k.in() != q.in() || v.in() != q.in()) {
                throw new IllegalArgumentException("Q, K and V must project one input width, not " + q.weight() + ", " + k.weight() + ", " + v.weight());
            }
            if (k.dtype() != q.dtype() || v.dtype() != q.dtype() || !k.weight().device().equals(q.weight().device())
                    || !v.weight().device().equals(q.weight().device())) {
                throw new IllegalArgumentException("Q, K and V must share a dtype and a device: " + q.weight() + ", " + k.weight() + ", " + v.weight());
            }
        }
    }

    /** What {@link #backward} needs: X (the caller's) and each projection's factor X·Aᵀ, which {@link #close} frees. */
    public record Saved(Tensor x, Tensor xaQ, Tensor xaK, Tensor xaV, Weights weights) implements AutoCloseable {
        @Override
        public void close() {
            xaQ.close();
            xaK.close();
            xaV.close();
        }
    }

    /** Q [T, q_out], K and V (the caller's to close) and what the backward pass needs. */
    public record Output(Tensor q, Tensor k, Tensor v, Saved saved) {}

    /** dX [T, d] and the three adapters' gradients. */
    public record Grads(Tensor dx, AdapterGrads q, AdapterGrads k, AdapterGrads v) implements AutoCloseable {
        @Override
        public void close() {
            dx.close();
            q.close();
            k.close();
            v.close();
        }
    }

    /** Q, K and V of X, blocked as {@link Config#defaultFor} says. */
    public static Output forward(Tensor x, Weights w) { return forward(x, w, Config.defaultFor(x)); }

    public static Output forward(Tensor x, Weights w, Config cfg) {
        int tokens = Lora.checkInput(x, w.q());
        List<Tensor> made = new ArrayList<>();
        try {
            Adapter[] ads = {w.q(), w.k(), w.v()};
            Tensor[] outs = new Tensor[3], factors = new Tensor[3];
            for (int i = 0; i < 3; i++) {
                outs[i] = make(made, x, tokens, ads[i].out());
                factors[i] = make(made, x, tokens, ads[i].rank());
                Lora.forwardInto(x, ads[i], cfg, outs[i], factors[i]);
            }
            return new Output(outs[0], outs[1], outs[2], new Saved(x, factors[0], factors[1], factors[2], w));
        } catch (RuntimeException | OutOfMemoryError e) {
            made.forEach(Tensor::close);
            throw e;
        }
    }

    /** The gradients for dQ, dK and dV, into new tensors (dA and dB in the adapters' dtype). */
    public static Grads backward(Saved saved, Tensor dq, Tensor dk, Tensor dv) {
        Tensor x = saved.x();
        Weights w = saved.weights();
        List<AutoCloseable> made = new ArrayList<>();
        try {
            Tensor dx = Tensor.empty(x.dtype(), x.device(), x.shape());
            made.add(dx);
            AdapterGrads[] g = new AdapterGrads[3];
            Adapter[] ads = {w.q(), w.k(), w.v()};
            for (int i = 0; i < 3; i++) {
                g[i] = AdapterGrads.like(ads[i]);
                made.add(g[i]);
            }
            return backward(saved, dq, dk, dv, Config.defaultFor(x), new Grads(dx, g[0], g[1], g[2]));
        } catch (RuntimeException | OutOfMemoryError e) {
            for (AutoCloseable c : made) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** The gradients for dQ, dK and dV into {@code grads}. */
    public static Grads backward(Saved saved, Tensor dq, Tensor dk, Tensor dv, Config cfg, Grads grads) {
        Weights w = saved.weights();
        Tensor x = saved.x();
        int tokens = Lora.checkInput(x, w.q());
        Adapter[] ads = {w.q(), w.k(), w.v()};
        Tensor[] douts = {dq, dk, dv}, factors = {saved.xaQ(), saved.xaK(), saved.xaV()};
        AdapterGrads[] gs = {grads.q(), grads.k(), grads.v()};
        String[] names = {"dQ", "dK", "dV"};
        Lora.requireLike("dX", grads.dx(), x, tokens, ads[0].in());
        for (int i = 0; i < 3; i++) {
            Lora.requireLike(names[i], douts[i], x, tokens, ads[i].out());
            Lora.requireLike("the saved factor of " + names[i].substring(1), factors[i], x, tokens, ads[i].rank());
            Lora.requireGrads(ads[i], gs[i].da(), gs[i].db());
        }
        int rank = Math.max(ads[0].rank(), Math.max(ads[1].rank(), ads[2].rank()));
        try (Tensor scratch = Tensor.empty(x.dtype(), x.device(), tokens, rank)) {
            for (int i = 0; i < 3; i++) Lora.backwardInto(x, factors[i], ads[i], douts[i], cfg, grads.dx(), i > 0, gs[i].da(), gs[i].db(), scratch);
        }
        return grads;
    }

    private static Tensor make(List<Tensor> made, Tensor like, int rows, int cols) {
        Tensor t = Tensor.empty(like.dtype(), like.device(), rows, cols);
        made.add(t);
        return t;
    }
}
