package dev.tessera.kernels.loss;

import static dev.tessera.lang.TL.nextPowerOf2;

import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;

/** The one place a cross-entropy launch is checked: the logits, the labels (null for a gradient alone), the workspace and the block. */
record LossLaunch(Tensor logits, Tensor labels, int rows, int n) {

    static LossLaunch of(Tensor logits, Tensor labels) {
        if (logits.rank() != 2 || logits.stride(1) != 1) {
            throw new IllegalArgumentException("logits must be [tokens, vocabulary] with contiguous rows, not " + logits);
        }
        DType t = logits.dtype();
        if (t != DType.F32 && t != DType.F16 && t != DType.BF16) throw new IllegalArgumentException("logits must be f32, f16 or bf16, not " + t);
        int rows = Math.toIntExact(logits.shape(0)), n = Math.toIntExact(logits.shape(1));
        if (n < 1) throw new IllegalArgumentException("logits need a vocabulary of at least 1, not " + logits);
        if (labels == null) return new LossLaunch(logits, null, rows, n);   // a gradient, scaled in place
        if (labels.rank() != 1 || labels.shape(0) != rows || !labels.isContiguous()) {
            throw new IllegalArgumentException("labels must be a contiguous [" + rows + "] (one per row of the logits), not " + labels);
        }
        if (labels.dtype() != DType.I32 && labels.dtype() != DType.I64) throw new IllegalArgumentException("labels must be i32 or i64, not " + labels.dtype());
        if (!labels.device().equals(logits.device())) throw new IllegalArgumentException("labels " + labels + " and logits " + logits + " are on different devices");
        return new LossLaunch(logits, labels, rows, n);
    }

    /** Checks that a workspace was made for these rows on this device. */
    void check(CrossEntropy.Workspace ws) {
        if (ws.rowLoss().numel() != rows || !ws.rowLoss().device().equals(logits.device())) {
            throw new IllegalArgumentException("a workspace for " + ws.rowLoss().numel() + " rows on " + ws.rowLoss().device()
                    + " cannot serve " + rows + " rows of logits on " + logits.device());
        }
    }

    /** The block a config gives this vocabulary: no larger than the row needs. */
    int block(CrossEntropy.Config cfg) { return Math.max(16, Math.min(cfg.block(), nextPowerOf2(n))); }
}
