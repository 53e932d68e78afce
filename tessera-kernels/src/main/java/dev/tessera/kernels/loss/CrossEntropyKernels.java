package dev.tessera.kernels.loss;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.MemoryOrder.Cache;
import dev.tessera.lang.MemoryOrder.Eviction;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;

/**
 * The kernels of {@link CrossEntropy}: counting the labels that take part, the fused loss and
 * gradient over each row of logits, and the reduction of the rows' losses.
 *
 * <p>The row kernel reads a row twice and writes it once. The first pass keeps an online
 * log-sum-exp per lane (a maximum and a sum relative to it, one exponential per logit), combined
 * once at the end of the row. The second pass writes d loss / d logit over the logits
 * themselves, reading the row again, from L2 as far as it still holds it (a bf16 row of 128256 is
 * 250 KiB; H200: 8192 × 128256 bf16 read 3.4 GB from DRAM for the 4.2 GB the passes read).
 * Logits are transformed as z = cap · tanh(scale · x / cap) (or z = scale · x without a cap);
 * every statistic is f32 whatever the storage dtype.
 */
public final class CrossEntropyKernels {
    private CrossEntropyKernels() {}

    /** log2(e): e^x is computed as 2^(x log2 e), as {@code Softmax} does. */
    static final double LOG2_E = 1.4426950408889634;

    /** The transformed logit z of a loaded x (x itself when neither scaled nor capped). */
    private static Tile transform(Tile x, Tile scale, Tile cap, Terms terms) {
        Tile z = terms.scaled ? x.mul(scale) : x;
        return terms.softcap ? cap.mul(tanh(z.div(cap))) : z;
    }

