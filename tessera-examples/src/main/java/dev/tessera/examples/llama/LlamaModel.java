package dev.tessera.examples.llama;

import dev.tessera.examples.llama.KernelTimes.Family;
import dev.tessera.kernels.attention.FlashAttention;
import dev.tessera.kernels.decode.AttentionDecode;
import dev.tessera.kernels.decode.Embedding;
import dev.tessera.kernels.decode.Gemv;
import dev.tessera.kernels.decode.Sampling;
import dev.tessera.kernels.decode.SwiGlu;
import dev.tessera.kernels.elementwise.VectorAdd;
import dev.tessera.kernels.matmul.Matmul;
import dev.tessera.kernels.matmul.MatmulConfig;
import dev.tessera.kernels.norm.RmsNorm;
import dev.tessera.kernels.rope.RotaryEmbedding;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * A Llama-style decoder whose every step is a kernel of the library: the token embedding, RMSNorm,
 * the q/k/v/o projections, RoPE (the "rotate half" layout of Hugging Face's Llama), grouped-query
 * attention over a KV cache, the SwiGLU MLP and the LM head, then the choice of the next token on
 * the device. A prompt goes through {@link #prefill} (a matmul per projection over all its tokens,
 * flash attention where the dtype allows it); each new token through {@link #decode} (GEMVs,
 * attention over the cache). Activations and the KV cache are in the weights' dtype, every kernel
 * computes in f32, and the logits are f32.
 *
 * <p>The keys and values are projected straight into the cache's rows (the GEMV or matmul writes
 * there), so no step copies them; the token {@link #sample} writes stays on the device and is what
 * the next {@link #decode} embeds. One token's activations are allocated once and reused by every
 * step; a prompt's are allocated for it.
 */
public final class LlamaModel implements AutoCloseable {

    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Device device;
    private final DType dtype;
    private final List<Tensor> keys = new ArrayList<>(), values = new ArrayList<>();
    private final Tensor positions;
    // one token's activations: x is the residual stream, h its normalized copy
    private final Tensor x, h, rrms, q, attention, gate, up, logits, token;
    private final List<Tensor> owned = new ArrayList<>();
    private KernelTimes times;
    private int length;

    /** A model over {@code weights} (kept open by the caller), with an empty KV cache of {@code config.maxSeq()} positions. */
    public LlamaModel(LlamaWeights weights) {
        this.weights = weights;
        this.config = weights.config();
        this.device = weights.embedding().device();
        this.dtype = weights.dtype();
        try {
            for (int l = 0; l < config.layers(); l++) {
                keys.add(own(Tensor.empty(dtype, device, config.maxSeq(), config.kvDim())));
                values.add(own(Tensor.empty(dtype, device, config.maxSeq(), config.kvDim())));
            }
            long[] ids = new long[config.maxSeq()];
            for (int i = 0; i < ids.length; i++) ids[i] = i;
            positions = own(Tensor.fromLongs(ids, DType.I32, device));
            x = own(Tensor.empty(dtype, device, 1, config.dim()));
            h = own(Tensor.empty(dtype, device, 1, config.dim()));
            rrms = own(Tensor.empty(DType.F32, device, 1));
            q = own(Tensor.empty(dtype, device, 1, (long) config.heads() * config.headDim()));
            attention = own(Tensor.empty(dtype, device, 1, (long) config.heads() * config.headDim()));
            gate = own(Tensor.empty(dtype, device, 1, config.hidden()));
            up = own(Tensor.empty(dtype, device, 1, config.hidden()));
            logits = own(Tensor.empty(DType.F32, device, config.vocab()));
            token = own(Tensor.fromLongs(new long[] {0}, DType.I32, device));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    public LlamaConfig config() { return config; }

    /** Positions in the KV cache so far. */
    public int length() { return length; }

    /** Empties the KV cache (its rows are overwritten by the next prompt). */
    public void reset() { length = 0; }

    /** Times every later step's kernels into {@code t} by family (null: untimed, no markers recorded). */
    public void timeWith(KernelTimes t) { times = t; }

    /** The f32 logits [vocab] of the last step. */
    public Tensor logits() { return logits; }

    /** The i32 [1] token the last {@link #sample} chose (on the device). */
    public Tensor token() { return token; }

    private void time(Family family, Runnable launches) {
        if (times == null) launches.run(); else times.time(family, launches);
    }

    /**
     * out [T, N] = in [T, K] · Wᵀ for a row-major W [N, K], as {@code nn.Linear}: a fixed blocking (a
     * prompt is short, and the tuner's search would cost more than it saves here) whose row block
     * is no taller than the prompt needs, as far down as 16 rows.
     */
    private static void linear(Tensor in, Tensor w, Tensor out) {
        MatmulConfig d = MatmulConfig.DEFAULT;
        int rows = Math.max(16, Math.min(d.bm(), dev.tessera.lang.TL.nextPowerOf2(Math.toIntExact(in.shape(0)))));
        Matmul.matmul(in, w.transpose(0, 1), out, new MatmulConfig(rows, d.bn(), d.bk(), d.group(), d.warps(), d.stages()), true);
    }

    /**
     * Runs the prompt's tokens through the model at the next positions of the cache (after what is
     * there, so a long prompt may come in pieces) and returns the last token's logits.
     */
    public Tensor prefill(int... prompt) {
        int n = prompt.length, start = length;
        if (n < 1) throw new IllegalArgumentException("a prompt needs at least one token");
        requireRoom(n);
        for (int t : prompt) if (t < 0 || t >= config.vocab()) throw new IllegalArgumentException("token " + t + " is outside the vocabulary of " + config.vocab());
        int dim = config.dim(), heads = config.heads(), hd = config.headDim(), qDim = heads * hd;
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) ids[i] = prompt[i];
        try (Tensor tokens = Tensor.fromLongs(ids, DType.I32, device); Tensor xs = Tensor.empty(dtype, device, n, dim);
             Tensor hs = Tensor.empty(dtype, device, n, dim); Tensor rs = Tensor.empty(DType.F32, device, n);
             Tensor qs = Tensor.empty(dtype, device, n, qDim); Tensor att = Tensor.empty(dtype, device, n, qDim);
             Tensor proj = Tensor.empty(dtype, device, n, dim); Tensor gs = Tensor.empty(dtype, device, n, config.hidden());
             Tensor us = Tensor.empty(dtype, device, n, config.hidden())) {
            time(Family.EMBEDDING, () -> Embedding.lookup(weights.embedding(), tokens, xs));
            Tensor at = positions.slice(0, start, start + n);
            for (int l = 0; l < config.layers(); l++) {
                LlamaWeights.Layer w = weights.layers().get(l);
                Tensor kRows = keys.get(l).slice(0, start, start + n), vRows = values.get(l).slice(0, start, start + n);
                int layer = l;
                time(Family.NORM, () -> RmsNorm.forward(xs, w.attentionNorm(), config.eps(), hs, rs));
                time(Family.MATMUL, () -> {
                    linear(hs, w.wq(), qs);
                    linear(hs, w.wk(), kRows);
                    linear(hs, w.wv(), vRows);
                });
                time(Family.ROPE, () -> RotaryEmbedding.forward(qs.view(n, heads, hd), kRows.view(n, config.kvHeads(), hd), at, config.ropeBase()));
                time(Family.ATTENTION, () -> attendPrompt(layer, qs, att, start, n));
                time(Family.MATMUL, () -> linear(att, w.wo(), proj));
                time(Family.RESIDUAL, () -> VectorAdd.add(xs, proj, xs));
                time(Family.NORM, () -> RmsNorm.forward(xs, w.mlpNorm(), config.eps(), hs, rs));
                time(Family.MATMUL, () -> {
                    linear(hs, w.w1(), gs);
                    linear(hs, w.w3(), us);
                });
                time(Family.MLP, () -> SwiGlu.apply(gs, us, gs));
                time(Family.MATMUL, () -> linear(gs, w.w2(), proj));
                time(Family.RESIDUAL, () -> VectorAdd.add(xs, proj, xs));
            }
            length = start + n;
            head(xs.slice(0, n - 1, n));
        }
        return logits;
    }

    /**
     * Causal attention of the prompt's queries over the cache up to each one's position: flash
     * attention (f16, bf16, head dimensions 16 to 256 in powers of 2; its causal mask is aligned
     * bottom-right, which is each query's position when the prompt follows {@code start} cached
     * ones), else the decode kernel once per query.
     */
    private void attendPrompt(int layer, Tensor qs, Tensor out, int start, int n) {
        int heads = config.heads(), kvHeads = config.kvHeads(), hd = config.headDim(), seen = start + n;
        if (dtype != DType.F32 && hd >= 16 && hd <= 256 && Integer.bitCount(hd) == 1) {
            try (Tensor lse = Tensor.empty(DType.F32, device, 1, heads, n)) {
                FlashAttention.forward(qs.view(1, n, heads, hd).transpose(1, 2), keys.get(layer).slice(0, 0, seen).view(1, seen, kvHeads, hd).transpose(1, 2),
                        values.get(layer).slice(0, 0, seen).view(1, seen, kvHeads, hd).transpose(1, 2), out.view(1, n, heads, hd).transpose(1, 2), lse,
                        FlashAttention.Options.CAUSAL);
            }
            return;
        }
        for (int t = 0; t < n; t++) {
            AttentionDecode.attend(qs.slice(0, t, t + 1).view(heads, hd), keys.get(layer), values.get(layer), out.slice(0, t, t + 1).view(heads, hd),
                    start + t + 1, kvHeads, scale());
        }
    }

    private float scale() { return (float) (1 / Math.sqrt(config.headDim())); }

    /** The final norm of one token's residual stream {@code row} [1, dim], then the LM head into the logits. */
    private void head(Tensor row) {
        time(Family.NORM, () -> RmsNorm.forward(row, weights.norm(), config.eps(), h, rrms));
        time(Family.GEMV, () -> Gemv.gemv(weights.output(), h, logits.view(1, config.vocab())));
        if (times != null) times.collect();
    }

    /**
     * One decoding step: the token in the i32 {@code tokenIds} [1] (on the device; usually
     * {@link #token()}) at the next position; returns its logits.
     */
    public Tensor decode(Tensor tokenIds) {
        requireRoom(1);
        int pos = length, heads = config.heads(), hd = config.headDim();
        time(Family.EMBEDDING, () -> Embedding.lookup(weights.embedding(), tokenIds, x));
        Tensor at = positions.slice(0, pos, pos + 1);
        for (int l = 0; l < config.layers(); l++) {
            LlamaWeights.Layer w = weights.layers().get(l);
            Tensor kCache = keys.get(l), vCache = values.get(l), kRow = kCache.slice(0, pos, pos + 1), vRow = vCache.slice(0, pos, pos + 1);
            time(Family.NORM, () -> RmsNorm.forward(x, w.attentionNorm(), config.eps(), h, rrms));
            time(Family.GEMV, () -> {
                Gemv.gemv(w.wq(), h, q);
                Gemv.gemv(w.wk(), h, kRow);
                Gemv.gemv(w.wv(), h, vRow);
            });
            time(Family.ROPE, () -> RotaryEmbedding.forward(q.view(1, heads, hd), kRow.view(1, config.kvHeads(), hd), at, config.ropeBase()));
            time(Family.ATTENTION, () -> AttentionDecode.attend(q.view(heads, hd), kCache, vCache, attention.view(heads, hd), pos + 1, config.kvHeads(), scale()));
            time(Family.GEMV, () -> Gemv.gemv(w.wo(), attention, null, x, x));   // x += Wo · attention
            time(Family.NORM, () -> RmsNorm.forward(x, w.mlpNorm(), config.eps(), h, rrms));
            time(Family.GEMV, () -> {
                Gemv.gemv(w.w1(), h, gate);
                Gemv.gemv(w.w3(), h, up);
            });
            time(Family.MLP, () -> SwiGlu.apply(gate, up, gate));
            time(Family.GEMV, () -> Gemv.gemv(w.w2(), gate, null, x, x));    // x += W2 · (silu(W1 h) · W3 h)
        }
        length = pos + 1;
        head(x);
        return logits;
    }

    /**
     * Chooses the next token from the last logits into {@link #token()}: greedy at temperature 0,
     * else a draw from the softmax of the {@code topK} largest logits at that temperature, the same
     * for the same seed.
     */
    public void sample(double temperature, int topK, long seed) {
        time(Family.SAMPLING, () -> Sampling.sampleTopK(logits, token, topK, temperature, seed));
        if (times != null) times.collect();
    }

    /**
     * Empties the cache, runs the prompt and generates {@code count} tokens, each fed back for the
     * next step; returns them (each read back as it is made, as an engine streams them). Step
     * {@code i} samples with seed {@code seed + i}.
     */
    public int[] generate(int[] prompt, int count, double temperature, int topK, long seed) {
        if (count < 0) throw new IllegalArgumentException("cannot generate " + count + " tokens");
        reset();
        requireRoom(prompt.length + Math.max(0, count - 1));
        prefill(prompt);
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            sample(temperature, topK, seed + i);
            out[i] = token.toIntArray()[0];
            if (i + 1 < count) decode(token);
        }
        return out;
    }

    private void requireRoom(int tokens) {
        if (length + tokens > config.maxSeq()) {
            throw new IllegalArgumentException(tokens + " more tokens after " + length + " do not fit a KV cache of " + config.maxSeq() + " positions");
        }
    }

    /** Frees the cache and the activations (not the weights). */
    @Override
    public void close() { owned.forEach(Tensor::close); }
}
