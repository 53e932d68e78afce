package dev.tessera.kernels.bench;

import dev.tessera.autotune.Autotuner;
import dev.tessera.bench.Metric;
import dev.tessera.kernels.activation.Softmax;
import dev.tessera.kernels.decode.Gemv;
import dev.tessera.kernels.matmul.MatmulTuning;
import dev.tessera.kernels.attention.FlashAttention;
import dev.tessera.runtime.Device;
import dev.tessera.types.DType;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A benchmark of one library kernel: what the swept size x means, the tensor shapes at x, the
 * metric (GB/s for memory-bound kernels, FLOP/s for matmul) and the default sizes. Providers
 * ({@link BenchProvider}) implement the work itself.
 */
public final class KernelBench {

    /** The tensor dimensions at x. */
    @FunctionalInterface
    public interface Dims { long[] at(long x, BenchSettings s); }

    /** The metric for a run (bytes or FLOPs at each x). */
    @FunctionalInterface
    public interface MetricOf { Metric of(BenchSettings s); }

    private final String name, description, xName;
    private final long[] cpuSizes, gpuSizes;
    private final Dims dims;
    private final MetricOf metric;
    private final Autotuner tuner;
    private final boolean gemm;

    private KernelBench(String name, String description, String xName, long[] cpuSizes, long[] gpuSizes, Dims dims,
                        MetricOf metric, Autotuner tuner) {
        this(name, description, xName, cpuSizes, gpuSizes, dims, metric, tuner, false);
    }

    private KernelBench(String name, String description, String xName, long[] cpuSizes, long[] gpuSizes, Dims dims,
                        MetricOf metric, Autotuner tuner, boolean gemm) {
        this.name = name;
        this.description = description;
        this.xName = xName;
        this.cpuSizes = cpuSizes;
        this.gpuSizes = gpuSizes;
        this.dims = dims;
        this.metric = metric;
        this.tuner = tuner;
        this.gemm = gemm;
    }

    public static final KernelBench VECTOR_ADD = new KernelBench("vector-add", "out = x + y over N elements", "N",
            pow2(20, 24), pow2(12, 28), (x, s) -> new long[] {x},
            s -> Metric.gbps(x -> 3.0 * x * s.dtype().byteSize()), null);

    public static final KernelBench SOFTMAX = new KernelBench("softmax", "row-wise softmax of a [rows, N] tensor (rows = 4096 unless --rows)", "N",
            pow2(8, 12), pow2(8, 14), (x, s) -> new long[] {s.rows(), x},
            s -> Metric.gbps(x -> 2.0 * s.rows() * x * s.dtype().byteSize()), Softmax.TUNER);

    public static final KernelBench LAYER_NORM = new KernelBench("layer-norm", "layer norm over the last dimension of [rows, N] (rows = 4096 unless --rows)", "N",
            pow2(8, 12), pow2(9, 14), (x, s) -> new long[] {s.rows(), x},
            s -> Metric.gbps(x -> 2.0 * s.rows() * x * s.dtype().byteSize()), null);

    public static final KernelBench RMS_NORM = new KernelBench("rms-norm", "RMS norm over the last dimension of [rows, N] (rows = 4096 unless --rows)", "N",
            pow2(8, 12), pow2(9, 14), (x, s) -> new long[] {s.rows(), x},
            s -> Metric.gbps(x -> 2.0 * s.rows() * x * s.dtype().byteSize()), null);

    public static final KernelBench MATMUL = new KernelBench("matmul",
            "C[M, N] = A[M, K]·B[K, N] with M = N = K, or the MxNxK problems of --shapes or --sweep", "M=N=K",
            pow2(7, 9), new long[] {256, 512, 1024, 2048, 3072, 4096}, KernelBench::matmulDims, KernelBench::matmulMetric, MatmulTuning.TUNER, true);

