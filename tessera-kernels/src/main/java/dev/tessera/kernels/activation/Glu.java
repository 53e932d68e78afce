package dev.tessera.kernels.activation;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;

/**
 * Gated linear units of a transformer MLP, out = act(gate) · up, forward and backward: SwiGLU (act
 * = silu) and GeGLU (act = gelu, in its erf form or its tanh approximation). The backward pass
 * recomputes the activation from the saved gate and up instead of keeping it (one [tokens,
 * intermediate] tensor less in memory) and may write the gradients over gate and up themselves.
 * Elementwise over contiguous tensors of one size, computed in f32 whatever the storage dtype.
 */
public final class Glu {
    private Glu() {}

    /** The activation of the gate. */
    public enum Activation {
        /** x·σ(x): SwiGLU (Llama, Mistral, Qwen). */
        SILU,
        /** x·Φ(x) = x/2·(1 + erf(x/√2)): GeGLU as PyTorch's gelu computes it by default. */
        GELU_ERF,
        /** x/2·(1 + tanh(√(2/π)·(x + 0.044715x³))): GeGLU with gelu(approximate="tanh") (Gemma). */
        GELU_TANH
    }

    static final double SQRT_HALF = 0.7071067811865476, INV_SQRT_2PI = 0.3989422804014327, SQRT_2_OVER_PI = 0.7978845608028654;
    static final double TANH_CUBIC = 0.044715;

    /** act(g) (index 0) and act'(g) (index 1, when {@code derivative}). */
    private static Tile[] act(Tile g, int activation, boolean derivative) {
        return switch (activation) {
            case 0 -> {
                Tile s = sigmoid(g);
                yield new Tile[] {g.mul(s), derivative ? s.mul(g.mul(scalar(1.0).to(F32).sub(s)).add(1.0)) : null};
            }
            case 1 -> {
                Tile cdf = erf(g.mul(SQRT_HALF)).add(1.0).mul(0.5);
                yield new Tile[] {g.mul(cdf), derivative ? cdf.add(g.mul(exp(g.mul(g).mul(-0.5))).mul(INV_SQRT_2PI)) : null};
            }
            default -> {
                Tile t = tanh(g.mul(g).mul(TANH_CUBIC).add(1.0).mul(g).mul(SQRT_2_OVER_PI));
                Tile half = t.add(1.0).mul(0.5);
                Tile dInner = g.mul(g).mul(3 * TANH_CUBIC).add(1.0).mul(SQRT_2_OVER_PI);
                yield new Tile[] {g.mul(half), derivative ? half.add(g.mul(0.5).mul(scalar(1.0).to(F32).sub(t.mul(t))).mul(dInner)) : null};
            }
        };
    }

    @Kernel
    static void forward(Tile gate, Tile up, Tile out, Tile n, @Constexpr int BLOCK, @Constexpr int ACT) {
        Tile offs = programId(0).to(I64).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        Tile g = load(gate.add(offs), mask, 0.0).to(F32);
        store(out.add(offs), act(g, ACT, false)[0].mul(load(up.add(offs), mask, 0.0).to(F32)), mask);
    }

    /** dGate = dOut·up·act'(gate), dUp = dOut·act(gate); every element read before it is written, so either may be its input. */
    @Kernel
    static void backward(Tile dOut, Tile gate, Tile up, Tile dGate, Tile dUp, Tile n, @Constexpr int BLOCK, @Constexpr int ACT) {
        Tile offs = programId(0).to(I64).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        Tile g = load(gate.add(offs), mask, 0.0).to(F32), u = load(up.add(offs), mask, 0.0).to(F32);
        Tile d = load(dOut.add(offs), mask, 0.0).to(F32);
        Tile[] a = act(g, ACT, true);
        store(dGate.add(offs), d.mul(u).mul(a[1]), mask);
        store(dUp.add(offs), d.mul(a[0]), mask);
    }

    public static final JitKernel FORWARD = Jit.kernel(Glu.class, "forward");
    public static final JitKernel BACKWARD = Jit.kernel(Glu.class, "backward");

    /** What {@link #backward} needs: gate and up, unchanged until then. */
    public record Saved(Tensor gate, Tensor up, Activation activation) {}

    /** act(gate)·up (the caller's to close) and what the backward pass needs. */
    public record Output(Tensor out, Saved saved) {}

    /** The gradients of gate and up. */
    public record Grads(Tensor dGate, Tensor dUp) {}

    private static void check(String op, Tensor... ts) {
        Tensor first = ts[0];
        DType t = first.dtype();
        if (t != DType.F32 && t != DType.F16 && t != DType.BF16) throw new IllegalArgumentException(op + ": tensors must be f32, f16 or bf16, not " + t);
        for (Tensor x : ts) {
            if (!x.isContiguous() || x.numel() != first.numel() || !x.device().equals(first.device())) {
                throw new IllegalArgumentException(op + " needs contiguous tensors of one size on one device: " + java.util.Arrays.toString(ts));
            }
        }
    }

    /** Elements per program: 1024 on GPUs, more on the CPU, where a program has a fixed cost. */
    private static int block(Tensor t) { return t.device().backend().equals("cpu") ? 8192 : 1024; }

    private static int programs(Tensor t, int block) { return Math.toIntExact(Math.ceilDiv(t.numel(), (long) block)); }

    /** act(gate)·up into a new tensor. */
    public static Output forward(Tensor gate, Tensor up, Activation activation) {
        return forward(gate, up, activation, Tensor.empty(gate.dtype(), gate.device(), gate.shape()));
    }

    /** act(gate)·up into out (which may not be gate or up: backward reads them). */
    public static Output forward(Tensor gate, Tensor up, Activation activation, Tensor out) {
        check("GLU", gate, up, out);
        if (out == gate || out == up) throw new IllegalArgumentException("GLU: out may not be gate or up, which the backward pass reads");
        int block = block(gate);
        FORWARD.launch(grid(programs(gate, block)), gate, up, out, gate.numel(), block, activation.ordinal());
        return new Output(out, new Saved(gate, up, activation));
    }

    /** The gradients for dOut, into new tensors. */
    public static Grads backward(Saved saved, Tensor dOut) {
        Tensor g = saved.gate();
        return backward(saved, dOut, Tensor.empty(g.dtype(), g.device(), g.shape()), Tensor.empty(g.dtype(), g.device(), g.shape()));
    }

    /** The gradients for dOut into dGate and dUp, which may be the saved gate and up themselves (in place) or dOut. */
    public static Grads backward(Saved saved, Tensor dOut, Tensor dGate, Tensor dUp) {
        check("GLU backward", saved.gate(), saved.up(), dOut, dGate, dUp);
        if (dGate == dUp) throw new IllegalArgumentException("GLU backward: dGate and dUp must be two tensors");
        int block = block(dOut);
        BACKWARD.launch(grid(programs(dOut, block)), dOut, saved.gate(), saved.up(), dGate, dUp, dOut.numel(), block, saved.activation().ordinal());
        return new Grads(dGate, dUp);
    }
}
