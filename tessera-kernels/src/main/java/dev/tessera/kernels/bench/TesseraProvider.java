package dev.tessera.kernels.bench;

import dev.tessera.autotune.Autotuner;
import dev.tessera.autotune.TuningResult;
import dev.tessera.bench.DeviceTimer;
import dev.tessera.bench.DeviceTimers;
import dev.tessera.kernels.activation.Softmax;
import dev.tessera.kernels.decode.Gemv;
import dev.tessera.kernels.elementwise.VectorAdd;
import dev.tessera.kernels.loss.CrossEntropy;
import dev.tessera.kernels.loss.FusedLinearCrossEntropy;
import dev.tessera.kernels.lora.Lora;
import dev.tessera.kernels.lora.LoraMlp;
import dev.tessera.kernels.matmul.Matmul;
import dev.tessera.kernels.matmul.MatmulConfig;
import dev.tessera.kernels.matmul.MatmulTuning;
import dev.tessera.kernels.norm.LayerNorm;
import dev.tessera.kernels.norm.RmsNorm;
import dev.tessera.kernels.attention.FlashAttention;
import dev.tessera.kernels.attention.FlashDecoding;
import dev.tessera.kernels.quant.Fp8;
import dev.tessera.kernels.quant.GemmConfig;
import dev.tessera.kernels.quant.Gguf;
import dev.tessera.kernels.quant.Int8;
import dev.tessera.kernels.quant.Nf4;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * The library's kernels on the run's device. With {@link BenchSettings#tune()}, kernels that have an
 * autotuner are tuned while the work is prepared (not timed) and the tuned launch is timed.
 */
public final class TesseraProvider implements BenchProvider {

    @Override
    public String name() { return "tessera"; }

    @Override
    public String description() { return "Tessera's library kernels on the chosen device (autotuned with --tune)"; }

    @Override
    public String unsupported(Problem p) {
        if (!p.device().isAvailable()) return "device " + p.device() + " is not available";
        if (p.kernel() == KernelBench.MATMUL && p.dtype() == DType.I8) return null;   // i8 products accumulate in i32
        if (p.kernel().isMatmulThroughDescriptors()) {
            if (p.dtype() != DType.F16 && p.dtype() != DType.BF16) return "the matmul through descriptors takes f16 or bf16 inputs";
        }
        if (p.kernel().isGemm() && p.kernel() != KernelBench.MATMUL && p.kernel() != KernelBench.GEMV && p.dtype() != DType.F16 && p.dtype() != DType.BF16) {
            return "the quantized GEMMs take f16 or bf16 activations (--dtype f16 or bf16)";
        }
        boolean throughDescriptors = p.kernel() == KernelBench.ATTENTION_DESCRIPTORS || p.kernel() == KernelBench.ATTENTION_BACKWARD_DESCRIPTORS;
        if (throughDescriptors && p.settings().tune()) return "attention through descriptors runs its default blocking, not --tune";
        if (p.kernel() == KernelBench.ATTENTION || p.kernel() == KernelBench.ATTENTION_BACKWARD || p.kernel() == KernelBench.ATTENTION_DECODE
                || throughDescriptors) {
            return p.dtype() == DType.F16 || p.dtype() == DType.BF16 ? null : "flash attention takes f16 or bf16 inputs";
        }
        if (!p.dtype().isFloat() || p.dtype().isFp8() || p.dtype() == DType.F64) {
            return p.kernel() == KernelBench.MATMUL ? "the matmul kernel takes f32 (or tf32), f16, bf16 or i8 inputs"
                    : "the library kernels take f32, f16 or bf16 inputs";
        }
        return null;
    }

    @Override
    public Workload prepare(Problem p) {
        Device d = p.device();
        DType t = p.dtype();
        long seed = p.settings().seed();
        DeviceTimer timer = DeviceTimers.forDevice(d.toString());
        List<Tensor> owned = new ArrayList<>();
        AutoCloseable free = () -> owned.forEach(Tensor::close);
        try {
            switch (p.kernel().name()) {
                case "vector-add" -> {
                    long n = p.dims()[0];
                    Tensor x = own(owned, Tensor.randn(t, seed, d, n)), y = own(owned, Tensor.randn(t, seed + 1, d, n));
                    Tensor out = own(owned, Tensor.empty(t, d, n));
                    int block = VectorAdd.defaultBlock(x);
                    return Workload.of(() -> VectorAdd.add(x, y, out, block), timer, free, "BLOCK=" + block);
                }
                case "softmax" -> {
                    Tensor x = own(owned, Tensor.randn(t, seed, d, p.dims()));
                    Tensor out = own(owned, Tensor.empty(t, d, p.dims()));
                    if (!p.settings().tune()) {
                        return Workload.of(() -> Softmax.softmax(x, out), timer, free, "fixed: one row per program");
                    }
                    Autotuner tuner = p.settings().tuner(Softmax.TUNER);
                    Softmax.tuned(tuner, x, out);
                    return Workload.of(() -> Softmax.tuned(tuner, x, out), timer, free, bestOf(tuner));
                }
                case "layer-norm" -> {
                    long rows = p.dims()[0], n = p.dims()[1];
                    Tensor x = own(owned, Tensor.randn(t, seed, d, rows, n));
                    Tensor w = own(owned, Tensor.rand(t, seed + 1, d, n)), b = own(owned, Tensor.randn(t, seed + 2, d, n));
                    Tensor y = own(owned, Tensor.empty(t, d, rows, n));
                    Tensor mean = own(owned, Tensor.empty(DType.F32, d, rows)), rstd = own(owned, Tensor.empty(DType.F32, d, rows));
                    return Workload.of(() -> LayerNorm.forward(x, w, b, 1e-5f, y, mean, rstd), timer, free, "fixed: one row per program");
                }
                case "rms-norm" -> {
                    long rows = p.dims()[0], n = p.dims()[1];
                    Tensor x = own(owned, Tensor.randn(t, seed, d, rows, n)), w = own(owned, Tensor.randn(t, seed + 1, d, n));
                    Tensor y = own(owned, Tensor.empty(t, d, rows, n)), rrms = own(owned, Tensor.empty(DType.F32, d, rows));
                    return Workload.of(() -> RmsNorm.forward(x, w, 1e-6f, y, rrms), timer, free, "fixed: one row per program");
                }
                case "matmul", "matmul-descriptors", "matmul-persistent" -> {
                    long m = p.dims()[0], n = p.dims()[1], k = p.dims()[2];
                    // inputs made on the device (the LM-head weight alone is 525 M values); B either row-major
                    // [K, N] or the transpose of a row-major W [N, K] (strides (1, K)), as x @ W.T in a linear layer
                    Tensor a = own(owned, BenchInputs.random(t, seed, d, m, k));
                    Tensor b = p.settings().bTransposed()
                            ? own(owned, own(owned, BenchInputs.random(t, seed + 1, d, n, k)).transpose(0, 1))
                            : own(owned, BenchInputs.random(t, seed + 1, d, k, n));
                    // C in the dtype torch.matmul and Triton's tutorial kernel write: the inputs' for floats, i32 for i8
                    Tensor c = own(owned, Tensor.empty(t == DType.I8 ? DType.I32 : t, d, m, n));
                    boolean ieee = p.settings().ieee();
                    if (p.kernel().isMatmulThroughDescriptors() && p.settings().tune()) {
                        Autotuner tuner = p.settings().tuner(p.kernel() == KernelBench.MATMUL_PERSISTENT ? MatmulTuning.PERSISTENT_TUNER : MatmulTuning.DESCRIPTOR_TUNER);
                        Matmul.tunedThroughDescriptors(tuner, a, b, c);
                        return Workload.of(() -> Matmul.tunedThroughDescriptors(tuner, a, b, c), timer, free, bestOf(tuner));
                    }
                    if (p.kernel().isMatmulThroughDescriptors()) {
                        MatmulConfig cfg = p.settings().matmulConfig() != null ? p.settings().matmulConfig() : KernelBench.DESCRIPTOR_CONFIG;
                        if (p.kernel() == KernelBench.MATMUL_PERSISTENT) {
                            return Workload.of(() -> Matmul.persistentThroughDescriptors(a, b, c, cfg), timer, free, "fixed, persistent: " + cfg.toTuned());
                        }
                        return Workload.of(() -> Matmul.throughDescriptors(a, b, c, cfg), timer, free, "fixed: " + cfg.toTuned());
                    }
                    if (!p.settings().tune()) {
                        MatmulConfig cfg = p.settings().matmulConfig() != null ? p.settings().matmulConfig() : MatmulConfig.DEFAULT;
                        return Workload.of(() -> Matmul.matmul(a, b, c, cfg, ieee), timer, free, "fixed: " + cfg.toTuned());
                    }
                    Autotuner tuner = p.settings().tuner(MatmulTuning.TUNER);
                    Matmul.tuned(tuner, a, b, c, ieee);
                    return Workload.of(() -> Matmul.tuned(tuner, a, b, c, ieee), timer, free, bestOf(tuner));
                }
                case "gemv" -> {
                    long tokens = p.dims()[0], n = p.dims()[1], k = p.dims()[2];
                    if (p.settings().matmulConfig() != null) throw new IllegalArgumentException("--config is a matmul blocking; gemv takes --tune, or its default");
                    Tensor w = own(owned, BenchInputs.random(t, seed, d, n, k)), x = own(owned, BenchInputs.random(t, seed + 1, d, tokens, k));
                    Tensor y = own(owned, Tensor.empty(t, d, tokens, n));
                    boolean matmul = Gemv.runsAsMatmul(w, x, null, null, y);
                    if (!p.settings().tune()) {
                        return Workload.of(() -> Gemv.gemv(w, x, y), timer, free,
                                matmul ? "fixed: as the matmul x.W.T, " + MatmulConfig.DEFAULT.toTuned() : "fixed: the library's default blocking");
                    }
                    Autotuner tuner = p.settings().tuner(Gemv.TUNER);
                    Gemv.tuned(tuner, w, x, null, null, y);
                    String note;
                    if (matmul) {
                        try (Tensor wt = w.transpose(0, 1)) {
                            note = "tuned: as the matmul x.W.T, " + Matmul.tunedConfig(x, wt, y, true).toTuned();
                        }
                    } else {
                        note = bestOf(tuner);
                    }
                    return Workload.of(() -> Gemv.tuned(tuner, w, x, null, null, y), timer, free, note);
                }
                case "cross-entropy" -> {
                    int rows = Math.toIntExact(p.dims()[0]), vocab = Math.toIntExact(p.dims()[1]);
                    long before = Tensor.liveBytes(d);
                    // after the first run the buffer holds gradients, not logits: the same work, other values
                    Tensor logits = own(owned, BenchInputs.random(t, seed, d, rows, vocab));
                    java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
                    int[] y = new int[rows];
                    for (int i = 0; i < rows; i++) y[i] = rnd.nextInt(vocab);
                    Tensor labels = own(owned, Tensor.of(y, d, rows));
                    long inputs = Tensor.liveBytes(d) - before;
                    CrossEntropy.Workspace ws = CrossEntropy.Workspace.of(d, rows);
                    AutoCloseable all = () -> {
                        ws.close();
                        free.close();
                    };
                    CrossEntropy.Options o = CrossEntropy.Options.DEFAULT.checkLabels(false);
                    CrossEntropy.Config cfg = CrossEntropy.Config.defaultFor(logits);
                    CrossEntropy.forward(logits, labels, o, cfg, ws);
                    double extraMiB = (Tensor.liveBytes(d) - before - inputs) / 1048576.0;
                    return Workload.of(() -> CrossEntropy.forward(logits, labels, o, cfg, ws), timer, all,
                            String.format(java.util.Locale.ROOT, "block=%d warps=%d, mean, labels unchecked; extra %.3f MiB", cfg.block(), cfg.warps(), extraMiB));
                }
                case "fused-linear-cross-entropy" -> {
                    return linearCrossEntropy(p, owned, timer, free);
                }
                case "lora-mlp" -> {
                    return loraMlp(p, owned, timer, free);
                }
                case "attention", "attention-backward", "attention-descriptors", "attention-backward-descriptors" -> {
                    long[] dims = p.dims();
                    Tensor q = own(owned, BenchInputs.random(t, seed, d, dims)), k = own(owned, BenchInputs.random(t, seed + 1, d, dims));
                    Tensor v = own(owned, BenchInputs.random(t, seed + 2, d, dims));
                    FlashAttention.Options opts = FlashAttention.Options.DEFAULT.withCausal(p.settings().causal())
                            .withDeterministic(p.settings().deterministic());
                    FlashAttention.Context ctx = FlashAttention.forward(q, k, v, opts);
                    owned.addAll(List.of(ctx.out(), ctx.lse()));
                    int hd = (int) dims[3];
                    if (p.kernel() == KernelBench.ATTENTION && p.settings().tune()) {
                        Autotuner tuner = p.settings().tuner(FlashAttention.FORWARD_TUNER);
                        FlashAttention.forwardTuned(tuner, q, k, v, ctx.out(), ctx.lse(), opts);
                        return Workload.of(() -> FlashAttention.forwardTuned(tuner, q, k, v, ctx.out(), ctx.lse(), opts), timer, free, bestOf(tuner));
                    }
                    if (p.kernel() == KernelBench.ATTENTION_DESCRIPTORS) {
                        FlashAttention.forwardThroughDescriptors(q, k, v, ctx.out(), ctx.lse(), opts);   // compiles outside the timed region
                        return Workload.of(() -> FlashAttention.forwardThroughDescriptors(q, k, v, ctx.out(), ctx.lse(), opts), timer, free,
                                "fixed: " + FlashAttention.Config.forward(hd, d, opts.causal()));
                    }
                    if (p.kernel() == KernelBench.ATTENTION) {
                        FlashAttention.forwardThroughPointers(q, k, v, ctx.out(), ctx.lse(), opts);   // compiles outside the timed region
                        return Workload.of(() -> FlashAttention.forwardThroughPointers(q, k, v, ctx.out(), ctx.lse(), opts), timer, free,
                                "fixed: " + FlashAttention.Config.forward(hd, d, opts.causal()));
                    }
                    Tensor dOut = own(owned, BenchInputs.random(t, seed + 3, d, dims));
                    Tensor dq = own(owned, Tensor.empty(t, d, dims)), dk = own(owned, Tensor.empty(t, d, dims)), dv = own(owned, Tensor.empty(t, d, dims));
                    FlashAttention.Workspace ws = FlashAttention.Workspace.of(ctx);   // allocated once, as torch's caching allocator would
                    owned.add(ws.delta());
                    if (ws.dqSums() != null) owned.add(ws.dqSums());
                    if (p.kernel() == KernelBench.ATTENTION_BACKWARD_DESCRIPTORS) {
                        FlashAttention.backwardThroughDescriptors(ctx, dOut, dq, dk, dv, ws);   // compiles outside the timed region
                        return Workload.of(() -> FlashAttention.backwardThroughDescriptors(ctx, dOut, dq, dk, dv, ws), timer, free,
                                "fixed: " + FlashAttention.Config.backward(hd, d, opts.causal(), !opts.deterministic())
                                        + (opts.deterministic() ? ", dQ " + FlashAttention.Config.dq(hd, d) : ", dQ by atomics"));
                    }
                    FlashAttention.backwardThroughPointers(ctx, dOut, dq, dk, dv, ws);   // compiles outside the timed region
                    return Workload.of(() -> FlashAttention.backwardThroughPointers(ctx, dOut, dq, dk, dv, ws), timer, free,
                            "fixed: " + FlashAttention.Config.backward(hd, d, opts.causal(), !opts.deterministic())
                                    + (opts.deterministic() ? ", dQ " + FlashAttention.Config.dq(hd, d) : ", dQ by atomics"));
                }
                case "attention-decode" -> {
                    long[] dims = p.dims();   // B, Hq, Hkv, N, D
                    long b = dims[0], hq = dims[1], hkv = dims[2], n = dims[3], hd = dims[4];
                    Tensor q = own(owned, BenchInputs.random(t, seed, d, b, hq, 1, hd));
                    // the cache as engines keep it, (B, N, Hkv, D) in memory
                    Tensor k = own(owned, own(owned, BenchInputs.random(t, seed + 1, d, b, n, hkv, hd)).transpose(1, 2));
                    Tensor v = own(owned, own(owned, BenchInputs.random(t, seed + 2, d, b, n, hkv, hd)).transpose(1, 2));
                    Tensor out = own(owned, Tensor.empty(t, d, b, hq, 1, hd));
                    FlashDecoding.Cache cache = FlashDecoding.Cache.of(k, v);
                    FlashDecoding.Options opts = FlashDecoding.Options.DEFAULT;
                    FlashDecoding.Workspace ws = FlashDecoding.Workspace.of(q, cache, opts);   // made once, as an engine keeps it
                    AutoCloseable all = () -> {
                        ws.close();
                        free.close();
                    };
                    FlashDecoding.attend(q, cache, out, opts, ws);   // compiles outside the timed region
                    return Workload.of(() -> FlashDecoding.attend(q, cache, out, opts, ws), timer, all,
                            "fixed: " + FlashDecoding.Config.of((int) (hq / hkv), (int) hd, d) + ", splits=" + ws.splits());
                }
                case "int8-quantize" -> {
                    Tensor x = own(owned, Tensor.randn(t, seed, d, p.dims()));
                    Int8.Quantized q = Int8.quantizeRows(x);
                    owned.add(q.values());
                    owned.add(q.scales());
                    return Workload.of(() -> Int8.quantizeRows(x, q), timer, free, "one row per program");
                }
                case "fp8-quantize" -> {
                    Tensor x = own(owned, Tensor.randn(t, seed, d, p.dims()));
                    Fp8.Quantized q = Fp8.quantize(x, DType.FP8E4M3, Fp8.Scaling.TILE_1X128);
                    owned.add(q.values());
                    owned.add(q.scales());
                    return Workload.of(() -> Fp8.quantize(x, q), timer, free, "amax pass, then quantize pass");
                }
                case "nf4-dequantize", "q4_0-dequantize" -> {
                    Tensor x = own(owned, Tensor.randn(t, seed, d, p.dims()));
                    Tensor out = own(owned, Tensor.empty(t, d, p.dims()));
                    if (p.kernel().name().startsWith("nf4")) {
                        Nf4.Quantized q = Nf4.quantize(x);
                        owned.addAll(List.of(q.packed(), q.code(), ((Nf4.Plain) q.absmax()).values()));
                        return Workload.of(() -> Nf4.dequantize(q, out), timer, free, null);
                    }
                    Gguf.Quantized q = Gguf.quantize(x, Gguf.Format.Q4_0);
                    owned.add(q.blocks());
                    return Workload.of(() -> Gguf.dequantize(q, out), timer, free, null);
                }
                case "nf4-gemv", "q4_0-gemv", "q8_0-gemv" -> {
                    long n = p.dims()[0];
                    Tensor w = own(owned, Tensor.randn(t, seed, d, n, n)), x = own(owned, Tensor.randn(t, seed + 1, d, n));
                    Tensor y = own(owned, Tensor.empty(t, d, n));
                    if (p.kernel().name().startsWith("nf4")) {
                        Nf4.Quantized q = Nf4.quantize(w);
                        owned.addAll(List.of(q.packed(), q.code(), ((Nf4.Plain) q.absmax()).values()));
                        return Workload.of(() -> Nf4.gemv(q, x, y), timer, free, null);
                    }
                    Gguf.Quantized q = Gguf.quantize(w, p.kernel().name().startsWith("q4") ? Gguf.Format.Q4_0 : Gguf.Format.Q8_0);
                    owned.add(q.blocks());
                    return Workload.of(() -> Gguf.gemv(q, x, y), timer, free, null);
                }
                case "int8-gemm", "w8a16-gemm", "nf4-gemm", "fp8-gemm", "fp8-gemm-tensor" -> {
                    return quantizedGemm(p, owned, timer, free);
                }
                default -> throw new IllegalArgumentException("tessera has no implementation of " + p.kernel().name());
            }
        } catch (RuntimeException e) {
            owned.forEach(Tensor::close);
            throw e;
        }
    }

    /**
     * A quantized GEMM y = x·Wᵀ: the operands quantized while the work is prepared, only the GEMM
     * timed; the blocking of --config, else the kernel's default.
     */
    private static Workload quantizedGemm(Problem p, List<Tensor> owned, DeviceTimer timer, AutoCloseable free) {
        long m = p.dims()[0], n = p.dims()[1], k = p.dims()[2];
        DType t = p.dtype();
        Device d = p.device();
        long seed = p.settings().seed();
        Tensor x = own(owned, BenchInputs.random(t, seed, d, m, k)), w = own(owned, BenchInputs.random(t, seed + 1, d, n, k));
        Tensor y = own(owned, Tensor.empty(t, d, m, n));
        MatmulConfig c = p.settings().matmulConfig();
        GemmConfig given = c == null ? null : new GemmConfig(c.bm(), c.bn(), c.bk(), c.group(), c.warps(), c.stages());
        GemmConfig cfg = given != null ? given : GemmConfig.DEFAULT;
        String note = (given != null ? "fixed: " : "default: ") + cfg;
        switch (p.kernel().name()) {
            case "int8-gemm" -> {
                Int8.Quantized qa = Int8.quantizeRows(x), qw = Int8.quantizeRows(w);
                owned.addAll(List.of(qa.values(), qa.scales(), qw.values(), qw.scales()));
                return Workload.of(() -> Int8.matmul(qa, qw, y, cfg), timer, free, note);
            }
            case "w8a16-gemm" -> {
                Int8.Quantized qw = Int8.quantizeRows(w);
                owned.addAll(List.of(qw.values(), qw.scales()));
                return Workload.of(() -> Int8.matmulW8A16(x, qw, y, cfg), timer, free, note);
            }
            case "nf4-gemm" -> {
                Nf4.Quantized qw = Nf4.quantize(w);
                owned.addAll(List.of(qw.packed(), qw.code(), ((Nf4.Plain) qw.absmax()).values()));
                return Workload.of(() -> Nf4.matmul(x, qw, y, cfg), timer, free, note);
            }
            default -> {
                boolean perTensor = p.kernel() == KernelBench.FP8_GEMM_TENSOR;
                Fp8.Quantized qa = Fp8.quantize(x, DType.FP8E4M3, perTensor ? Fp8.Scaling.TENSOR : Fp8.Scaling.TILE_1X128);
                Fp8.Quantized qw = Fp8.quantize(w, DType.FP8E4M3, perTensor ? Fp8.Scaling.TENSOR : Fp8.Scaling.BLOCK_128X128);
                owned.addAll(List.of(qa.values(), qa.scales(), qw.values(), qw.scales()));
                GemmConfig fp8 = given != null ? given : Fp8.defaultConfig(qa, qw);
                return Workload.of(() -> Fp8.matmul(qa, qw, y, fp8), timer, free, (given != null ? "fixed: " : "default: ") + fp8);
            }
        }
    }

    /**
     * The fused linear cross-entropy of T tokens, chunked by Liger's rule; after one untimed step (it
     * compiles and, on a GPU, tunes the matmuls), a second one measures the peak memory beyond the
     * inputs: the gradients dH and dW, the chunk's logits buffer and the per-token workspace.
     */
    private static Workload linearCrossEntropy(Problem p, List<Tensor> owned, DeviceTimer timer, AutoCloseable free) {
        int tokens = p.dim(0), hidden = p.dim(1), vocab = p.dim(2);
        DType t = p.dtype();
        Device d = p.device();
        long seed = p.settings().seed();
        long base = Tensor.liveBytes(d);
        Tensor h = own(owned, BenchInputs.random(t, seed, d, tokens, hidden)), w = own(owned, BenchInputs.random(t, seed + 1, d, vocab, hidden));
        Tensor labels = own(owned, Tensor.of(randomLabels(seed, tokens, vocab), d, tokens));
        long inputs = Tensor.liveBytes(d) - base;
        FusedLinearCrossEntropy.Grads g = FusedLinearCrossEntropy.Grads.like(h, w, null);
        owned.addAll(List.of(g.dHidden(), g.dWeight()));
        int chunk = FusedLinearCrossEntropy.chunkRows(tokens, vocab, hidden, d);
        FusedLinearCrossEntropy.Workspace ws = FusedLinearCrossEntropy.Workspace.of(d, t, tokens, chunk, vocab);
        AutoCloseable all = () -> {
            ws.close();
            free.close();
        };
        FusedLinearCrossEntropy.Config cfg = FusedLinearCrossEntropy.Config.defaultFor(h, w);
        CrossEntropy.Options o = CrossEntropy.Options.DEFAULT.checkLabels(false);
        Runnable step = () -> FusedLinearCrossEntropy.forward(h, w, null, labels, o, cfg, g, ws);
        double extraMiB;
        try {
            extraMiB = peakExtraMiB(d, base + inputs, step);
        } catch (RuntimeException e) {
            ws.close();
            throw e;
        }
        return Workload.of(step, timer, all, String.format(java.util.Locale.ROOT, "chunk=%d tokens, mean, labels unchecked; peak extra %.3f MiB (workspace %.3f MiB)",
                chunk, extraMiB, ws.bytes() / 1048576.0));
    }

    /**
     * A LoRA MLP's forward and backward pass (scale 2, as α = 32 at rank 16) with the gradients, the
     * saved buffers and the scratch made once, so a step allocates nothing; the peak memory beyond
     * the inputs (x, dOut, the weights and adapters) is measured on a second, untimed step.
     */
    private static Workload loraMlp(Problem p, List<Tensor> owned, DeviceTimer timer, AutoCloseable free) {
        int tokens = p.dim(0), hidden = p.dim(1), inner = p.dim(2), rank = p.dim(3);
        DType t = p.dtype();
        Device d = p.device();
        long seed = p.settings().seed();
        long base = Tensor.liveBytes(d);
        Tensor x = own(owned, BenchInputs.random(t, seed, d, tokens, hidden)), dOut = own(owned, BenchInputs.random(t, seed + 1, d, tokens, hidden));
        Lora.Adapter[] ads = new Lora.Adapter[3];
        for (int i = 0; i < 3; i++) {
            long in = i < 2 ? hidden : inner, out = i < 2 ? inner : hidden, s = seed + 2 + 3L * i;
            ads[i] = new Lora.Adapter(own(owned, BenchInputs.random(t, s, d, out, in)), own(owned, BenchInputs.random(t, s + 1, d, rank, in)),
                    own(owned, BenchInputs.random(t, s + 2, d, out, rank)), 2);
        }
        LoraMlp.Weights weights = new LoraMlp.Weights(ads[0], ads[1], ads[2]);
        long inputs = Tensor.liveBytes(d) - base;
        Lora.AdapterGrads[] ag = new Lora.AdapterGrads[3];
        for (int i = 0; i < 3; i++) {
            ag[i] = Lora.AdapterGrads.like(ads[i]);
            owned.addAll(List.of(ag[i].da(), ag[i].db()));
        }
        LoraMlp.Grads grads = new LoraMlp.Grads(own(owned, Tensor.empty(t, d, tokens, hidden)), ag[0], ag[1], ag[2]);
        // the buffers forward passes to backward and the scratch, made once, as a training loop keeps them
        LoraMlp.Saved saved = LoraMlp.Saved.of(x, weights);
        LoraMlp.Scratch scratch = LoraMlp.Scratch.of(d, t, tokens, weights);
        owned.addAll(List.of(saved.gate(), saved.up(), saved.xaGate(), saved.xaUp(), saved.haDown(), scratch.h(), scratch.dxa()));
        Tensor out = own(owned, Tensor.empty(t, d, tokens, hidden));
        Lora.Config cfg = Lora.Config.defaultFor(x);
        Runnable step = () -> LoraMlp.backward(LoraMlp.forward(cfg, out, saved, scratch).saved(), dOut, cfg, grads, scratch);
        double extraMiB = peakExtraMiB(d, base + inputs, step);
        return Workload.of(step, timer, free, String.format(java.util.Locale.ROOT, "rank %d, scale 2, buffers made once; peak extra %.3f MiB",
                rank, extraMiB));
    }

    /** Runs {@code step} once untimed (compiling, tuning), then once more to measure its peak beyond {@code inputs} bytes live. */
    private static double peakExtraMiB(Device d, long inputs, Runnable step) {
        step.run();
        Tensor.resetPeakBytes(d);
        step.run();
        return (Tensor.peakBytes(d) - inputs) / 1048576.0;
    }

    private static int[] randomLabels(long seed, int rows, int vocab) {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) y[i] = rnd.nextInt(vocab);
        return y;
    }

    private static Tensor own(List<Tensor> owned, Tensor t) {
        owned.add(t);
        return t;
    }

    /** The config of the tuning that just happened (the tuner's most recent key). */
    private static String bestOf(Autotuner tuner) {
        TuningResult last = tuner.lastResult().orElse(null);
        return last == null ? null : "tuned: " + last.best() + (last.fromCache() ? " (from the tuning cache)" : "");
    }
}