    /**
     * The matmul with A and B read through tensor descriptors ({@code Matmul.throughDescriptors}: on
     * Hopper, TMA copies straight into wgmma's slots): --tune, --config, else
     * {@link #DESCRIPTOR_CONFIG}. Its peers are the matmul's (same shapes, same FLOPs).
     */
    public static final KernelBench MATMUL_DESCRIPTORS = new KernelBench("matmul-descriptors",
            "C[M, N] = A[M, K]·B[K, N] as matmul, A and B read through tensor descriptors (TMA on Hopper); 16-bit inputs, --tune, --config "
                    + "or 128x256x64 on 8 warps, 4 stages", "M=N=K",
            pow2(7, 9), new long[] {256, 512, 1024, 2048, 3072, 4096}, KernelBench::matmulDims, KernelBench::matmulMetric,
            MatmulTuning.DESCRIPTOR_TUNER, true);

    /**
     * The matmul through descriptors, persistent ({@code Matmul.persistentThroughDescriptors}: a
     * program a multiprocessor walks the output tiles): --tune, --config, else {@link #DESCRIPTOR_CONFIG}.
     */
    public static final KernelBench MATMUL_PERSISTENT = new KernelBench("matmul-persistent",
            "C[M, N] = A[M, K]·B[K, N] as matmul-descriptors, persistent (a program a multiprocessor walks the output tiles); --tune, --config "
                    + "or 128x256x64 on 8 warps, 4 stages", "M=N=K",
            pow2(7, 9), new long[] {256, 512, 1024, 2048, 3072, 4096}, KernelBench::matmulDims, KernelBench::matmulMetric,
            MatmulTuning.PERSISTENT_TUNER, true);

    /** The descriptor matmul's blocking without --config: the pointer kernel's best on an H200 at 4096³ (675 TFLOP/s). */
    public static final dev.tessera.kernels.matmul.MatmulConfig DESCRIPTOR_CONFIG = new dev.tessera.kernels.matmul.MatmulConfig(128, 256, 64, 8, 8, 4);

    /** M, N, K at x: the x-th of the settings' shapes (counting from 1) when there are any, else M = N = K = x. */
    private static long[] matmulDims(long x, BenchSettings s) {
        if (s.shapes().isEmpty()) return new long[] {x, x, x};
        if (x < 1 || x > s.shapes().size()) {
            throw new IllegalArgumentException("matmul shape #" + x + " does not exist: the run has " + s.shapes().size() + " shapes");
        }
        return s.shapes().get((int) x - 1).dims();
    }

    private static double matmulFlops(long x, BenchSettings s) {
        long[] d = matmulDims(x, s);
        return 2.0 * d[0] * d[1] * d[2];
    }

    /**
     * Cross-entropy's loss and gradient (written over the logits) in one pass: GB/s of the floor,
     * the logits read once and the gradient written once.
     */
    public static final KernelBench CROSS_ENTROPY = new KernelBench("cross-entropy",
            "cross-entropy loss and gradient over [rows, V] logits, the gradient written over them (rows = 4096 unless --rows)", "V",
            new long[] {1024, 4096}, new long[] {32000, 128256}, (x, s) -> new long[] {s.rows(), x},
            s -> Metric.gbps(x -> 2.0 * s.rows() * x * s.dtype().byteSize()), null);

    // Training steps (dev.tessera.kernels.loss, dev.tessera.kernels.lora): a forward and backward pass of
    // T tokens, FLOP/s of their matmuls; the note gives the peak memory beyond the inputs (Tensor.peakBytes,
    // the gradients counted), as bench/peers/peers.py's peak_extra_MiB. The GPU sizes are the issue's
    // (hidden 4096, vocabulary 128256; a Llama-3-8B MLP, 4096 by 14336, rank 16), the CPU's small.

    /**
     * The head's logits and cross-entropy by chunks of tokens: loss, dH and dW of H [T, d] and
     * W [V, d] with no [T, V] logits tensor; three matmuls of 2·T·V·d each.
     */
    public static final KernelBench FUSED_LINEAR_CROSS_ENTROPY = new KernelBench("fused-linear-cross-entropy",
            "loss, dH and dW of H [T, d]·W [V, d]ᵀ and cross-entropy by chunks of tokens (d 4096, V 128256; CPU 128, 2048)", "T",
            new long[] {64, 256}, new long[] {8192, 16384, 32768}, KernelBench::linearCrossEntropyDims,
            s -> flops(s, x -> {
                long[] d = linearCrossEntropyDims(x, s);
                return 6.0 * d[0] * d[1] * d[2];
            }), null);

