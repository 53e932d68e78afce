package dev.tessera.kernels.loss;

import static dev.tessera.runtime.Grid.grid;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.runtime.TensorDescriptor;
import dev.tessera.types.DType;

/**
 * Cross-entropy of rows of logits [T, V] against integer labels [T], for vocabularies of any size
 * (the rows are walked in blocks with an online log-sum-exp), with PyTorch's ignore_index and label
 * smoothing, Gemma's logit softcapping t·tanh(x/t), a logit scale, a z-loss (PaLM's
 * zLoss·log²Σe^z) and the reductions mean (over the rows not ignored), sum and none.
 *
 * <p>{@link #forward} also writes the gradient of the loss into the logits' own buffer in the same
 * pass (no second [T, V] tensor exists): after it the logits are gone and the buffer holds
 * d loss / d logits for an upstream gradient of 1; {@link #backward} scales it by the real one.
 * The extra memory is one f32 per row ({@link Workspace}). {@link #loss} computes the loss alone and
 * leaves the logits.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    /** How the rows' losses are combined. */
    public enum Reduction { MEAN, SUM, NONE }

    /**
     * @param reduction      mean over the rows whose label is not ignoreIndex (NaN when there are none, as PyTorch), sum, or none
     * @param ignoreIndex    a label that marks a row to leave out (loss and gradient 0)
     * @param labelSmoothing ε in [0, 1]: the target is (1−ε)·onehot + ε/V
     * @param logitScale     logits are multiplied by this first (e.g. 1/temperature)
     * @param softcap        t > 0: z = t·tanh(scale·x / t); 0 for none
     * @param zLoss          weight of lse² added to each row's loss; 0 for none
     * @param checkLabels    fail with a device assertion on a label outside [0, V) that is not
     *                       ignoreIndex (the launch then waits for the device); unchecked, such a row's loss is NaN
     */
    public record Options(Reduction reduction, int ignoreIndex, double labelSmoothing, double logitScale, double softcap,
                          double zLoss, boolean checkLabels) {
        /** PyTorch's defaults: mean, ignore_index −100, no smoothing, scale or cap, no z-loss; labels checked. */
        public static final Options DEFAULT = new Options(Reduction.MEAN, -100, 0, 1, 0, 0, true);

        public Options {
            java.util.Objects.requireNonNull(reduction, "reduction");
            if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new IllegalArgumentException("labelSmoothing must be in [0, 1], not " + labelSmoothing);
            if (!Double.isFinite(logitScale) || logitScale == 0) throw new IllegalArgumentException("logitScale must be finite and not 0, not " + logitScale);
            if (!(softcap >= 0) || Double.isInfinite(softcap)) throw new IllegalArgumentException("softcap must be 0 (none) or a positive cap, not " + softcap);
            if (!(zLoss >= 0) || Double.isInfinite(zLoss)) throw new IllegalArgumentException("zLoss must be 0 (none) or a positive weight, not " + zLoss);
        }

        public Options reduction(Reduction r) { return new Options(r, ignoreIndex, labelSmoothing, logitScale, softcap, zLoss, checkLabels); }
        public Options ignoreIndex(int i) { return new Options(reduction, i, labelSmoothing, logitScale, softcap, zLoss, checkLabels); }
        public Options labelSmoothing(double e) { return new Options(reduction, ignoreIndex, e, logitScale, softcap, zLoss, checkLabels); }
        public Options logitScale(double s) { return new Options(reduction, ignoreIndex, labelSmoothing, s, softcap, zLoss, checkLabels); }
        public Options softcap(double t) { return new Options(reduction, ignoreIndex, labelSmoothing, logitScale, t, zLoss, checkLabels); }
        public Options zLoss(double w) { return new Options(reduction, ignoreIndex, labelSmoothing, logitScale, softcap, w, checkLabels); }
        public Options checkLabels(boolean c) { return new Options(reduction, ignoreIndex, labelSmoothing, logitScale, softcap, zLoss, c); }
    }

    /**
     * Logits per block of a row, warps per program (a program a row), and stages: with more than
     * one, the first pass reads its whole blocks through a descriptor (on Hopper the copy unit lands
     * them {@code stages − 1} blocks ahead in shared memory; where the logits break a descriptor's
     * rules, through pointers as with one). Opt-in until measured on a GPU.
     */
    public record Config(int block, int warps, int stages) {
        public Config {
            if (block < 16 || Integer.bitCount(block) != 1) throw new IllegalArgumentException("block must be a power of 2 of at least 16, not " + block);
            new dev.tessera.backend.LaunchOptions(warps, stages);   // checks warps and stages with their own messages
        }

        /** One stage: the first pass through pointers, its next block ahead in registers. */
        public Config(int block, int warps) { this(block, warps, 1); }

        /** {@link #defaultFor(Device, long)} for these logits' device and vocabulary. */
        public static Config defaultFor(Tensor logits) { return defaultFor(logits.device(), logits.shape(-1)); }

        /**
         * On a GPU 16384 logits on 32 warps for vocabularies from 65536 (H200, 8192 × 128256 bf16:
         * 1.42 ms, against 1.45–1.73 for 8192 logits or 16 warps and 2.76 for 32768, whose registers
         * spill; a persistent grid of 1–4 programs a multiprocessor, each walking rows, gained
         * nothing once the second pass ran backwards), 8192 on 16 warps below (4096 × 32000: 2778
         * GB/s, 2237 with the longer blocks); 4096 on the CPU, where a block is a vector loop.
         */
        public static Config defaultFor(Device device, long vocabulary) {
            if (device.backend().equals("cpu")) return new Config(4096, 4);
            return vocabulary >= 65536 ? new Config(16384, 32) : new Config(8192, 16);
        }
    }

    /** What {@link #backward} needs: the gradient for an upstream gradient of 1, in the logits' buffer. */
    public record Context(Tensor grad, Reduction reduction) {}

    /** The loss (f32: a 0-d tensor for mean and sum, [T] for none; the caller closes it) and the saved context. */
    public record Result(Tensor loss, Context context) {}

    /**
     * The device memory a launch needs besides the logits and labels: one f32 loss per row, the count
     * of rows not ignored and the reduced loss. A training loop keeps one per row count, so that its
     * steps allocate nothing.
     */
    public record Workspace(Tensor rowLoss, Tensor count, Tensor total) implements AutoCloseable {
        public static Workspace of(Device device, int rows) {
            Tensor rowLoss = Tensor.empty(DType.F32, device, rows), count = null;
            try {
                count = Tensor.empty(DType.I32, device, 1);
                return new Workspace(rowLoss, count, Tensor.empty(DType.F32, device));
            } catch (RuntimeException | OutOfMemoryError e) {
                rowLoss.close();
                if (count != null) count.close();
                throw e;
            }
        }

        /** Its size in bytes. */
        public long bytes() { return 4L * rowLoss.numel() + 8; }

        @Override
        public void close() {
            rowLoss.close();
            count.close();
            total.close();
        }

        /** The loss a reduction returns: the total, or the rows' losses for none. */
        Tensor loss(Reduction r) { return r == Reduction.NONE ? rowLoss : total; }
    }

    /** The loss with the gradient written over the logits, blocked as {@link Config#defaultFor} says. */
    public static Result forward(Tensor logits, Tensor labels, Options options) {
        return forward(logits, labels, options, Config.defaultFor(logits));
    }

    /** As {@link #forward(Tensor, Tensor, Options)} with this blocking. */
    public static Result forward(Tensor logits, Tensor labels, Options options, Config config) {
        LossLaunch l = LossLaunch.of(logits, labels);
        return new Result(detached(l, options, config, true), new Context(logits, options.reduction()));
    }

    /**
     * As {@link #forward(Tensor, Tensor, Options, Config)} in a workspace made for these rows: the
     * result's loss is the workspace's (valid until the next call with it; close the workspace, not it).
     */
    public static Result forward(Tensor logits, Tensor labels, Options options, Config config, Workspace workspace) {
        LossLaunch l = LossLaunch.of(logits, labels);
        l.check(workspace);
        run(l, options, config, true, workspace);
        return new Result(workspace.loss(options.reduction()), new Context(logits, options.reduction()));
    }

    /** The loss alone; the logits are left as they are. */
    public static Tensor loss(Tensor logits, Tensor labels, Options options) {
        return detached(LossLaunch.of(logits, labels), options, Config.defaultFor(logits), false);
    }

    /**
     * d loss / d logits for the upstream gradient {@code gradLoss} (shaped as the loss: one value for
     * mean and sum, [T] for none; null for 1), scaled in place in the context's buffer, which it returns.
     */
    public static Tensor backward(Context context, Tensor gradLoss) {
        Tensor g = context.grad();
        if (gradLoss == null) return g;
        boolean perRow = context.reduction() == Reduction.NONE;
        if (perRow ? gradLoss.numel() != g.shape(0) || gradLoss.rank() != 1 || !gradLoss.isContiguous() : gradLoss.numel() != 1) {
            throw new IllegalArgumentException("the upstream gradient of a " + context.reduction() + " cross-entropy must be "
                    + (perRow ? "a contiguous [" + g.shape(0) + "]" : "one value") + ", not " + gradLoss);
        }
        scaleRows(g, gradLoss, perRow);
        return g;
    }

    /** Runs in a workspace of its own and keeps only the loss of it. */
    private static Tensor detached(LossLaunch l, Options o, Config cfg, boolean grad) {
        Workspace ws = Workspace.of(l.logits().device(), l.rows());
        Tensor loss = ws.loss(o.reduction());
        try {
            run(l, o, cfg, grad, ws);
        } catch (RuntimeException e) {
            ws.close();
            throw e;
        }
        for (Tensor t : new Tensor[] {ws.rowLoss(), ws.count(), ws.total()}) if (t != loss) t.close();
        return loss;
    }

    private static void run(LossLaunch l, Options o, Config cfg, boolean grad, Workspace ws) {
        count(l.labels(), l.n(), o, ws);
        rows(l, o, cfg, grad, ws.rowLoss(), ws.count());
        reduce(o, ws);
    }

    /** How many labels take part (a mean divides by it), counted into the workspace; with checkLabels, each label checked. */
    static void count(Tensor labels, int n, Options o, Workspace ws) {
        if (o.reduction() == Reduction.MEAN || o.checkLabels()) {
            CrossEntropyKernels.COUNT.withOptions(4, 1).launch(grid(1), labels, ws.count(), Math.toIntExact(labels.numel()), n, o.ignoreIndex(),
                    reduceBlock(labels), o.checkLabels());
        }
    }

    /**
     * The rows' losses into rowLoss (and with grad their gradients over the logits) of these rows of
     * logits and their labels; a mean divides by count, which may have counted more rows than these
     * (the fused linear cross-entropy runs its chunks of tokens so).
     */
    static void rows(LossLaunch l, Options o, Config cfg, boolean grad, Tensor rowLoss, Tensor count) {
        if (l.rows() == 0) return;
        Tensor logits = l.logits();
        Object[] args = {logits, l.labels(), rowLoss, count,
                logits.stride(0), l.n(), o.ignoreIndex(), (float) o.labelSmoothing(), (float) o.logitScale(),
                (float) (o.softcap() > 0 ? o.softcap() : 1), (float) o.zLoss(), l.block(cfg), (float) o.logitScale() != 1f, o.softcap() > 0,
                o.labelSmoothing() > 0, o.zLoss() > 0, o.reduction() == Reduction.MEAN, grad};
        TensorDescriptor blocks = cfg.stages() > 1 && slotsFit(logits, l.block(cfg), cfg.stages()) ? firstPassBlocks(logits, l.block(cfg)) : null;
        if (blocks == null) {
            CrossEntropyKernels.ROWS.withOptions(cfg.warps(), 1).launch(grid(l.rows()), args);
            return;
        }
        Object[] withBlocks = new Object[args.length + 1];
        withBlocks[0] = blocks;
        System.arraycopy(args, 0, withBlocks, 1, args.length);
        CrossEntropyKernels.ROWS_DESCRIPTORS.withOptions(cfg.warps(), cfg.stages()).launch(grid(l.rows()), withBlocks);
    }

    /**
     * Whether a slot a stage of {@code block} logits fits the device's shared memory a program (as
     * the autotuner reads it; with room to spare for the kernel's own scratch), else the pointer
     * kernel runs: 4 stages of 16384 f32 logits would ask 256 KB.
     */
    static boolean slotsFit(Tensor logits, int block, int stages) {
        Long limit = logits.device().info().limits().get("sharedMemoryPerBlock");
        return limit == null || (long) stages * block * logits.dtype().byteSize() + 16 * 1024 <= limit;
    }

    /**
     * The descriptor the first pass reads a row's whole blocks through: the logits' columns up to
     * the last multiple of 256 viewed as [rows, n / 256, 256], in blocks of [1, block / 256, 256];
     * null where the view breaks a descriptor's rules (rows off 16 bytes, fewer than 256 columns)
     * or a block is not a whole number of its rows, and the pointer kernel reads them instead.
     */
    static TensorDescriptor firstPassBlocks(Tensor logits, int block) {
        int columns = CrossEntropyKernels.DESCRIPTOR_COLUMNS;
        long wide = logits.shape(1) / columns;
        if (block % columns != 0 || wide == 0) return null;
        TensorDescriptor d = TensorDescriptor.of(logits.slice(1, 0, wide * columns).unflatten(1, wide, columns), 1, block / columns, columns);
        return d.valid() ? d : null;
    }

    /** The workspace's rows' losses summed (divided by the count for a mean) into its total; nothing for none. */
    static void reduce(Options o, Workspace ws) {
        if (o.reduction() == Reduction.NONE) return;
        CrossEntropyKernels.REDUCE.withOptions(4, 1).launch(grid(1), ws.rowLoss(), ws.count(), ws.total(), Math.toIntExact(ws.rowLoss().numel()),
                reduceBlock(ws.rowLoss()), o.reduction() == Reduction.MEAN);
    }

    private static int reduceBlock(Tensor t) { return t.device().backend().equals("cpu") ? 4096 : 1024; }

    /** Scales the rows of a contiguous-rowed x [rows, n] in place by g (one value, or one per row). */
    static void scaleRows(Tensor x, Tensor g, boolean perRow) {
        Config cfg = Config.defaultFor(x);
        LossLaunch l = LossLaunch.of(x, null);
        CrossEntropyKernels.SCALE.withOptions(cfg.warps(), 1).launch(grid(l.rows()), x, g, x.stride(0), l.n(), l.block(cfg), perRow);
    }
}
