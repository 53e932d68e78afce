package dev.tessera.kernels.lora;

import dev.tessera.kernels.activation.Glu;
import dev.tessera.kernels.lora.Lora.Adapter;
import dev.tessera.kernels.lora.Lora.AdapterGrads;
import dev.tessera.kernels.lora.Lora.Config;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * A transformer's gated MLP with a LoRA adapter on each of its three projections, as Unsloth trains
 * it: out = down(silu(gate(X)) · up(X)), each projection {@link Lora}'s fused base + low-rank
 * product, the SwiGLU between them {@link Glu}'s kernel. The forward pass keeps gate and up [T, I]
 * and the three [T, r] factors, not the activation h = silu(gate)·up: the backward pass recomputes
 * h, and then needs one [T, I] buffer for h and the gradient that replaces it, and writes the
 * gradients of gate and up over the saved gate and up (so a {@link Saved} serves one backward pass).
 *
 * <p>The buffers a step passes from forward to backward ({@link Saved}) and those it needs only while
 * a pass runs ({@link Scratch}, which every layer of a model can share) may be made once and given
 * to each step, so that a training loop allocates nothing (on a GPU, freeing device memory waits for
 * the device).
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

        /** The largest of the three ranks. */
        int maxRank() { return Math.max(gate.rank(), Math.max(up.rank(), down.rank())); }
    }

    /**
     * What {@link #backward} needs: X (the caller's, unchanged until then), gate and up [T, I] (which
     * backward overwrites with their gradients), the factors X·A_gateᵀ, X·A_upᵀ and h·A_downᵀ;
     * {@link #close} frees all but X.
     */
    public record Saved(Tensor x, Tensor gate, Tensor up, Tensor xaGate, Tensor xaUp, Tensor haDown, Weights weights) implements AutoCloseable {
        /** New buffers for a forward pass of {@code x} (their values are the forward pass's to write). */
        public static Saved of(Tensor x, Weights w) {
            int tokens = Lora.checkInput(x, w.gate());
            List<Tensor> made = new ArrayList<>();
            try {
                return new Saved(x, make(made, x, tokens, w.intermediate()), make(made, x, tokens, w.intermediate()), make(made, x, tokens, w.gate().rank()),
                        make(made, x, tokens, w.up().rank()), make(made, x, tokens, w.down().rank()), w);
            } catch (RuntimeException | OutOfMemoryError e) {
                made.forEach(Tensor::close);
                throw e;
            }
        }

        /** The same buffers for another input of X's shape (the next step of a training loop). */
        public Saved withInput(Tensor next) { return new Saved(next, gate, up, xaGate, xaUp, haDown, weights); }

        /** Checks the buffers against X and the weights. */
        void check() {
            int tokens = Lora.checkInput(x, weights.gate());
            Lora.requireLike("the saved gate", gate, x, tokens, weights.intermediate());
            Lora.requireLike("the saved up", up, x, tokens, weights.intermediate());
            Lora.requireLike("the saved factor of gate", xaGate, x, tokens, weights.gate().rank());
            Lora.requireLike("the saved factor of up", xaUp, x, tokens, weights.up().rank());
            Lora.requireLike("the saved factor of down", haDown, x, tokens, weights.down().rank());
        }

        @Override
        public void close() { for (Tensor t : new Tensor[] {gate, up, xaGate, xaUp, haDown}) t.close(); }
    }

    /**
     * What a pass needs only while it runs: the activation h [T, I] (forward: down's input; backward:
     * recomputed, then its gradient) and dXA [T, max r]; one serves any number of layers, one at a time.
     */
    public record Scratch(Tensor h, Tensor dxa) implements AutoCloseable {
        public static Scratch of(Device device, DType dtype, int tokens, Weights w) {
            Tensor h = Tensor.empty(dtype, device, tokens, w.intermediate());
            try {
                return new Scratch(h, Tensor.empty(dtype, device, tokens, w.maxRank()));
            } catch (RuntimeException | OutOfMemoryError e) {
                h.close();
                throw e;
            }
        }

        void check(Tensor x, Weights w) {
            int tokens = Math.toIntExact(x.shape(0));
            Lora.requireLike("the scratch activation", h, x, tokens, w.intermediate());
            if (dxa.rank() != 2 || dxa.shape(0) != tokens || dxa.shape(1) < w.maxRank() || dxa.dtype() != x.dtype() || !dxa.device().equals(x.device())) {
                throw new IllegalArgumentException("the scratch dXA must be a " + x.dtype() + " [" + tokens + ", ≥ " + w.maxRank() + "] on " + x.device() + ", not " + dxa);
            }
        }

        @Override
        public void close() {
            h.close();
            dxa.close();
        }
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

    /** As {@link #forward(Tensor, Weights)} with the given blocking, into new tensors. */
    public static Output forward(Tensor x, Weights w, Config cfg) {
        int tokens = Lora.checkInput(x, w.gate());
        Saved saved = Saved.of(x, w);
        try (Tensor h = Tensor.empty(x.dtype(), x.device(), tokens, w.intermediate())) {
            Tensor out = Tensor.empty(x.dtype(), x.device(), tokens, w.hidden());
            try {
                forwardInto(saved, cfg, out, h);
                return new Output(out, saved);
            } catch (RuntimeException e) {
                out.close();
                throw e;
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            saved.close();
            throw e;
        }
    }

    /** The forward pass of {@code saved.x()} into the given out [T, d] and saved buffers, with the scratch's h. */
    public static Output forward(Config cfg, Tensor out, Saved saved, Scratch scratch) {
        saved.check();
        scratch.check(saved.x(), saved.weights());
        Lora.requireLike("out", out, saved.x(), saved.x().shape(0), saved.weights().hidden());
        forwardInto(saved, cfg, out, scratch.h());
        return new Output(out, saved);
    }

    private static void forwardInto(Saved s, Config cfg, Tensor out, Tensor h) {
        Weights w = s.weights();
        Lora.forwardInto(s.x(), w.gate(), cfg, s.gate(), s.xaGate());
        Lora.forwardInto(s.x(), w.up(), cfg, s.up(), s.xaUp());
        Glu.forward(s.gate(), s.up(), Glu.Activation.SILU, h);
        Lora.forwardInto(h, w.down(), cfg, out, s.haDown());
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

    /** The gradients for dOut into {@code grads}, with a scratch of its own; the saved gate and up are overwritten. */
    public static Grads backward(Saved saved, Tensor dOut, Config cfg, Grads grads) {
        try (Scratch scratch = Scratch.of(saved.x().device(), saved.x().dtype(), Math.toIntExact(saved.x().shape(0)), saved.weights())) {
            return backward(saved, dOut, cfg, grads, scratch);
        }
    }

    /** The gradients for dOut into {@code grads}, with the given scratch; the saved gate and up are overwritten. */
    public static Grads backward(Saved saved, Tensor dOut, Config cfg, Grads grads, Scratch scratch) {
        Weights w = saved.weights();
        Tensor x = saved.x();
        saved.check();
        scratch.check(x, w);
        int tokens = Math.toIntExact(x.shape(0));
        Lora.requireLike("dOut", dOut, x, tokens, w.hidden());
        Lora.requireLike("dX", grads.dx(), x, tokens, w.hidden());
        Lora.requireGrads(w.gate(), grads.gate().da(), grads.gate().db());
        Lora.requireGrads(w.up(), grads.up().da(), grads.up().db());
        Lora.requireGrads(w.down(), grads.down().da(), grads.down().db());
        Tensor h = scratch.h();
        Glu.Saved glu = Glu.forward(saved.gate(), saved.up(), Glu.Activation.SILU, h).saved();
        // dA_down reads h last, so dh = dOut·W_down + dHA·A_down is written over it
        Lora.backwardInto(h, saved.haDown(), w.down(), dOut, cfg, h, false, grads.down().da(), grads.down().db(), scratch.dxa());
        Glu.backward(glu, h, saved.gate(), saved.up());
        Lora.backwardInto(x, saved.xaGate(), w.gate(), saved.gate(), cfg, grads.dx(), false, grads.gate().da(), grads.gate().db(), scratch.dxa());
        Lora.backwardInto(x, saved.xaUp(), w.up(), saved.up(), cfg, grads.dx(), true, grads.up().da(), grads.up().db(), scratch.dxa());
        return grads;
    }

    private static Tensor make(List<Tensor> made, Tensor like, int rows, int cols) {
        Tensor t = Tensor.empty(like.dtype(), like.device(), rows, cols);
        made.add(t);
        return t;
    }
}