    /** T, d, V at T = x. */
    private static long[] linearCrossEntropyDims(long x, BenchSettings s) {
        return isCpu(s.device()) ? new long[] {x, 128, 2048} : new long[] {x, 4096, 128256};
    }

    /**
     * A LoRA MLP's forward and backward pass (gate, up and down adapted, SwiGLU between, the base
     * frozen): T tokens, width d, inner width I, rank r. Per projection (in, out) the forward pass
     * multiplies 2·T·(in·out + r·(in + out)) and the backward pass 2·T·(in·out + 2r·(in + out)).
     */
    public static final KernelBench LORA_MLP = new KernelBench("lora-mlp",
            "a LoRA MLP's forward and backward pass, [T, d] tokens, gate/up/down adapted at rank r (d 4096, I 14336, r 16; CPU 128, 352, 16)", "T",
            new long[] {64, 256}, new long[] {2048, 8192, 16384}, KernelBench::loraMlpDims,
            s -> flops(s, x -> {
                long[] d = loraMlpDims(x, s);
                return 3 * 2.0 * d[0] * (2.0 * d[1] * d[2] + 3.0 * d[3] * (d[1] + d[2]));
            }), null);

    /** T, d, I, r at T = x. */
    private static long[] loraMlpDims(long x, BenchSettings s) {
        return isCpu(s.device()) ? new long[] {x, 128, 352, 16} : new long[] {x, 4096, 14336, 16};
    }

    private static Metric flops(BenchSettings s, java.util.function.LongToDoubleFunction f) {
        return isCpu(s.device()) ? Metric.gflops(f) : Metric.tflops(f);
    }

    private static Metric matmulMetric(BenchSettings s) {
        return isCpu(s.device()) ? Metric.gflops(x -> matmulFlops(x, s)) : Metric.tflops(x -> matmulFlops(x, s));
    }

    // GEMV (dev.tessera.kernels.decode): y [T, N] = x [T, K] · Wᵀ for a row-major W [N, K], a decoding
    // step's projection; GB/s of the bytes moved at the least (W, x and y once). Problems are MxNxK as
    // matmul's x @ W.T with M = T tokens (1 to 16), from --shapes; without them one token and N = K = x.

    public static final KernelBench GEMV = new KernelBench("gemv",
            "y = W.x for W [N, K] row-major and T tokens: --shapes TxNxK (T from 1 to 16), else one token and N = K", "N=K",
            pow2(9, 11), pow2(12, 14), KernelBench::gemvDims, s -> Metric.gbps(x -> gemvBytes(x, s)), Gemv.TUNER, true);

    private static long[] gemvDims(long x, BenchSettings s) { return s.shapes().isEmpty() ? new long[] {1, x, x} : matmulDims(x, s); }

    private static double gemvBytes(long x, BenchSettings s) {
        long[] d = gemvDims(x, s);
        return (double) s.dtype().byteSize() * (d[1] * d[2] + d[0] * d[2] + d[0] * d[1]);
    }

    // Quantization (dev.tessera.kernels.quant): GB/s of the bytes each kernel must move at the least,
    // inputs read once and outputs written once; --dtype is that of the float side.

    public static final KernelBench INT8_QUANTIZE = new KernelBench("int8-quantize", "per-row int8 quantization of [rows, N] (rows = 4096 unless --rows)", "N",
            pow2(8, 12), pow2(9, 14), (x, s) -> new long[] {s.rows(), x},
            s -> Metric.gbps(x -> s.rows() * (x * (s.dtype().byteSize() + 1.0) + 4)), null);

    public static final KernelBench FP8_QUANTIZE = new KernelBench("fp8-quantize", "e4m3 quantization of [rows, N] in 1x128 tiles (rows = 4096 unless --rows)", "N",
            pow2(8, 12), pow2(9, 14), (x, s) -> new long[] {s.rows(), x},
            s -> Metric.gbps(x -> s.rows() * (x * (s.dtype().byteSize() + 1.0) + 4.0 * Math.ceil(x / 128.0))), null);

    public static final KernelBench NF4_DEQUANTIZE = new KernelBench("nf4-dequantize", "NF4 (f32 absmax) to N values", "N",
            pow2(18, 22), pow2(20, 28), (x, s) -> new long[] {x},
            s -> Metric.gbps(x -> x * (0.5 + 4.0 / 64 + s.dtype().byteSize())), null);