    /**
     * Which terms of the loss a row kernel carries, from its constexprs: each absent term (a scale
     * of 1, no cap, ε = 0, no z-loss) costs no instruction per logit.
     */
    private record Terms(boolean scaled, boolean softcap, boolean smoothing, boolean zLoss) {}

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
     *
     * <p>Both passes run over the row's whole blocks unmasked and over its ragged end (a loop of at
     * most one step), and the label's term −(1−ε) is not tested for at every logit: after a
     * barrier, one store writes the label's gradient over what the second pass wrote there. The
     * first read asks L2 to keep the row's lines for the second (evict_last), the second read and
     * the gradient's store to drop theirs first; the second pass runs backwards, so that it starts
     * with the lines the first read last.
     *
     * <p>Over the whole blocks both passes load a block one step ahead, carried in registers into
     * the next step, so that each thread has the next block's loads in flight while it computes on
     * its current one: H200, 8192 × 128256 bf16 at 72 % of copy bandwidth, ncu showed DRAM traffic
     * at its floor and warps stalled on their loads (long scoreboard) at 25 % occupancy (not yet
     * measured with the prefetch). The ragged end is not prefetched (a step at most).
     */
    @Kernel
    static void lossAndGradient(Tile logits, Tile labels, Tile loss, Tile count, Tile rowStride, Tile n, Tile ignoreIndex,
                                Tile smoothing, Tile scale, Tile cap, Tile zLoss,
                                @Constexpr int BLOCK, @Constexpr boolean SCALED, @Constexpr boolean SOFTCAP, @Constexpr boolean SMOOTHING,
                                @Constexpr boolean Z_LOSS, @Constexpr boolean MEAN, @Constexpr boolean GRAD) {
        WholeBlocks blocks = (base, whole, pass) -> {
            Var ahead = var(firstWholeBlock(base, arange(0, BLOCK), whole, Eviction.LAST));
            for (Tile j0 : range(0, whole, BLOCK)) {
                Tile x = ahead.get();
                // the next block's start is clamped to the last whole block, which the last step loads again (from L2,
                // where it just went: no DRAM traffic): a block past the whole ones would run past the row unmasked,
                // and a mask would cost every step its predicates, and its vectors unless n is a multiple of 16
                ahead.set(block(base, arange(0, BLOCK).add(minimum(j0.add(BLOCK), whole.sub(BLOCK))), null, Eviction.LAST));
                pass.accept(x);
            }
        };
        row(logits, labels, loss, count, rowStride, n, ignoreIndex, smoothing, scale, cap, zLoss, blocks,
                BLOCK, new Terms(SCALED, SOFTCAP, SMOOTHING, Z_LOSS), MEAN, GRAD);
    }

    /**
     * {@link #lossAndGradient} with the first pass's whole blocks read through {@code rows}, a
     * descriptor of the logits viewed as [rows, n / 256, 256] in blocks of [1, BLOCK / 256, 256]:
     * on Hopper the pipelined loop has the copy unit land them {@code num_stages − 1} blocks ahead
     * in shared memory, where they hold no registers (the pointer kernel has its one block ahead in
     * registers, and at one program a multiprocessor the bytes it keeps in flight bound it: ncu on
     * an H100 had its warps waiting on loads 39 % of their cycles at 73 % of DRAM's peak). The
     * copies keep their lines in L2 for the second pass, as the pointer kernel's loads do.
     */
    @Kernel
    static void lossAndGradientDescriptors(TensorDesc rows, Tile logits, Tile labels, Tile loss, Tile count, Tile rowStride, Tile n, Tile ignoreIndex,
                                           Tile smoothing, Tile scale, Tile cap, Tile zLoss,
                                           @Constexpr int BLOCK, @Constexpr boolean SCALED, @Constexpr boolean SOFTCAP, @Constexpr boolean SMOOTHING,
                                           @Constexpr boolean Z_LOSS, @Constexpr boolean MEAN, @Constexpr boolean GRAD) {
        Tile row = programId(0);
        // over the blocks' indices, the descriptor's row of a block a multiple of its rows: no division a step
        WholeBlocks blocks = (base, whole, pass) -> {
            for (Tile t : range(0, whole.div(BLOCK))) {
                pass.accept(load(rows, Eviction.LAST, row, t.mul(BLOCK / DESCRIPTOR_COLUMNS), scalar(0)).reshape(BLOCK));
            }
        };
        row(logits, labels, loss, count, rowStride, n, ignoreIndex, smoothing, scale, cap, zLoss, blocks,
                BLOCK, new Terms(SCALED, SOFTCAP, SMOOTHING, Z_LOSS), MEAN, GRAD);
    }

    /** The columns of the [rows, n / 256, 256] view {@link #lossAndGradientDescriptors} reads the logits through (a box's widest). */
    static final int DESCRIPTOR_COLUMNS = 256;

    /** How a row's first pass reads its whole blocks [0, whole) of the row at {@code base}: each, as loaded, handed to {@code pass} in order. */
    @FunctionalInterface
    private interface WholeBlocks {
        void each(Tile base, Tile whole, java.util.function.Consumer<Tile> pass);
    }

    /** One program's row: both passes, the whole blocks of the first from {@code blocks}. */
    private static void row(Tile logits, Tile labels, Tile loss, Tile count, Tile rowStride, Tile n, Tile ignoreIndex,
                            Tile smoothing, Tile scale, Tile cap, Tile zLoss, WholeBlocks blocks,
                            int BLOCK, Terms terms, boolean MEAN, boolean GRAD) {
        Tile whole = n.div(BLOCK).mul(BLOCK);
        Tile row = programId(0).to(I64);
        Tile base = logits.add(row.mul(rowStride));
        Tile y = load(labels.add(row)).to(I64);
        Tile valid = y.ne(ignoreIndex.to(I64));
        Tile inRange = y.ge(0L).and(y.lt(n.to(I64)));
        Tile label = where(inRange, y, 0L).to(I32);
        Tile xy = load(base.add(label)).to(F32);
        // unchecked, a label outside the vocabulary gives its row a NaN loss rather than another label's
        Tile zy = where(inRange, transform(xy, scale, cap, terms), Double.NaN);

        Var m = var(full(F32, -Float.MAX_VALUE, BLOCK));
        Var s = var(zeros(F32, BLOCK)), zSum = var(zeros(F32, BLOCK));
        blocks.each(base, whole, x -> firstPass(x, null, scale, cap, terms, m, s, zSum));
        for (Tile j0 : range(whole, n, BLOCK)) {
            Tile j = arange(0, BLOCK).add(j0), inRow = j.lt(n);
            firstPass(block(base, j, inRow, Eviction.LAST), inRow, scale, cap, terms, m, s, zSum);
        }
        // the lanes' sums, each relative to its own maximum, brought to the row's
        Tile rowMax = max(m.get(), 0);
        Tile lse = rowMax.add(log(sum(s.get().mul(fastExp2(m.get().sub(rowMax).mul(LOG2_E))), 0)));
        Tile nf = n.to(F32), keep = scalar(1.0).to(F32).sub(smoothing);
        Tile rowLoss = lse.sub(keep.mul(zy));
        if (terms.smoothing) rowLoss = rowLoss.sub(smoothing.div(nf).mul(sum(zSum.get(), 0)));
        if (terms.zLoss) rowLoss = rowLoss.add(zLoss.mul(lse).mul(lse));
        store(loss.add(row), where(valid, rowLoss, 0.0));

        if (GRAD) {
            Tile g = MEAN ? scalar(1.0).to(F32).div(load(count).to(F32)) : scalar(1.0).to(F32);
            Gradient gr = new Gradient(terms.zLoss ? zLoss.mul(lse).mul(2.0).add(1.0) : null, terms.smoothing ? smoothing.div(nf) : null,
                    where(valid, terms.scaled ? g.mul(scale) : g, 0.0), lse.mul(LOG2_E).neg(), scale, cap, terms);
            // the last whole block, the first the backward walk over them visits, loaded before the ragged end's
            // step (which writes only past it)
            Var aheadBelow = var(firstWholeBlock(base, arange(0, BLOCK).add(maximum(whole.sub(BLOCK), 0)), whole, Eviction.FIRST));
            // backwards, the ragged end first: the blocks the first pass read last are the likeliest still in L2
            for (Tile j0 : range(whole, n, BLOCK)) {
                Tile j = arange(0, BLOCK).add(j0), inRow = j.lt(n);
                secondPass(base, j, block(base, j, inRow, Eviction.FIRST), inRow, gr);
            }
            for (Tile i : range(0, whole, BLOCK)) {
                Tile j0 = whole.sub(BLOCK).sub(i), x = aheadBelow.get();
                // the block below this one, loaded before this one's gradient is stored over it: no step has stored
                // there yet (each step stores only its own block, walking down, and the ragged end lies above), so it
                // reads logits; at the row's start the clamp loads block 0 again just before storing over it, a value never used
                aheadBelow.set(block(base, arange(0, BLOCK).add(maximum(j0.sub(BLOCK), 0)), null, Eviction.FIRST));
                secondPass(base, arange(0, BLOCK).add(j0), x, null, gr);
            }
            // the label's logit, written by some thread of the pass above: every thread's stores land before this one
            debugBarrier();
            store(base.add(label), gr.of(xy, keep), inRange);
        }
    }

    /**
     * One block x of the first pass (the logits as loaded): per lane, the running maximum m and the
     * sum s of e^(z−m) (and with smoothing, of z). With d = z − m, one exponential serves both
     * cases: e = e^(−|d|) is the new term when z ≤ m and the old sum's rescaling when z > m
     * (s·e + 1); no lane waits for another, where a maximum over the block would cost a barrier
     * each block. Masked-off lanes read −FLT_MAX, whose terms vanish against any real maximum (a
     * lane that sees no real logit keeps m = −FLT_MAX, and its sum weighs 0 in the row's); a real
     * −inf logit adds e^(−inf) = 0.
     */
    private static void firstPass(Tile x, Tile mask, Tile scale, Tile cap, Terms terms, Var m, Var s, Var zSum) {
        Tile z = transform(x.to(F32), scale, cap, terms);
        Tile zm = mask == null ? z : where(mask, z, -Float.MAX_VALUE);
        Tile d = zm.sub(m.get());
        // e below 2^-126, which fastExp2 flushes, is a term or a rescaled sum below f32's resolution of s ≥ 1
        Tile e = fastExp2(abs(d).mul(-LOG2_E));
        s.set(where(d.gt(0.0), fma(s.get(), e, scalar(1.0).to(F32)), s.get().add(e)));
        m.set(maximum(m.get(), zm));
        if (terms.smoothing) zSum.set(zSum.get().add(mask == null ? z : where(mask, z, 0.0)));
    }

    /** One block of the second pass: the gradient of the logits x read at {@code j}, stored over them (unmasked for a whole block). */
    private static void secondPass(Tile base, Tile j, Tile x, Tile mask, Gradient gr) {
        store(base.add(j), gr.of(x.to(F32), null), mask, Cache.NONE, Eviction.FIRST);
    }

    /**
     * The whole block at {@code j} that a loop over the whole blocks starts on, loaded before it: a
     * row shorter than a block has none, and an unmasked load would read past it. The mask
     * j &lt; whole is all on or all off (whole is a multiple of BLOCK, and so is the block's start),
     * so it costs no vector width whatever n's divisibility, and the loaded block comes packed (two
     * 16-bit logits a register), as the loop then carries it; from a constant init the loop carried
     * it unpacked, twice the registers.
     */
    private static Tile firstWholeBlock(Tile base, Tile j, Tile whole, Eviction eviction) {
        return load(base.add(j), j.lt(whole), 0.0, Cache.NONE, eviction);
    }

    /** The row's logits at {@code j}: unmasked (a whole block), or 0 where {@code mask} is off. */
    private static Tile block(Tile base, Tile j, Tile mask, Eviction eviction) {
        return mask == null ? load(base.add(j), null, null, Cache.NONE, eviction) : load(base.add(j), mask, 0.0, Cache.NONE, eviction);
    }

    /**
     * d loss / d x = (p·coef − uniform − label) · dz/dx · scale: coef = 1 + 2·zLoss·lse (null for 1),
     * uniform = ε/n (null for 0), label = 1 − ε at the label (null elsewhere), scale = g·logitScale,
     * 0 for an ignored row; lse2 = −lse·log2 e; z from x by logitScale and cap as {@code terms} say.
     */
    private record Gradient(Tile coef, Tile uniform, Tile scale, Tile lse2, Tile logitScale, Tile cap, Terms terms) {
        Tile of(Tile x, Tile label) {
            Tile z = transform(x, logitScale, cap, terms);
            Tile p = fastExp2(fma(z, scalar(LOG2_E).to(F32), lse2));   // p ≤ 1: a flushed p below 2^-126 leaves a gradient of 0 there
            Tile d = coef == null ? p : p.mul(coef);
            if (uniform != null) d = d.sub(uniform);
            if (label != null) d = d.sub(label);
            if (terms.softcap) {
                // dz/dx = scale·(1 − tanh²u), u = scale·x/cap, as 4e/(1+e)² with e = e^(−2|u|): 1 − (z/cap)²
                // cancels where tanh is near ±1 and would lose most of f32's digits there
                Tile u = terms.scaled ? x.mul(logitScale).div(cap) : x.div(cap);
                Tile e = exp2(abs(u).mul(-2 * LOG2_E));
                Tile onePlus = e.add(1.0);
                d = d.mul(e.mul(4.0).div(onePlus.mul(onePlus)));
            }
            // + 0 turns the −0 of a negative d times an ignored row's 0 into +0: the fma costs what the multiply did
            return fma(d, scale, scalar(0.0).to(F32));
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
    public static final JitKernel ROWS_DESCRIPTORS = Jit.kernel(CrossEntropyKernels.class, "lossAndGradientDescriptors");
    public static final JitKernel REDUCE = Jit.kernel(CrossEntropyKernels.class, "reduceLoss");
    public static final JitKernel SCALE = Jit.kernel(CrossEntropyKernels.class, "scaleRows");
}
