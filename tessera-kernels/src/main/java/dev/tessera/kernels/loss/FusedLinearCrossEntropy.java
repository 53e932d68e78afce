package dev.tessera.kernels.loss;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.kernels.loss.CrossEntropy.Options;
import dev.tessera.kernels.loss.CrossEntropy.Reduction;
import dev.tessera.kernels.matmul.Matmul;
import dev.tessera.kernels.matmul.Matmul.Epilogue;
import dev.tessera.kernels.matmul.MatmulConfig;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;

/**
 * A language model's last linear layer and its cross-entropy in one pass, as Liger-Kernel's
 * FusedLinearCrossEntropy: hidden states H [T, d], the head's weight W [V, d] (logits = H·Wᵀ + bias)
 * and labels [T]. The tokens go in chunks of C rows, and no [T, V] logits tensor ever exists: per
 * chunk, the logits H_c·Wᵀ go into one [C, V] buffer, {@link CrossEntropy}'s row kernel writes the
 * chunk's loss and d loss / d logits over them, then dH_c = dlogits·W and dW += dlogitsᵀ·H_c (and
 * dBias += Σ_rows dlogits) read that buffer before the next chunk overwrites it. The extra memory is
 * the buffer, C·V elements, and one f32 per token; the gradients are computed in the forward pass
 * (the loss is a scalar), and {@link #backward} scales them by the upstream gradient.
 *
 * <p>A mean divides by the labels not ignored over all T tokens (counted once, before the chunks),
 * so chunking changes no result but the order of dW's sums. dW and dBias accumulate over the chunks
 * in f32 inside each matmul and are rounded to their dtype once per chunk (as torch.addmm into a
 * bf16 gradient does); give f32 ones to {@link #forward(Tensor, Tensor, Tensor, Tensor, Options, Config, Grads, Workspace)}
 * to keep every chunk's digits.
 */
public final class FusedLinearCrossEntropy {
    private FusedLinearCrossEntropy() {}

    /**
     * @param chunk   tokens per chunk; 0 for {@link #chunkRows(int, int, int, Device)}
     * @param matmul  the blocking of the three matmuls; null for the autotuner's
     * @param loss    the cross-entropy row kernel's blocking
     */
    public record Config(int chunk, MatmulConfig matmul, CrossEntropy.Config loss) {
        public Config {
            if (chunk < 0) throw new IllegalArgumentException("chunk must be 0 (chosen from V and d) or a number of tokens, not " + chunk);
            java.util.Objects.requireNonNull(loss, "loss");
        }

        /**
         * Chunks by {@link #chunkRows(int, int, int, Device)}; the CPU with the default matmul blocking (tuning there costs
         * more than it saves), a GPU tuned; the loss rows blocked for the weight's vocabulary.
         */
        public static Config defaultFor(Tensor hidden, Tensor weight) {
            boolean cpu = hidden.device().backend().equals("cpu");
            return new Config(0, cpu ? MatmulConfig.DEFAULT : null, CrossEntropy.Config.defaultFor(hidden.device(), weight.shape(0)));
        }
    }

    /**
     * Liger's rule: as many chunks as the logits of all tokens are larger than the hidden states
     * (⌈V/d⌉), the chunk a power of 2, so the buffer holds about as many elements as H:
     * 2^⌈log2 ⌈T / ⌈V/d⌉⌉⌉ (256 for T = 8192, d = 4096, V = 128256).
     */
    public static int chunkRows(int tokens, int vocab, int hidden) {
        int factor = Math.ceilDiv(vocab, hidden);
        return nextPowerOf2(Math.max(1, Math.ceilDiv(tokens, factor)));
    }

    /**
     * The fewest tokens a chunk takes on a GPU (where there are that many): the chunk is the M of the
     * logits' and dH's matmuls and the K of dW's, and small ones leave the tensor cores waiting. On an
     * H200 (d 4096, V 128256, bf16) Liger's rule gave 256, 512 and 1024 tokens at 8k, 16k and 32k
     * tokens, and the whole step ran at 0.60, 0.82 and 0.93 of torch's unchunked matmuls and loss.
     * The logits buffer then takes 1024 · V elements (263 MB at V 128256 in bf16).
     */
    static final int GPU_MIN_CHUNK = 1024;

    /** Tokens per chunk on {@code device}: {@link #chunkRows(int, int, int)}, at least {@link #GPU_MIN_CHUNK} on a GPU, at most the tokens. */
    public static int chunkRows(int tokens, int vocab, int hidden, Device device) {
        int rule = chunkRows(tokens, vocab, hidden);
        if (!device.backend().equals("cpu")) rule = Math.max(rule, GPU_MIN_CHUNK);
        return Math.max(1, Math.min(rule, tokens));
    }

