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
 * Layer normalization over the last dimension: y = (x - mean) / sqrt(var + eps) * w + b, one
 * program per row, statistics in f32. Also writes each row's mean and reciprocal standard deviation,
 * what {@link #backward(Saved, Tensor)} needs; the backward pass splits the rows among a fixed
 * number of programs, each with its own partial sums of dW and dB, reduced after.
 */
public final class LayerNorm {
    private LayerNorm() {}

    @Kernel
    static void forward(Tile x, Tile y, Tile w, Tile b, Tile mean, Tile rstd, Tile rowStride, Tile n, Tile eps,
                        @Constexpr int BLOCK) {
        Tile row = programId(0).to(I64);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile v = load(x.add(row.mul(rowStride)).add(cols), mask, 0.0).to(F32);
        Tile mu = sum(v, 0).div(n.to(F32));
        Tile centered = where(mask, v.sub(mu), 0.0);
        Tile variance = sum(centered.mul(centered), 0).div(n.to(F32));
        Tile r = rsqrt(variance.add(eps));
        // the statistics are stored as soon as they are known (as Triton's tutorial kernel does), so
        // that only the row, w and b are live while y is computed
        store(mean.add(row), mu);
        store(rstd.add(row), r);
        Tile weight = load(w.add(cols), mask).to(F32), bias = load(b.add(cols), mask).to(F32);
        // c * rstd * w + b as a multiply, then an add, not one fma: the row's registers are free once
        // w has scaled them, before b is needed (an fma needs the row, w and b at once, which keeps
        // f16 and bf16 rows of 8192 above 40 registers: two resident blocks of 512 threads, not three)
        store(y.add(row.mul(rowStride)).add(cols), centered.mul(r).mul(weight).add(bias), mask);
    }

    public static final JitKernel KERNEL = Jit.kernel(LayerNorm.class, "forward");

    /** Normalizes each row of the contiguous 2-D tensor x into y; mean and rstd get one f32 per row. */
    public static void forward(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y, Tensor mean, Tensor rstd) {
        NormLaunch.rows("layer norm", x, y);
        NormLaunch.vector("layer norm", "the weight", weight, x.shape(1));
        NormLaunch.vector("layer norm", "the bias", bias, x.shape(1));
        NormLaunch.perRow("layer norm", "mean", mean, x.shape(0));
        NormLaunch.perRow("layer norm", "rstd", rstd, x.shape(0));
        int rows = Math.toIntExact(x.shape(0)), n = Math.toIntExact(x.shape(1)), block = NormLaunch.block(n);
        KERNEL.withOptions(NormLaunch.warps(block), 1).launch(grid(rows), x, y, weight, bias, mean, rstd, x.stride(0), n, eps, block);
    }

    // ------------------------------------------------------------------ training

    /**
     * Rows [pid·per, (pid+1)·per): dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) with x̂ = (x − mean)·rstd
     * and dx̂ = dy·w, and this program's partial sums Σ dy·x̂ of dW and Σ dy of dB.
     */
    @Kernel
    static void backwardRows(Tile dy, Tile x, Tile w, Tile mean, Tile rstd, Tile dx, Tile dwPartial, Tile dbPartial, Tile rows,
                             Tile rowStride, Tile n, Tile per, @Constexpr int BLOCK) {
        Tile pid = programId(0);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile wv = load(w.add(cols), mask, 0.0).to(F32);
        Tile first = pid.mul(per), nf = n.to(F32);
        Var dw = var(zeros(F32, BLOCK)), db = var(zeros(F32, BLOCK));
        for (Tile row : range(first, minimum(first.add(per), rows))) {
            Tile at = row.to(I64).mul(rowStride).add(cols);
            Tile r = load(rstd.add(row));
            Tile xhat = where(mask, load(x.add(at), mask, 0.0).to(F32).sub(load(mean.add(row))).mul(r), 0.0);
            Tile g = load(dy.add(at), mask, 0.0).to(F32);
            Tile dxhat = g.mul(wv);
            Tile d = dxhat.sub(sum(dxhat, 0).div(nf)).sub(xhat.mul(sum(dxhat.mul(xhat), 0).div(nf))).mul(r);
            store(dx.add(at), d, mask);
            dw.set(dw.get().add(g.mul(xhat)));
            db.set(db.get().add(g));
        }
        Tile partial = pid.to(I64).mul(n).add(cols);
        store(dwPartial.add(partial), dw.get(), mask);
        store(dbPartial.add(partial), db.get(), mask);
    }

    public static final JitKernel BACKWARD = Jit.kernel(LayerNorm.class, "backwardRows");

    /** What {@link #backward} needs: x (unchanged until then), the weight, and each row's mean and rstd (f32). */
    public record Saved(Tensor x, Tensor weight, Tensor mean, Tensor rstd) {}

    /** The normalized rows and what the backward pass needs (y, mean and rstd are the caller's to close). */
    public record Output(Tensor y, Saved saved) {}

    /** dx, dw and db, the last two in the weight's and the bias's dtypes. */
    public record Grads(Tensor dx, Tensor dw, Tensor db) {}

    /** y = layernorm(x)·w + b, saving what the backward pass needs. */
    public static Output forward(Tensor x, Tensor weight, Tensor bias, float eps) {
        NormLaunch.rows("layer norm", x);
        NormLaunch.vector("layer norm", "the weight", weight, x.shape(1));
        NormLaunch.vector("layer norm", "the bias", bias, x.shape(1));
        Tensor y = Tensor.empty(x.dtype(), x.device(), x.shape());
        Tensor mean = Tensor.empty(DType.F32, x.device(), x.shape(0)), rstd = Tensor.empty(DType.F32, x.device(), x.shape(0));
        forward(x, weight, bias, eps, y, mean, rstd);
        return new Output(y, new Saved(x, weight, mean, rstd));
    }

    /** The gradients for dy (shaped as x). */
    public static Grads backward(Saved saved, Tensor dy) {
        Tensor x = saved.x();
        return backward(saved, dy, Tensor.empty(x.dtype(), x.device(), x.shape()), Tensor.empty(saved.weight().dtype(), x.device(), x.shape(1)),
                Tensor.empty(saved.weight().dtype(), x.device(), x.shape(1)));
    }

    /** As {@link #backward(Saved, Tensor)} into given dx (which may be dy: in place), dw and db. */
    public static Grads backward(Saved saved, Tensor dy, Tensor dx, Tensor dw, Tensor db) {
        Tensor x = saved.x();
        NormLaunch.rows("layer norm backward", x, dy, dx);
        int rows = Math.toIntExact(x.shape(0)), n = Math.toIntExact(x.shape(1)), block = NormLaunch.block(n);
        NormLaunch.perRow("layer norm backward", "mean", saved.mean(), rows);
        NormLaunch.perRow("layer norm backward", "rstd", saved.rstd(), rows);
        NormLaunch.vector("layer norm backward", "dw", dw, n);
        NormLaunch.vector("layer norm backward", "db", db, n);
        int programs = NormLaunch.programs(x), per = cdiv(rows, programs);
        try (Tensor dwPartial = Tensor.empty(DType.F32, x.device(), programs, n); Tensor dbPartial = Tensor.empty(DType.F32, x.device(), programs, n)) {
            BACKWARD.withOptions(NormLaunch.warps(block), 1).launch(grid(programs), dy, x, saved.weight(), saved.mean(), saved.rstd(), dx,
                    dwPartial, dbPartial, rows, x.stride(0), n, per, block);
            NormLaunch.sumPartials(dwPartial, dw);
            NormLaunch.sumPartials(dbPartial, db);
        }
        return new Grads(dx, dw, db);
    }
}
