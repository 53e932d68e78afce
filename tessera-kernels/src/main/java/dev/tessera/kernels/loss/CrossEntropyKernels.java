package dev.tessera.kernels.loss;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;

/**
 * The kernels of {@link CrossEntropy}: counting the labels that take part, the fused loss and
 * gradient over each row of logits, and the reduction of the rows' losses.
 *
 * <p>The row kernel reads a row twice and writes it once. The first pass keeps an online
 * log-sum-exp: the running maximum is a scalar (one reduction per block of the vocabulary), the
 * running sum stays per lane, rescaled by the scalar factor, and is summed once at the end, so a
 * block costs one exponential per logit. The second pass writes d loss / d logit over the logits
 * themselves; a GPU's L2 still holds the row from the first pass (a bf16 row of 128256 is 250 KiB).
 * Logits are transformed as z = cap · tanh(scale · x / cap) (or z = scale · x without a cap);
 * every statistic is f32 whatever the storage dtype.
 */
public final class CrossEntropyKernels {
    private CrossEntropyKernels() {}

    /** log2(e): e^x is computed as 2^(x log2 e), as {@code Softmax} does. */
    static final double LOG2_E = 1.4426950408889634;

    /** The transformed logit z of a loaded x. */
    private static Tile transform(Tile x, Tile scale, Tile cap, boolean softcap) {
        Tile z = x.mul(scale);
        return softcap ? cap.mul(tanh(z.div(cap))) : z;
    }

    /**
     * count[0] = how many labels are not {@code ignoreIndex} (i32), one program over all rows; with
     * CHECK, a label outside [0, n) that is not ignoreIndex fails the launch.
     */
    @Kernel
    static void countLabels(Tile labels, Tile count, Tile rows, Tile n, Tile ignoreIndex, @Constexpr int BLOCK, @Constexpr boolean CHECK) {
        Var total = var(zeros(I32, BLOCK));
        for (Tile r0 : range(0, rows, BLOCK)) {
            Tile r = arange(0, BLOCK).add(r0);
            Tile mask = r.lt(rows);
            Tile y = load(labels.add(r), mask, 0L).to(I64);
            Tile used = mask.and(y.ne(ignoreIndex.to(I64)));
            if (CHECK) deviceAssert(used.not().or(y.ge(0L).and(y.lt(n.to(I64)))), "a label is outside [0, vocabulary) and is not ignore_index");
            total.set(total.get().add(where(used, 1L, 0L).to(I32)));
        }
        store(count, sum(total.get(), 0));
    }