    /** dH [T, d] (H's dtype), dW [V, d] and dBias [V] (null without a bias); dW and dBias f32 or W's dtype. */
    public record Grads(Tensor dHidden, Tensor dWeight, Tensor dBias) implements AutoCloseable {
        /** New gradients in the dtypes of H, W and the bias. */
        public static Grads like(Tensor hidden, Tensor weight, Tensor bias) {
            Tensor dh = Tensor.empty(hidden.dtype(), hidden.device(), hidden.shape()), dw = null;
            try {
                dw = Tensor.empty(weight.dtype(), weight.device(), weight.shape());
                return new Grads(dh, dw, bias == null ? null : Tensor.empty(bias.dtype(), bias.device(), bias.shape()));
            } catch (RuntimeException | OutOfMemoryError e) {
                dh.close();
                if (dw != null) dw.close();
                throw e;
            }
        }

        @Override
        public void close() {
            dHidden.close();
            dWeight.close();
            if (dBias != null) dBias.close();
        }
    }

    /** The loss (as {@link CrossEntropy}'s: 0-d for mean and sum, [T] for none) and the gradients for an upstream gradient of 1. */
    public record Result(Tensor loss, Grads grads, Reduction reduction) {}

    /**
     * The memory a call needs besides its inputs and outputs: the [chunk, V] logits buffer in H's
     * dtype, a column of ones that adds the bias in the matmul's epilogue, and cross-entropy's
     * per-token workspace. A training loop keeps one, so that its steps allocate nothing.
     */
    public record Workspace(Tensor logits, Tensor ones, CrossEntropy.Workspace loss) implements AutoCloseable {
        public static Workspace of(Device device, DType dtype, int tokens, int chunk, int vocab) {
            if (chunk < 1 || vocab < 1 || tokens < 0) throw new IllegalArgumentException("a workspace needs a chunk and a vocabulary of at least 1 and tokens >= 0, not "
                    + chunk + ", " + vocab + ", " + tokens);
            Tensor logits = Tensor.empty(dtype, device, chunk, vocab), ones = null;
            try {
                ones = Tensor.full(dtype, 1, device, chunk, 1);
                return new Workspace(logits, ones, CrossEntropy.Workspace.of(device, tokens));
            } catch (RuntimeException | OutOfMemoryError e) {
                logits.close();
                if (ones != null) ones.close();
                throw e;
            }
        }

        /** Tokens per chunk. */
        public int chunk() { return Math.toIntExact(logits.shape(0)); }

        /** Its size in bytes. */
        public long bytes() { return (logits.numel() + ones.numel()) * logits.dtype().byteSize() + loss.bytes(); }

        @Override
        public void close() {
            logits.close();
            ones.close();
            loss.close();
        }
    }

    /** The loss and the gradients into new tensors, chunked and blocked as {@link Config#defaultFor} says. */
    public static Result forward(Tensor hidden, Tensor weight, Tensor bias, Tensor labels, Options options) {
        Config cfg = Config.defaultFor(hidden, weight);
        Grads g = Grads.like(hidden, weight, bias);
        int tokens = Math.toIntExact(hidden.shape(0)), vocab = Math.toIntExact(weight.shape(0));
        int chunk = cfg.chunk() > 0 ? Math.max(1, Math.min(cfg.chunk(), tokens)) : chunkRows(tokens, vocab, Math.toIntExact(hidden.shape(1)), hidden.device());
        Workspace ws;
        try {
            ws = Workspace.of(hidden.device(), hidden.dtype(), tokens, chunk, vocab);
        } catch (RuntimeException | OutOfMemoryError e) {
            g.close();
            throw e;
        }
        try {
            forward(hidden, weight, bias, labels, options, cfg, g, ws);
        } catch (RuntimeException e) {
            g.close();
            ws.close();
            throw e;
        }
        ws.logits().close();
        ws.ones().close();
        return new Result(keep(ws.loss(), options.reduction()), g, options.reduction());
    }