    public static final KernelBench NF4_GEMV = new KernelBench("nf4-gemv", "y = W.x with W [N, N] in NF4 (f32 absmax), batch 1", "N",
            pow2(9, 11), pow2(10, 14), (x, s) -> new long[] {x, x},
            s -> Metric.gbps(x -> x * x * (0.5 + 4.0 / 64) + 2.0 * x * s.dtype().byteSize()), null);

    public static final KernelBench Q4_0_DEQUANTIZE = new KernelBench("q4_0-dequantize", "GGUF Q4_0 to N values", "N",
            pow2(18, 22), pow2(20, 28), (x, s) -> new long[] {x},
            s -> Metric.gbps(x -> x * (18.0 / 32 + s.dtype().byteSize())), null);

    public static final KernelBench Q4_0_GEMV = new KernelBench("q4_0-gemv", "y = W.x with W [N, N] in GGUF Q4_0, batch 1", "N",
            pow2(9, 11), pow2(10, 14), (x, s) -> new long[] {x, x},
            s -> Metric.gbps(x -> x * x * 18.0 / 32 + 2.0 * x * s.dtype().byteSize()), null);

    public static final KernelBench Q8_0_GEMV = new KernelBench("q8_0-gemv", "y = W.x with W [N, N] in GGUF Q8_0, batch 1", "N",
            pow2(9, 11), pow2(10, 14), (x, s) -> new long[] {x, x},
            s -> Metric.gbps(x -> x * x * 34.0 / 32 + 2.0 * x * s.dtype().byteSize()), null);

    // Quantized GEMMs (dev.tessera.kernels.quant): y [M, N] = x [M, K] · Wᵀ with the weight W [N, K] quantized
    // and x quantized too for INT8 and FP8 (before the timing: the GEMM alone is timed), y in --dtype (f16 or
    // bf16); 2·M·N·K operations; M = N = K, or the problems of --shapes / --sweep, as matmul.

    private static KernelBench gemm(String name, String description) {
        return new KernelBench(name, description, "M=N=K", pow2(7, 8), new long[] {1024, 2048, 4096, 8192}, KernelBench::matmulDims,
                KernelBench::matmulMetric, null, true);
    }

    public static final KernelBench INT8_GEMM = gemm("int8-gemm",
            "y = (A.Wt) sa sb: A int8 per row, W [N, K] int8 per row, s8 x s8 -> s32 on the tensor cores, y in --dtype");

    public static final KernelBench W8A16_GEMM = gemm("w8a16-gemm", "y = x.Wt: x in --dtype, W [N, K] int8 per row, dequantized on the fly");

    public static final KernelBench NF4_GEMM = gemm("nf4-gemm", "y = x.Wt: x in --dtype, W [N, K] in NF4 (f32 absmax), tiles dequantized into the dot");

    public static final KernelBench FP8_GEMM = gemm("fp8-gemm",
            "y = A.Wt in e4m3, A in 1x128 tiles and W [N, K] in 128x128 blocks of f32 scales (DeepSeek-V3), y in --dtype");

    public static final KernelBench FP8_GEMM_TENSOR = gemm("fp8-gemm-tensor",
            "y = A.Wt in e4m3 with one f32 scale each (torch._scaled_mm's per-tensor case), accumulated on the tensor cores, y in --dtype");

    /** Every kernel benchmark, in the order {@code tessera bench --list} shows them. */

    // Flash attention (dev.tessera.kernels.attention) as FlashAttention-2's paper measures it: B·N = 16k
    // tokens (256 on the CPU), hidden size H·D = 2048, FLOPs 4·B·N²·H·D for the two products of the
    // forward pass, halved when causal; the backward pass counts 2.5 times that (its five products).

    public static final KernelBench ATTENTION = new KernelBench("attention",
            "flash attention forward, q, k, v (B, H, N, D) with B·N = 16k, H·D = 2048 (--head-dim, --causal)", "N",
            new long[] {64, 128}, pow2(10, 14), KernelBench::attentionDims,
            s -> attentionMetric(s, 1.0), FlashAttention.FORWARD_TUNER);

