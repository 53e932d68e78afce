package dev.tessera.kernels.lora;

import dev.tessera.kernels.activation.Glu;
import dev.tessera.kernels.lora.Lora.Adapter;
import dev.tessera.kernels.lora.Lora.AdapterGrads;
import dev.tessera.kernels.lora.Lora.Config;
import dev.tessera.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A transformer's gated MLP with a LoRA adapter on each of its three projections, as Unsloth trains
 * it: out = down(silu(gate(X)) · up(X)), each projection {@link Lora}'s fused base + low-rank
 * product, the SwiGLU between them {@link Glu}'s kernel. The forward pass keeps gate and up [T, I]
 * and the three [T, r] factors, not the activation h = silu(gate)·up: the backward pass recomputes
 * h, and then needs one [T, I] buffer for h and the gradient that replaces it, and writes the
 * gradients of gate and up over the saved gate and up (so a {@link Saved} serves one backward pass).
 */
public final class LoraMlp {
    private LoraMlp() {}

    /** The three adapted projections: gate and up [I, d] and down [d, I], one dtype and device. */
    public record Weights(Adapter gate, Adapter up, Adapter down) {
        public Weights {
            if (gate.in() != up.in() || gate.out() != up.out()) {
                throw new IllegalArgumentException("gate and up must be the same [I, d] projection shape, not " + gate.weight() + " and " + up.weight());
            }
            if (down.in() != gate.out() || down.out() != gate.in()) {
                throw new IllegalArgumentException("down must be [" + gate.in() + ", " + gate.out() + "] (d, I) after gate " + gate.weight() + ", not " + down.weight());
            }
            if (up.dtype() != gate.dtype() || down.dtype() != gate.dtype() || !up.weight().device().equals(gate.weight().device())
                    || !down.weight().device().equals(gate.weight().device())) {
                throw new IllegalArgumentException("the three projections must share a dtype and a device: " + gate.weight() + ", " + up.weight() + ", " + down.weight());
            }
        }

        /** The model's width d. */
        public int hidden() { return gate.in(); }

        /** The MLP's inner width I. */
        public int intermediate() { return gate.out(); }
    }

    /**
     * What {@link #backward} needs: X (the caller's, unchanged until then), gate and up [T, I] (which
     * backward overwrites with their gradients), the factors X·A_gateᵀ, X·A_upᵀ and h·A_downᵀ;
     * {@link #close} frees all but X.
     */
    public record Saved(Tensor x, Tensor gate, Tensor up, Tensor xaGate, Tensor xaUp, Tensor haDown, Weights weights) implements AutoCloseable {
        @Override
        public void close() { for (Tensor t : new Tensor[] {gate, up, xaGate, xaUp, haDown}) t.close(); }
    }

    /** The MLP's output [T, d] (the caller's to close) and what the backward pass needs. */
    public record Output(Tensor out, Saved saved) {}

    /** dX [T, d] and the three adapters' gradients. */
    public record Grads(Tensor dx, AdapterGrads gate, AdapterGrads up, AdapterGrads down) implements AutoCloseable {
        @Override
        public void close() {
            dx.close();
            gate.close();
            up.close();
            down.close();
        }
    }

    /** out = down(silu(gate(X))·up(X)), blocked as {@link Config#defaultFor} says. */
    public static Output forward(Tensor x, Weights w) { return forward(x, w, Config.defaultFor(x)); }

    public static Output forward(Tensor x, Weights w, Config cfg) {
        int tokens = Lora.checkInput(x, w.gate());
        List<Tensor> made = new ArrayList<>();
        try {
            Tensor gate = make(made, x, tokens, w.intermediate()), up = make(made, x, tokens, w.intermediate());
            Tensor xaGate = make(made, x, tokens, w.gate().rank()), xaUp = make(made, x, tokens, w.up().rank());
            Tensor haDown = make(made, x, tokens, w.down().rank()), out = make(made, x, tokens, w.hidden());
            Lora.forwardInto(x, w.gate(), cfg, gate, xaGate);
            Lora.forwardInto(x, w.up(), cfg, up, xaUp);
            try (Tensor h = Tensor.empty(x.dtype(), x.device(), tokens, w.intermediate())) {
                Glu.forward(gate, up, Glu.Activation.SILU, h);
                Lora.forwardInto(h, w.down(), cfg, out, haDown);
            }
            return new Output(out, new Saved(x, gate, up, xaGate, xaUp, haDown, w));
        } catch (RuntimeException | OutOfMemoryError e) {
            made.forEach(Tensor::close);
            throw e;
        }
    }

    /** The gradients for dOut [T, d], into new tensors (dA and dB in the adapters' dtype). */
    public static Grads backward(Saved saved, Tensor dOut) {
        Tensor x = saved.x();
        Weights w = saved.weights();
        List<AutoCloseable> made = new ArrayList<>();
        try {
            Tensor dx = Tensor.empty(x.dtype(), x.device(), x.shape());
            made.add(dx);
            AdapterGrads g = AdapterGrads.like(w.gate());
            made.add(g);
            AdapterGrads u = AdapterGrads.like(w.up());
            made.add(u);
            AdapterGrads d = AdapterGrads.like(w.down());
            made.add(d);
            return backward(saved, dOut, Config.defaultFor(x), new Grads(dx, g, u, d));
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

    /** The gradients for dOut into {@code grads}; the saved gate and up are overwritten. */
    public static Grads backward(Saved saved, Tensor dOut, Config cfg, Grads grads) {
        Weights w = saved.weights();
        Tensor x = saved.x();
        int tokens = Lora.checkInput(x, w.gate());
        Lora.requireLike("the saved gate", saved.gate(), x, tokens, w.intermediate());
        Lora.requireLike("the saved up", saved.up(), x, tokens, w.intermediate());
        Lora.requireLike("dOut", dOut, x, tokens, w.hidden());
        Lora.requireLike("dX", grads.dx(), x, tokens, w.hidden());
        Lora.requireGrads(w.gate(), grads.gate().da(), grads.gate().db());
        Lora.requireGrads(w.up(), grads.up().da(), grads.up().db());
        Lora.requireGrads(w.down(), grads.down().da(), grads.down().db());
        try (Tensor h = Tensor.empty(x.dtype(), x.device(), tokens, w.intermediate())) {
            Glu.Saved glu = Glu.forward(saved.gate(), saved.up(), Glu.Activation.SILU, h).saved();
            // dA_down reads h last, so dh = dOut·W_down + dHA·A_down is written over it
            Lora.backwardInto(h, saved.haDown(), w.down(), dOut, cfg, h, false, grads.down().da(), grads.down().db());
            Glu.backward(glu, h, saved.gate(), saved.up());
            Lora.backwardInto(x, saved.xaGate(), w.gate(), saved.gate(), cfg, grads.dx(), false, grads.gate().da(), grads.gate().db());
            Lora.backwardInto(x, saved.xaUp(), w.up(), saved.up(), cfg, grads.dx(), true, grads.up().da(), grads.up().db());
        }
        return grads;
    }

    private static Tensor make(List<Tensor> made, Tensor like, int rows, int cols) {
        Tensor t = Tensor.empty(like.dtype(), like.device(), rows, cols);
        made.add(t);
        return t;
    }
}