    /**
     * The loss and the gradients into {@code grads}, in a workspace whose chunk is the one used (the
     * config's is ignored): the result's loss is the workspace's (valid until its next use).
     */
    public static Result forward(Tensor hidden, Tensor weight, Tensor bias, Tensor labels, Options options, Config cfg, Grads grads,
                                 Workspace ws) {
        Check c = Check.of(hidden, weight, bias, labels, grads, ws);
        CrossEntropy.Workspace lw = ws.loss();
        CrossEntropy.count(labels, c.vocab(), options, lw);
        // views share their tensor's storage until closed: an unclosed one would keep W's memory after W is closed
        try (Tensor wT = weight.transpose(0, 1)) {
            chunks(hidden, weight, wT, bias, labels, options, cfg, grads, ws, c);
        }
        if (c.tokens() == 0) zeroWeightGrads(grads);
        CrossEntropy.reduce(options, lw);
        return new Result(lw.loss(options.reduction()), grads, options.reduction());
    }

    /** Each chunk's logits, loss and gradients. */
    private static void chunks(Tensor hidden, Tensor weight, Tensor wT, Tensor bias, Tensor labels, Options options, Config cfg, Grads grads,
                               Workspace ws, Check c) {
        CrossEntropy.Workspace lw = ws.loss();
        for (int start = 0; start < c.tokens(); start += ws.chunk()) {
            int end = Math.min(c.tokens(), start + ws.chunk());
            boolean first = start == 0;
            try (Tensor h = hidden.slice(0, start, end); Tensor y = labels.slice(0, start, end); Tensor logits = ws.logits().slice(0, 0, end - start);
                 Tensor rowLoss = lw.rowLoss().slice(0, start, end); Tensor dh = grads.dHidden().slice(0, start, end)) {
                if (bias == null) {
                    matmul(h, wT, logits, Epilogue.scale(1), cfg);
                } else {
                    try (Tensor ones = ws.ones().slice(0, 0, end - start); Tensor b = bias.view(1, c.vocab())) {
                        matmul(h, wT, logits, Epilogue.lowRank(ones, b, 1), cfg);
                    }
                }
                CrossEntropy.rows(LossLaunch.of(logits, y), options, cfg.loss(), true, rowLoss, lw.count());
                matmul(logits, weight, dh, Epilogue.scale(1), cfg);
                try (Tensor dlT = logits.transpose(0, 1)) {
                    matmul(dlT, h, grads.dWeight(), Epilogue.scale(1).accumulate(!first), cfg);
                }
                if (bias != null) columnSums(logits, grads.dBias(), !first);
            }
        }
    }

    /**
     * Scales the gradients in place by the upstream gradient of a mean or sum ({@code gradLoss}, one
     * value; null for 1) and returns them. With reduction none every token's loss was given weight 1:
     * dW sums over the tokens, so a per-token upstream gradient cannot be applied after the fact.
     */
    public static Grads backward(Result result, Tensor gradLoss) {
        Grads g = result.grads();
        if (gradLoss == null) return g;
        if (result.reduction() == Reduction.NONE) {
            throw new IllegalArgumentException("a fused linear cross-entropy with reduction none computed its gradients for an upstream gradient of 1 "
                    + "per token (dW sums over tokens); reduce with mean or sum, or pass null");
        }
        if (gradLoss.numel() != 1) throw new IllegalArgumentException("the upstream gradient of a " + result.reduction() + " loss must be one value, not " + gradLoss);
        CrossEntropy.scaleRows(g.dHidden(), gradLoss, false);
        CrossEntropy.scaleRows(g.dWeight(), gradLoss, false);
        if (g.dBias() != null) {
            try (Tensor b = g.dBias().view(1, g.dBias().numel())) {
                CrossEntropy.scaleRows(b, gradLoss, false);
            }
        }
        return g;
    }

    /** c = α·a·b + ... with the config's blocking, or the tuned one. */
    private static void matmul(Tensor a, Tensor b, Tensor c, Epilogue e, Config cfg) {
        if (cfg.matmul() == null) {
            Matmul.fusedTuned(a, b, c, e, true);
        } else {
            Matmul.fused(a, b, c, e, cfg.matmul(), true);
        }
    }

    /** With no tokens dW and dBias are zero, though no chunk ran to write them. */
    private static void zeroWeightGrads(Grads g) {
        g.dWeight().fill(0);
        if (g.dBias() != null) g.dBias().fill(0);
    }

    /** Keeps the loss of a detached workspace and closes the rest of it. */
    private static Tensor keep(CrossEntropy.Workspace ws, Reduction r) {
        Tensor loss = ws.loss(r);
        for (Tensor t : new Tensor[] {ws.rowLoss(), ws.count(), ws.total()}) if (t != loss) t.close();
        return loss;
    }