    /** The forward pass with k and v read through tensor descriptors (TMA into wgmma's slots on Hopper), at its fixed blocking. */
    public static final KernelBench ATTENTION_DESCRIPTORS = new KernelBench("attention-descriptors",
            "flash attention forward as attention, k and v read through tensor descriptors (TMA on Hopper), the default blocking", "N",
            new long[] {64, 128}, pow2(10, 14), KernelBench::attentionDims,
            s -> attentionMetric(s, 1.0), null);

    public static final KernelBench ATTENTION_BACKWARD = new KernelBench("attention-backward",
            "flash attention backward (dQ, dK, dV) of the same problems (--atomic-dq: dQ by f32 atomics instead of the default's programs of its own)", "N",
            new long[] {64, 128}, pow2(10, 14), KernelBench::attentionDims,
            s -> attentionMetric(s, 2.5), null);

    /** The backward pass with q and dO (and dQ's k and v) read through tensor descriptors, at its fixed blocking. */
    public static final KernelBench ATTENTION_BACKWARD_DESCRIPTORS = new KernelBench("attention-backward-descriptors",
            "flash attention backward as attention-backward, the blocks each pass walks read through tensor descriptors (TMA on Hopper)", "N",
            new long[] {64, 128}, pow2(10, 14), KernelBench::attentionDims,
            s -> attentionMetric(s, 2.5), null);

    /** (B, H, N, D) at N = x. */
    private static long[] attentionDims(long x, BenchSettings s) {
        long tokens = isCpu(s.device()) ? 256 : 16384;
        return new long[] {Math.max(1, tokens / x), 2048 / s.headDim(), x, s.headDim()};
    }

    private static Metric attentionMetric(BenchSettings s, double passes) {
        java.util.function.LongToDoubleFunction flops = x -> {
            long[] d = attentionDims(x, s);
            return passes * 4.0 * d[0] * d[1] * d[2] * d[2] * d[3] * (s.causal() ? 0.5 : 1);
        };
        return isCpu(s.device()) ? Metric.gflops(flops) : Metric.tflops(flops);
    }

    // Flash-decoding (dev.tessera.kernels.attention.FlashDecoding): one new token of each of B sequences
    // over a KV cache of N positions, a Llama-3-8B-like layer (Hq 32, Hkv 8); memory-bound, so GB/s of
    // the cache's keys and values, each read once (q and the output are less than 0.1% of it).

    /** Query and key/value heads of the decoding benchmark. */
    public static final int DECODE_HEADS = 32, DECODE_KV_HEADS = 8;

    public static final KernelBench ATTENTION_DECODE = new KernelBench("attention-decode",
            "flash-decoding, one query a sequence over a KV cache (B, N, Hkv, D) of N positions: B = --batch, Hq 32, Hkv 8, D = --head-dim; GB/s of the cache", "N",
            new long[] {1024, 4096}, new long[] {4096, 16384, 65536},
            (x, s) -> new long[] {s.batch(), DECODE_HEADS, DECODE_KV_HEADS, x, s.headDim()},
            s -> Metric.gbps(x -> 2.0 * s.batch() * DECODE_KV_HEADS * x * s.headDim() * s.dtype().byteSize()), null);

    /** Every kernel benchmark, in the order {@code tessera bench --list} shows them. */
    public static final List<KernelBench> ALL = List.of(VECTOR_ADD, SOFTMAX, LAYER_NORM, RMS_NORM, MATMUL, MATMUL_DESCRIPTORS, MATMUL_PERSISTENT, GEMV, ATTENTION, ATTENTION_DESCRIPTORS, ATTENTION_BACKWARD, ATTENTION_BACKWARD_DESCRIPTORS, ATTENTION_DECODE, CROSS_ENTROPY,
            FUSED_LINEAR_CROSS_ENTROPY, LORA_MLP, INT8_QUANTIZE, FP8_QUANTIZE, NF4_DEQUANTIZE, NF4_GEMV, Q4_0_DEQUANTIZE, Q4_0_GEMV, Q8_0_GEMV,
            INT8_GEMM, W8A16_GEMM, NF4_GEMM, FP8_GEMM, FP8_GEMM_TENSOR);

