package dev.tessera.kernels.norm;

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
 * RMS normalization over the last dimension: y = x / sqrt(mean(x²) + eps) · w, one program per
 * row, statistics in f32. {@link #forward(Tensor, Tensor, float, Tensor, Tensor)} is the inference
 * kernel; {@link #forward(Tensor, Tensor, Tensor, float, Convention)} and
 * {@link #backward(Saved, Tensor, Tensor)} are the training pair, with an optional fused residual
 * add (h = x + residual is normalized and returned as the next residual, as a transformer block
 * does) and the weight conventions of Llama and Gemma. The backward pass splits the rows among a
 * fixed number of programs, each keeping its own partial sum of dW, reduced after.
 */
public final class RmsNorm {
    private RmsNorm() {}

    @Kernel
    static void forward(Tile x, Tile y, Tile w, Tile rrms, Tile rowStride, Tile n, Tile eps, @Constexpr int BLOCK) {
        Tile row = programId(0).to(I64);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile v = load(x.add(row.mul(rowStride)).add(cols), mask, 0.0).to(F32);
        Tile r = rsqrt(sum(v.mul(v), 0).div(n.to(F32)).add(eps));
        Tile weight = load(w.add(cols), mask).to(F32);
        store(y.add(row.mul(rowStride)).add(cols), v.mul(r).mul(weight), mask);
        store(rrms.add(row), r);
    }

    public static final JitKernel KERNEL = Jit.kernel(RmsNorm.class, "forward");

    /** Normalizes each row of the contiguous 2-D tensor x into y; rrms gets one f32 per row. */
    public static void forward(Tensor x, Tensor weight, float eps, Tensor y, Tensor rrms) {
        NormLaunch.rows("rms norm", x, y);
        NormLaunch.vector("rms norm", "the weight", weight, x.shape(1));
        NormLaunch.perRow("rms norm", "rrms", rrms, x.shape(0));
        int rows = Math.toIntExact(x.shape(0)), n = Math.toIntExact(x.shape(1)), block = NormLaunch.block(n);
        KERNEL.withOptions(NormLaunch.warps(block), 1).launch(grid(rows), x, y, weight, rrms, x.stride(0), n, eps, block);
    }

    // ------------------------------------------------------------------ training

    /** Where the weight enters. */
    public enum Convention {
        /** Llama: the normalized row is cast to x's dtype first, then multiplied by w (as Hugging Face's LlamaRMSNorm). */
        LLAMA,
        /** Gemma: the normalized row times (1 + w), all in f32, cast at the end. */
        GEMMA
    }

    /** The weight's factor: w, or 1 + w for Gemma. */
    private static Tile factor(Tile w, Tile mask, boolean gemma) {
        Tile wv = load(w.add(arange(0, mask.shape()[0])), mask, 0.0).to(F32);
        return gemma ? wv.add(1.0) : wv;
    }

    @Kernel
    static void forwardTraining(Tile x, Tile residual, Tile h, Tile y, Tile w, Tile rstd, Tile rowStride, Tile n, Tile eps,
                                @Constexpr int BLOCK, @Constexpr boolean RESIDUAL, @Constexpr boolean GEMMA) {
        Tile row = programId(0).to(I64);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile at = row.mul(rowStride).add(cols);
        Tile v = load(x.add(at), mask, 0.0).to(F32);
        if (RESIDUAL) {
            // the sum is rounded to x's dtype, stored as the next residual, and that is what is normalized
            v = v.add(load(residual.add(at), mask, 0.0).to(F32)).to(x.elementType()).to(F32);
            store(h.add(at), v, mask);
        }
        Tile r = rsqrt(sum(v.mul(v), 0).div(n.to(F32)).add(eps));
        Tile normed = v.mul(r);
        if (!GEMMA) normed = normed.to(x.elementType()).to(F32);
        store(y.add(at), normed.mul(factor(w, mask, GEMMA)), mask);
        store(rstd.add(row), r);
    }

    /**
     * Rows [pid·per, (pid+1)·per): dh = rstd·(dn − n̂·mean(dn·n̂)) with n̂ = h·rstd and dn = dy·w'
     * (+ the next residual's gradient), and this program's partial Σ dy·n̂ of dW.
     */
    @Kernel
    static void backwardRows(Tile dy, Tile h, Tile w, Tile rstd, Tile dNext, Tile dx, Tile dwPartial, Tile rows, Tile rowStride, Tile n,
                             Tile per, @Constexpr int BLOCK, @Constexpr boolean NEXT, @Constexpr boolean GEMMA) {
        Tile pid = programId(0);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile wv = factor(w, mask, GEMMA);
        Tile first = pid.mul(per);
        Var dw = var(zeros(F32, BLOCK));
        for (Tile row : range(first, minimum(first.add(per), rows))) {
            Tile at = row.to(I64).mul(rowStride).add(cols);
            Tile r = load(rstd.add(row));
            Tile normed = load(h.add(at), mask, 0.0).to(F32).mul(r);
            Tile g = load(dy.add(at), mask, 0.0).to(F32);
            Tile dn = g.mul(wv);
            Tile d = dn.sub(normed.mul(sum(dn.mul(normed), 0).div(n.to(F32)))).mul(r);
            if (NEXT) d = d.add(load(dNext.add(at), mask, 0.0).to(F32));
            store(dx.add(at), d, mask);
            dw.set(dw.get().add(g.mul(normed)));
        }
        store(dwPartial.add(pid.to(I64).mul(n)).add(cols), dw.get(), mask);
    }

    public static final JitKernel FORWARD_TRAINING = Jit.kernel(RmsNorm.class, "forwardTraining");
    public static final JitKernel BACKWARD = Jit.kernel(RmsNorm.class, "backwardRows");

    /**
     * What {@link #backward} needs: the normalized input h (x, or x + residual: the caller keeps
     * it unchanged until then), the weight, rstd (one f32 per row) and eps's convention.
     */
    public record Saved(Tensor input, Tensor weight, Tensor rstd, Convention convention) {}

    /**
     * @param y        the normalized rows, in x's dtype
     * @param residual the next residual x + residual (null without a residual)
     * @param saved    for {@link #backward}; its rstd is the caller's to close, with y and residual
     */
    public record Output(Tensor y, Tensor residual, Saved saved) {}

    /** dx (also the gradient of the residual given to forward, when there was one) and dw in the weight's dtype. */
    public record Grads(Tensor dx, Tensor dw) {}

    /** y = rmsnorm(x + residual) · w' (residual may be null), saving what the backward pass needs. */
    public static Output forward(Tensor x, Tensor residual, Tensor weight, float eps, Convention convention) {
        NormLaunch.rows("rms norm", x);
        Tensor y = Tensor.empty(x.dtype(), x.device(), x.shape()), rstd = Tensor.empty(DType.F32, x.device(), x.shape(0));
        Tensor h = residual != null ? Tensor.empty(x.dtype(), x.device(), x.shape()) : null;
        return forward(x, residual, weight, eps, convention, y, h, rstd);
    }

    /** As {@link #forward(Tensor, Tensor, Tensor, float, Convention)} into given y, next residual h (null without a residual) and rstd. */
    public static Output forward(Tensor x, Tensor residual, Tensor weight, float eps, Convention convention, Tensor y, Tensor h, Tensor rstd) {
        NormLaunch.rows("rms norm", x, residual, y, h);
        if ((residual == null) != (h == null)) throw new IllegalArgumentException("rms norm: the next residual h is given exactly when a residual is");
        NormLaunch.vector("rms norm", "the weight", weight, x.shape(1));
        NormLaunch.perRow("rms norm", "rstd", rstd, x.shape(0));
        int rows = Math.toIntExact(x.shape(0)), n = Math.toIntExact(x.shape(1)), block = NormLaunch.block(n);
        FORWARD_TRAINING.withOptions(NormLaunch.warps(block), 1).launch(grid(rows), x, residual != null ? residual : x, h != null ? h : y, y,
                weight, rstd, x.stride(0), n, eps, block, residual != null, convention == Convention.GEMMA);
        return new Output(y, h, new Saved(h != null ? h : x, weight, rstd, convention));
    }

    /**
     * The gradients for dy (shaped as y) and, when forward returned a residual that was used on,
     * {@code dResidual}, the gradient that came back into it (null for none).
     */
    public static Grads backward(Saved saved, Tensor dy, Tensor dResidual) {
        Tensor h = saved.input();
        return backward(saved, dy, dResidual, Tensor.empty(h.dtype(), h.device(), h.shape()),
                Tensor.empty(saved.weight().dtype(), h.device(), saved.weight().shape()));
    }

    /** As {@link #backward(Saved, Tensor, Tensor)} into given dx (which may be dy or dResidual: in place) and dw. */
    public static Grads backward(Saved saved, Tensor dy, Tensor dResidual, Tensor dx, Tensor dw) {
        Tensor h = saved.input();
        NormLaunch.rows("rms norm backward", h, dy, dResidual, dx);
        int rows = Math.toIntExact(h.shape(0)), n = Math.toIntExact(h.shape(1)), block = NormLaunch.block(n);
        NormLaunch.perRow("rms norm backward", "rstd", saved.rstd(), rows);
        NormLaunch.vector("rms norm backward", "dw", dw, n);
        int programs = NormLaunch.programs(h), per = cdiv(rows, programs);
        try (Tensor partial = Tensor.empty(DType.F32, h.device(), programs, n)) {
            BACKWARD.withOptions(NormLaunch.warps(block), 1).launch(grid(programs), dy, h, saved.weight(), saved.rstd(),
                    dResidual != null ? dResidual : dy, dx, partial, rows, h.stride(0), n, per, block, dResidual != null,
                    saved.convention() == Convention.GEMMA);
            NormLaunch.sumPartials(partial, dw);
        }
        return new Grads(dx, dw);
    }
}