    /**
     * One program per row: loss[row] = lse − (1−ε)·z_y − (ε/n)·Σz + zLoss·lse² (0 for an ignored
     * row), and with GRAD, over the row of logits, d/dx of the row's share of the reduced loss:
     * (p·(1 + 2·zLoss·lse) − ε/n − (1−ε)·[j = y]) · dz/dx · g, with g = 1/count for a mean (1 for
     * a sum or per-row losses) and 0 for an ignored row.
     */
    @Kernel
    static void lossAndGradient(Tile logits, Tile labels, Tile loss, Tile count, Tile rowStride, Tile n, Tile ignoreIndex,
                                Tile smoothing, Tile scale, Tile cap, Tile zLoss,
                                @Constexpr int BLOCK, @Constexpr boolean SOFTCAP, @Constexpr boolean MEAN, @Constexpr boolean GRAD) {
        Tile row = programId(0).to(I64);
        Tile base = logits.add(row.mul(rowStride));
        Tile y = load(labels.add(row)).to(I64);
        Tile valid = y.ne(ignoreIndex.to(I64));
        Tile inRange = y.ge(0L).and(y.lt(n.to(I64)));
        Tile label = where(inRange, y, 0L).to(I32);
        // unchecked, a label outside the vocabulary gives its row a NaN loss rather than another label's
        Tile zy = where(inRange, transform(load(base.add(label)).to(F32), scale, cap, SOFTCAP), Double.NaN);

        Tile log2e = scalar(LOG2_E).to(F32);
        Var m = var(scalar(Double.NEGATIVE_INFINITY).to(F32));
        Var s = var(zeros(F32, BLOCK)), zSum = var(zeros(F32, BLOCK));
        for (Tile j0 : range(0, n, BLOCK)) {
            Tile j = arange(0, BLOCK).add(j0);
            Tile mask = j.lt(n);
            Tile z = transform(load(base.add(j), mask, 0.0).to(F32), scale, cap, SOFTCAP);
            Tile zm = where(mask, z, Double.NEGATIVE_INFINITY);
            Tile mNew = maximum(m.get(), max(zm, 0));
            // an all -inf prefix keeps the maximum at -inf; 0 in its place keeps exp2 from -inf - -inf
            Tile shift = where(mNew.eq(Double.NEGATIVE_INFINITY), 0.0, mNew);
            // terms of at most 1 with the row's largest 1: those below 2^-126 that fastExp2 flushes do not count;
            // the shift joins the base change in one fma (a multiply and a subtraction an element fewer)
            Tile shift2 = shift.mul(LOG2_E).neg();
            s.set(s.get().mul(fastExp2(fma(m.get(), log2e, shift2))).add(fastExp2(fma(zm, log2e, shift2))));
            zSum.set(zSum.get().add(where(mask, z, 0.0)));
            m.set(mNew);
        }
        Tile lse = m.get().add(log(sum(s.get(), 0)));
        Tile nf = n.to(F32), keep = scalar(1.0).to(F32).sub(smoothing);
        Tile rowLoss = lse.sub(keep.mul(zy)).sub(smoothing.div(nf).mul(sum(zSum.get(), 0))).add(zLoss.mul(lse).mul(lse));
        store(loss.add(row), where(valid, rowLoss, 0.0));

        if (GRAD) {
            Tile g = MEAN ? scalar(1.0).to(F32).div(load(count).to(F32)) : scalar(1.0).to(F32);
            Tile coef = zLoss.mul(lse).mul(2.0).add(1.0), uniform = smoothing.div(nf), gs = g.mul(scale), lse2 = lse.mul(LOG2_E).neg();
            for (Tile j0 : range(0, n, BLOCK)) {
                Tile j = arange(0, BLOCK).add(j0);
                Tile mask = j.lt(n);
                Tile x = load(base.add(j), mask, 0.0).to(F32);
                Tile z = transform(x, scale, cap, SOFTCAP);
                Tile p = fastExp2(fma(z, log2e, lse2));   // p ≤ 1: a flushed p below 2^-126 leaves a gradient of 0 there
                Tile d = p.mul(coef).sub(uniform).sub(where(j.eq(label), keep, 0.0));
                if (SOFTCAP) {
                    // dz/dx = scale·(1 − tanh²u), u = scale·x/cap, as 4e/(1+e)² with e = e^(−2|u|): 1 − (z/cap)²
                    // cancels where tanh is near ±1 and would lose most of f32's digits there
                    Tile e = exp2(abs(x.mul(scale).div(cap)).mul(-2 * LOG2_E));
                    Tile onePlus = e.add(1.0);
                    d = d.mul(e.mul(4.0).div(onePlus.mul(onePlus)));
                }
                store(base.add(j), where(valid, d.mul(gs), 0.0), mask);
            }
        }
    }

    /** out[0] = Σ loss over the rows, divided by count[0] with MEAN; one program. */
    @Kernel
    static void reduceLoss(Tile loss, Tile count, Tile out, Tile rows, @Constexpr int BLOCK, @Constexpr boolean MEAN) {
        Var total = var(zeros(F32, BLOCK));
        for (Tile r0 : range(0, rows, BLOCK)) {
            Tile r = arange(0, BLOCK).add(r0);
            total.set(total.get().add(load(loss.add(r), r.lt(rows), 0.0)));
        }
        Tile t = sum(total.get(), 0);
        store(out, MEAN ? t.div(load(count).to(F32)) : t);
    }

    /** Rows of x scaled by g (one value, or one per row) in place: the backward of an upstream gradient. */
    @Kernel
    static void scaleRows(Tile x, Tile g, Tile rowStride, Tile n, @Constexpr int BLOCK, @Constexpr boolean PER_ROW) {
        Tile row = programId(0).to(I64);
        Tile gv = load(PER_ROW ? g.add(row) : g).to(F32);
        Tile base = x.add(row.mul(rowStride));
        for (Tile j0 : range(0, n, BLOCK)) {
            Tile j = arange(0, BLOCK).add(j0);
            Tile mask = j.lt(n);
            store(base.add(j), load(base.add(j), mask, 0.0).to(F32).mul(gv), mask);
        }
    }

    public static final JitKernel COUNT = Jit.kernel(CrossEntropyKernels.class, "countLabels");
    public static final JitKernel ROWS = Jit.kernel(CrossEntropyKernels.class, "lossAndGradient");
    public static final JitKernel REDUCE = Jit.kernel(CrossEntropyKernels.class, "reduceLoss");
    public static final JitKernel SCALE = Jit.kernel(CrossEntropyKernels.class, "scaleRows");
}