    /** The benchmark named {@code name} ({@code "softmax"}, {@code "vector-add"}; {@code _} and case are ignored). */
    public static KernelBench named(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        if (n.equals("vector_add") || n.equals("vectoradd") || n.equals("add")) n = "vector-add";
        if (n.equals("layernorm")) n = "layer-norm";
        if (n.equals("rmsnorm")) n = "rms-norm";
        if (n.equals("crossentropy") || n.equals("ce")) n = "cross-entropy";
        if (n.equals("fused-linear-ce") || n.equals("flce") || n.equals("linear-cross-entropy")) n = "fused-linear-cross-entropy";
        if (n.equals("lora")) n = "lora-mlp";
        for (KernelBench k : ALL) if (k.name.replace('_', '-').equals(n)) return k;   // q4_0-gemv, q4-0-gemv
        throw new IllegalArgumentException("no kernel benchmark named '" + name + "'; choose one of "
                + ALL.stream().map(KernelBench::name).toList());
    }

    static boolean isCpu(Device d) { return d.backend().equals("cpu"); }

    private static long[] pow2(int from, int to) {
        long[] xs = new long[to - from + 1];
        for (int i = from; i <= to; i++) xs[i - from] = 1L << i;
        return xs;
    }

    public String name() { return name; }

    public String description() { return description; }

    /** The name of the swept size in tables and on the x axis. */
    public String xName() { return xName; }

    /** Whether this is a matrix multiplication (of MxNxK problems: --shapes, --sweep and --config apply). */
    public boolean isGemm() { return gemm; }

    /** The matmul through tensor descriptors, persistent or not: A@B or A@W.T, 16-bit, the matmul's peers. */
    public boolean isMatmulThroughDescriptors() { return this == MATMUL_DESCRIPTORS || this == MATMUL_PERSISTENT; }

    /** As {@link #xName()}, but {@code #} where x numbers a list of matmul shapes. */
    public String xName(BenchSettings s) { return gemm && !s.shapes().isEmpty() ? "#" : xName; }

    /** The swept x values of a run that lists its matmul shapes (1 … n), or null when it does not. */
    public long[] listedSizes(BenchSettings s) {
        if (!gemm || s.shapes().isEmpty()) return null;
        return java.util.stream.LongStream.rangeClosed(1, s.shapes().size()).toArray();
    }

    /**
     * Fields every results record of the run carries besides the standard ones: for matmul the
     * operand layout, {@code "A@B"} (B [K, N] row-major) or {@code "A@W.T"} (B given as W [N, K]
     * row-major, transposed: what {@code nn.Linear} computes), as bench/peers/peers.py names it;
     * the quantized GEMMs always multiply by a weight's transpose; for attention whether it is
     * causal (and for the backward pass whether dQ is deterministic).
     */
    public java.util.Map<String, Object> recordFields(BenchSettings s) {
        if (gemm && this != MATMUL && !isMatmulThroughDescriptors()) return java.util.Map.of("layout", "A@W.T");
        if (this == ATTENTION || this == ATTENTION_DESCRIPTORS) return java.util.Map.of("causal", s.causal());
        if (this == ATTENTION_BACKWARD || this == ATTENTION_BACKWARD_DESCRIPTORS) {
            return java.util.Map.of("causal", s.causal(), "deterministic", s.deterministic());
        }
        if (this != MATMUL && !isMatmulThroughDescriptors()) return java.util.Map.of();
        return java.util.Map.of("layout", s.bTransposed() ? "A@W.T" : "A@B");
    }

    /** Default sizes: small enough for a 2-core CPU in a minute or two, or the GPU sweep. */
    public long[] defaultSizes(Device d) { return (isCpu(d) ? cpuSizes : gpuSizes).clone(); }

    public long[] dims(long x, BenchSettings s) { return dims.at(x, s); }

    /** The shape label at x, e.g. {@code "4096x1024"}. */
    public String shape(long x, BenchSettings s) {
        return String.join("x", Arrays.stream(dims(x, s)).mapToObj(Long::toString).toList());
    }

    public Metric metric(BenchSettings s) { return metric.of(s); }

    /** The library autotuner of this kernel's Tessera implementation, if it has one. */
    public Optional<Autotuner> tuner() { return Optional.ofNullable(tuner); }

    @Override
    public String toString() { return name; }
}