    /** out[j] (+)= Σ_i x[i, j] in f32: one program per BLOCK columns walks the rows (the chunk's dBias). */
    @Kernel
    static void columnSums(Tile x, Tile out, Tile rows, Tile n, Tile rowStride, @Constexpr int BLOCK, @Constexpr boolean ACCUMULATE) {
        Tile j = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = j.lt(n);
        Var acc = var(zeros(F32, BLOCK));
        for (Tile i : range(0, rows)) {
            acc.set(acc.get().add(load(x.add(i.to(I64).mul(rowStride)).add(j), mask, 0.0).to(F32)));
        }
        Tile total = ACCUMULATE ? acc.get().add(load(out.add(j), mask, 0.0).to(F32)) : acc.get();
        store(out.add(j), total, mask);
    }

    static final JitKernel COLUMN_SUMS = Jit.kernel(FusedLinearCrossEntropy.class, "columnSums");

    private static void columnSums(Tensor x, Tensor out, boolean accumulate) {
        int n = Math.toIntExact(x.shape(1)), block = x.device().backend().equals("cpu") ? 2048 : 512;
        COLUMN_SUMS.withOptions(4, 1).launch(grid(Math.ceilDiv(n, block)), x, out, Math.toIntExact(x.shape(0)), n, x.stride(0), block, accumulate);
    }

    /** The one place the arguments are checked: shapes, dtypes, devices, and a workspace made for them. */
    private record Check(int tokens, int vocab) {
        static Check of(Tensor h, Tensor w, Tensor bias, Tensor labels, Grads g, Workspace ws) {
            if (h.rank() != 2 || h.stride(1) != 1) throw new IllegalArgumentException("hidden states must be [tokens, d] with contiguous rows, not " + h);
            int tokens = Math.toIntExact(h.shape(0)), d = Math.toIntExact(h.shape(1));
            if (w.rank() != 2 || w.shape(1) != d) throw new IllegalArgumentException("the weight must be [vocabulary, " + d + "] beside hidden states " + h + ", not " + w);
            int vocab = Math.toIntExact(w.shape(0));
            DType t = h.dtype();
            if (t != DType.F32 && t != DType.F16 && t != DType.BF16) throw new IllegalArgumentException("hidden states must be f32, f16 or bf16, not " + t);
            if (w.dtype() != t) throw new IllegalArgumentException("the weight must be " + t + " as the hidden states, not " + w.dtype());
            if (bias != null && (bias.rank() != 1 || bias.shape(0) != vocab || !bias.isContiguous() || bias.dtype() != t)) {
                throw new IllegalArgumentException("the bias must be a contiguous " + t + " [" + vocab + "], not " + bias);
            }
            if (labels.rank() != 1 || labels.shape(0) != tokens) throw new IllegalArgumentException("labels must be [" + tokens + "], one per token, not " + labels);
            if (!g.dHidden().isContiguous() || g.dHidden().dtype() != t || !java.util.Arrays.equals(g.dHidden().shape(), h.shape())) {
                throw new IllegalArgumentException("dHidden must be a contiguous " + t + " " + java.util.Arrays.toString(h.shape()) + ", not " + g.dHidden());
            }
            if (!java.util.Arrays.equals(g.dWeight().shape(), w.shape()) || !g.dWeight().isContiguous() || !isGradType(g.dWeight().dtype(), t)) {
                throw new IllegalArgumentException("dWeight must be a contiguous " + java.util.Arrays.toString(w.shape()) + " in f32 or " + t + ", not " + g.dWeight());
            }
            if ((bias == null) != (g.dBias() == null) || bias != null && (g.dBias().numel() != vocab || !g.dBias().isContiguous() || !isGradType(g.dBias().dtype(), t))) {
                throw new IllegalArgumentException(bias == null ? "dBias must be null without a bias, not " + g.dBias()
                        : "dBias must be a contiguous [" + vocab + "] in f32 or " + t + ", not " + g.dBias());
            }
            if (ws.logits().shape(1) != vocab || ws.logits().dtype() != t || ws.loss().rowLoss().numel() != tokens) {
                throw new IllegalArgumentException("a workspace for " + ws.loss().rowLoss().numel() + " tokens of " + ws.logits() + " cannot serve "
                        + tokens + " tokens of a " + t + " vocabulary of " + vocab);
            }
            for (Tensor x : new Tensor[] {w, bias, labels, g.dHidden(), g.dWeight(), g.dBias(), ws.logits()}) {
                if (x != null && !x.device().equals(h.device())) throw new IllegalArgumentException(x + " is not on the hidden states' device " + h.device());
            }
            return new Check(tokens, vocab);
        }

        private static boolean isGradType(DType g, DType t) { return g == t || g == DType.F32; }
    }
}
