package dev.tessera.kernels.quant;

import static dev.tessera.kernels.quant.QuantSupport.*;
import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.kernels.matmul.MatmulKernel;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.runtime.TensorDescriptor;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import dev.tessera.lang.Precision;

/**
 * FP8 quantization of a matrix with f32 scales, at the four granularities FP8 inference uses:
 * one scale per tensor, per row, per 1×128 tile of a row (activations, as DeepSeek-V3 quantizes
 * them) and per 128×128 block (weights).
 *
 * <p>Each scale block gets {@code scale = amax / 448} for e4m3 ({@code amax / 57344} for e5m2),
 * and its values {@code q = fp8(x / scale)}: the division correctly rounded in f32, then Tessera's
 * conversion, which rounds to nearest even and saturates to ±448 (±57344) — the OCP FP8
 * specification's saturating mode, identical on the CPU and on GPUs. torch's
 * {@code x.to(torch.float8_e4m3fn)} differs there: it has no saturation, so a quotient that rounds
 * past the largest finite value (|v| ≥ 464 for e4m3fn, ≥ 61440 for e5m2) becomes NaN (e4m3fn) or
 * infinity (e5m2) where Tessera gives ±448 (±57344). With scale = amax / 448 the quotients stay
 * within range by construction, so the two agree on finite inputs; they part only on infinities
 * and on scales chosen elsewhere.
 *
 * <p>Edge values: an all-zero block has scale 0 and quantizes to zeros; NaN is left out of the
 * amax and stays NaN; an infinity makes its block's scale infinite, so its finite values quantize
 * to 0 and the infinity to NaN (∞/∞). Dequantization gives {@code fp8 · scale} in f32, rounded
 * once to f32, f16 or bf16.
 */
public final class Fp8 {
    private Fp8() {}

    /** Which values share a scale: rows × columns of one scale block ({@code 0} for the whole dimension). */
    public enum Scaling {
        TENSOR(0, 0), ROW(1, 0), TILE_1X128(1, 128), BLOCK_128X128(128, 128);

        final int rows, cols;

        Scaling(int rows, int cols) {
            this.rows = rows;
            this.cols = cols;
        }

        /** Rows of x a scale block spans (all of them where 0). */
        int blockRows(int m) { return rows == 0 ? Math.max(m, 1) : rows; }

        int blockCols(int n) { return cols == 0 ? Math.max(n, 1) : cols; }
    }

    /**
     * A quantized matrix: {@code values} fp8 [M, N] and {@code scales} f32 [ceil(M / block rows),
     * ceil(N / block columns)] ([1, 1] per tensor, [M, 1] per row, [M, ceil(N/128)] for 1×128 tiles,
     * [ceil(M/128), ceil(N/128)] for 128×128 blocks); x ≈ values · scale of their block.
     */
    public record Quantized(Tensor values, Tensor scales, Scaling scaling) implements AutoCloseable {
        public Quantized {
            if (!values.dtype().isFp8()) throw new IllegalArgumentException("FP8 values must be fp8e4m3 or fp8e5m2, not " + values.dtype());
            requireRank("FP8 values", values, 2);
            requireContiguous("FP8 values", values);
            requireDtype("FP8 scales", scales, DType.F32);
            int m = (int) values.shape(0), n = (int) values.shape(1);
            requireShape("FP8 scales", scales, cdiv(m, scaling.blockRows(m)), cdiv(n, scaling.blockCols(n)));
            requireSameDevice("FP8 scales", scales, values);
        }

        @Override
        public void close() {
            values.close();
            scales.close();
        }
    }

    /** Tiles of every FP8 kernel: 32 rows of 128 columns, so a tile never spans two column blocks. */
    static final int TR = 32, TC = 128;

    // ------------------------------------------------------------------ kernels

    /**
     * Each tile's amax per row, folded into its scale block's amax with an atomic max (amax starts
     * at 0): every granularity with one kernel, as a tile row lies in one scale block.
     */
    @Kernel
    static void amax(Tile x, Tile amax, Tile m, Tile n, Tile blockRows, Tile blockCols, Tile scaleCols) {
        Tile rows = programId(0).mul(TR).add(arange(0, TR)), cols = programId(1).mul(TC).add(arange(0, TC));
        Tile mask = rows.col().lt(m).and(cols.row().lt(n));
        Tile v = abs(load(x.add(rows.to(I64).mul(n).col()).add(cols.row()), mask, 0.0).to(F32));
        Tile block = rows.div(blockRows).mul(scaleCols).add(programId(1).mul(TC).div(blockCols));
        atomicMax(amax.add(block), max(v, 1), rows.lt(m));
    }

    /** q = fp8(x / scale) for a tile; the tiles at the top-left corner of a scale block write its scale. */
    @Kernel
    static void quantize(Tile x, Tile amax, Tile q, Tile scales, Tile m, Tile n, Tile blockRows, Tile blockCols, Tile scaleCols,
                         Tile fp8Max) {
        Tile rows = programId(0).mul(TR).add(arange(0, TR)), cols = programId(1).mul(TC).add(arange(0, TC));
        Tile col0 = programId(1).mul(TC);
        Tile block = rows.div(blockRows).mul(scaleCols).add(col0.div(blockCols));
        Tile scale = divRn(load(amax.add(block), rows.lt(m), 0.0), fp8Max);
        Tile corner = rows.lt(m).and(rows.rem(blockRows).eq(0)).and(col0.rem(blockCols).eq(0));
        store(scales.add(block), scale, corner);
        Tile offsets = rows.to(I64).mul(n).col().add(cols.row());
        Tile mask = rows.col().lt(m).and(cols.row().lt(n));
        Tile v = load(x.add(offsets), mask, 0.0).to(F32);
        store(q.add(offsets), divRn(v, where(scale.eq(0.0), 1.0, scale).col()).to(q.elementType()), mask);
    }

    /** out = fp8 · scale of the value's block, rounded once to out's dtype. */
    @Kernel
    static void dequantize(Tile q, Tile scales, Tile out, Tile m, Tile n, Tile blockRows, Tile blockCols, Tile scaleCols) {
        Tile rows = programId(0).mul(TR).add(arange(0, TR)), cols = programId(1).mul(TC).add(arange(0, TC));
        Tile block = rows.div(blockRows).mul(scaleCols).add(programId(1).mul(TC).div(blockCols));
        Tile scale = load(scales.add(block), rows.lt(m), 0.0);
        Tile offsets = rows.to(I64).mul(n).col().add(cols.row());
        Tile mask = rows.col().lt(m).and(cols.row().lt(n));
        store(out.add(offsets), load(q.add(offsets), mask, 0.0).to(F32).mul(scale.col()), mask);
    }

    /**
     * DeepSeek-V3's block-scaled FP8 GEMM: y = A·Wᵀ for A fp8 [M, K] with a scale per 1×128 tile
     * ({@code sa} [M, kBlocks]) and W fp8 [N, K] with a scale per 128×128 block ({@code sw}
     * [ceil(N/128), kBlocks]). BK divides 128, so a K step lies in one scale block: its dot starts
     * from zero on the tensor cores, and is scaled by its rows' and columns' scales as it is added
     * to the f32 accumulator. Summing at most 128 products before each promotion bounds what an
     * accumulation narrower than f32 inside the tensor cores can lose (DeepSeek-V3 measured about
     * 14 bits kept in Hopper's FP8 sums, and promotes every 128 for that reason), so the dot allows
     * that accumulation ({@code FAST_ACCUMULATION}: wgmma on sm_90a). BN divides 128 too, so a
     * program's columns lie in one weight block: its scale is one number a step, and each promotion
     * is one fma an element with the rows' scales (an outer product of both scales took a [BM, BN]
     * tile of registers and a multiply an element more).
     */
    @Kernel
    static void matmulBlockScaled(Tile a, Tile w, Tile sa, Tile sw, Tile y, Tile m, Tile n, Tile k, Tile kBlocks,
                                  @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP) {
        Tile[] tile = groupedTile(m, n, BM, BN, GROUP);
        Tile rm = tile[0].mul(BM).add(arange(0, BM)), rn = tile[1].mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Var aPtr = var(a.add(rm.col().mul(k)).add(rk.row()));
        Var wPtr = var(w.add(rk.col()).add(rn.row().mul(k)));                      // Wᵀ's [BK, BN] tile
        Tile aScales = sa.add(rm.mul(kBlocks)), wScales = sw.add(tile[1].mul(BN).div(BLOCK).mul(kBlocks));
        Var acc = var(zeros(F32, BM, BN));
        for (Tile step : range(0, cdiv(k, BK))) {
            Tile left = k.sub(step.mul(BK));
            Tile at = load(aPtr.get(), rm.col().lt(m).and(rk.row().lt(left)), 0.0);
            Tile wt = load(wPtr.get(), rk.col().lt(left).and(rn.row().lt(n)), 0.0);
            Tile kb = step.mul(BK).div(BLOCK);
            Tile scale = load(aScales.add(kb), rm.lt(m), 0.0).mul(load(wScales.add(kb)));   // [BM]: the rows' scales times the block's
            acc.set(fma(dot(at, wt, null, Precision.FAST_ACCUMULATION), scale.col(), acc.get()));
            aPtr.set(aPtr.get().add(BK));
            wPtr.set(wPtr.get().add(BK));
        }
        store(y.add(rm.col().mul(n)).add(rn.row()), acc.get(), rm.col().lt(m).and(rn.row().lt(n)));
    }

    /**
     * {@link #matmulBlockScaled} with A and W read through tensor descriptors: on sm_90a each K
     * step's blocks are copied by TMA into wgmma's slots, W's [BN, BK] block landing K-major, the
     * only order wgmma reads 8-bit operands in (elsewhere the descriptors are masked loads). The
     * product of a step is in the accumulators' layout and each row's scale is loaded in their rows'
     * layout (no shared memory, no barrier in the loop); the promotion waits for its own wgmma only.
     */
    @Kernel
    static void matmulBlockScaledThroughDescriptors(TensorDesc a, TensorDesc w, Tile sa, Tile sw, Tile y, Tile m, Tile n, Tile k, Tile kBlocks,
                                                    @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP,
                                                    @Constexpr int UNROLL) {
        Tile[] tile = groupedTile(m, n, BM, BN, GROUP);
        Tile pm = tile[0].mul(BM), pn = tile[1].mul(BN);
        Tile rm = pm.add(arange(0, BM)), rn = pn.add(arange(0, BN));
        Tile aScales = sa.add(rm.mul(kBlocks)), wScales = sw.add(pn.div(BLOCK).mul(kBlocks));
        Var acc = var(zeros(F32, BM, BN));
        for (Tile step : range(0, cdiv(k, BK * UNROLL))) {
            // UNROLL K steps' products issued before the first is promoted: the tensor cores multiply the
            // next while the FMAs scale one (a step past K reads zeros from TMA and scales of 0)
            Tile[] products = new Tile[UNROLL], scales = new Tile[UNROLL];
            for (int u = 0; u < UNROLL; u++) {
                Tile k0 = step.mul(BK * UNROLL).add(u * BK), kb = k0.div(BLOCK), inK = kb.lt(kBlocks);
                scales[u] = load(aScales.add(kb), rm.lt(m).and(inK), 0.0).mul(load(wScales.add(kb), inK, 0.0));
                products[u] = dot(load(a, pm, k0), trans(load(w, pn, k0)), null, Precision.FAST_ACCUMULATION);
            }
            for (int u = 0; u < UNROLL; u++) acc.set(fma(products[u], scales[u].col(), acc.get()));
        }
        store(y.add(rm.col().mul(n)).add(rn.row()), acc.get(), rm.col().lt(m).and(rn.row().lt(n)));
    }

    /**
     * y = (sa·sw)·A·Wᵀ for A fp8 [M, K] and W fp8 [N, K] with one scale each ({@code sa}, {@code sw}
     * [1, 1]), through tensor descriptors: the products accumulate in place on the tensor cores over
     * all of K ({@code FAST_ACCUMULATION}, what torch._scaled_mm does with use_fast_accum=True), and
     * the scales multiply the tile once, in the epilogue. PERSISTENT: a program a multiprocessor
     * walks the tiles t = program, program + programs, ... (as {@code Matmul}'s persistent kernel).
     */
    @Kernel
    static void matmulTensorScaled(TensorDesc a, TensorDesc w, Tile sa, Tile sw, Tile y, Tile m, Tile n, Tile k,
                                   @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP, @Constexpr boolean PERSISTENT) {
        if (!PERSISTENT) {
            tensorScaledTile(a, w, sa, sw, y, m, n, k, programId(0), BM, BN, BK, GROUP);
            return;
        }
        for (Tile t : range(programId(0), cdiv(m, BM).mul(cdiv(n, BN)), numPrograms(0))) tensorScaledTile(a, w, sa, sw, y, m, n, k, t, BM, BN, BK, GROUP);
    }

    /** Output tile {@code t} (grouped order) of the per-tensor GEMM: the matmul's K loop through descriptors, its product scaled and stored masked. */
    private static void tensorScaledTile(TensorDesc a, TensorDesc w, Tile sa, Tile sw, Tile y, Tile m, Tile n, Tile k, Tile t,
                                         int BM, int BN, int BK, int GROUP) {
        Tile[] tile = MatmulKernel.groupedTile(t, m, n, BM, BN, GROUP);
        Tile pm = tile[0].mul(BM), pn = tile[1].mul(BN);
        Tile acc = MatmulKernel.descriptorProduct(a, w, pm, pn, k, BM, BN, BK, true, Precision.FAST_ACCUMULATION);
        Tile rm = pm.add(arange(0, BM)), rn = pn.add(arange(0, BN));
        store(y.add(rm.col().mul(n)).add(rn.row()), acc.mul(load(sa).mul(load(sw))), rm.col().lt(m).and(rn.row().lt(n)));
    }

    static final JitKernel AMAX = Jit.kernel(Fp8.class, "amax");
    static final JitKernel QUANTIZE = Jit.kernel(Fp8.class, "quantize");
    static final JitKernel DEQUANTIZE = Jit.kernel(Fp8.class, "dequantize");
    static final JitKernel MATMUL_BLOCK_SCALED = Jit.kernel(Fp8.class, "matmulBlockScaled");
    static final JitKernel MATMUL_BLOCK_SCALED_DESCRIPTORS = Jit.kernel(Fp8.class, "matmulBlockScaledThroughDescriptors");
    static final JitKernel MATMUL_TENSOR_SCALED = Jit.kernel(Fp8.class, "matmulTensorScaled");

    /** The side of the GEMM's scale blocks: 1×128 activation tiles, 128×128 weight blocks. */
    static final int BLOCK = 128;

    /**
     * The blocking of the block-scaled GEMM through pointers unless told otherwise: K steps of a
     * whole scale block, on one warpgroup, so that two programs share a multiprocessor and one's
     * promotion runs while the other's wgmma does (H200, e4m3, 4096³ / 8192³: 318.3 / 327.8
     * TFLOP/s, 128x128 tiles on 8 warps 302.3 / 318.7, K steps of 64 under 190; on an H100 once the
     * product stayed in the accumulators' layout, 673.2 / 690.0).
     */
    public static final GemmConfig GEMM_CONFIG = new GemmConfig(64, 128, 128, 8, 4, 3);

    /**
     * The block-scaled GEMM's blocking through descriptors: 128×128 tiles on two warpgroups, a scale
     * block a step (H100, e4m3, 4096³ / 8192³: 781.8 / 808.0 TFLOP/s; 3 stages 781.3 / 812.0; 64×128
     * on one warpgroup 663.5 / 661.1).
     */
    public static final GemmConfig DESCRIPTOR_GEMM_CONFIG = new GemmConfig(128, 128, 128, 8, 8, 4);

    /**
     * K steps a loop iteration of the block-scaled GEMM through descriptors: 1 until the two-step
     * loop (-Dtessera.fp8.unroll=2, 3 stages) is timed on a GPU (bench/NOTES.md); read once, not at
     * every launch.
     */
    static final int BLOCK_SCALED_UNROLL = Integer.getInteger("tessera.fp8.unroll", 1);

    /**
     * The per-tensor GEMM's blocking (through descriptors): 128×256 tiles on two warpgroups, 128 deep,
     * 4 stages (H100, e4m3, 4096³ / 8192³: 1211.2 / 1251.5 TFLOP/s, torch._scaled_mm 1248 / 1230 in
     * the same run; 3 stages 912.7 / 971.3; 128×128 and 256×128 tiles 888–965).
     */
    public static final GemmConfig TENSOR_GEMM_CONFIG = new GemmConfig(128, 256, 128, 8, 8, 4);

    /** The launch helper of this family: a grid of [32, 128] tiles, 4 warps. */
    private static void launch(JitKernel kernel, int m, int n, Object... args) {
        Grid g = grid(cdiv(m, TR), cdiv(n, TC));
        kernel.withOptions(4, 1).launch(g, args);
    }

    // ------------------------------------------------------------------ host API

    /** The largest finite value of an FP8 type: 448 (e4m3) or 57344 (e5m2). */
    public static double largest(DType fp8) {
        if (!fp8.isFp8()) throw new IllegalArgumentException(fp8 + " is not an FP8 type");
        return Numerics.maxFinite(fp8);
    }

    /**
     * x [M, N] (or [N], taken as one row; f32, f16 or bf16, contiguous) quantized to {@code fp8}
     * (fp8e4m3 or fp8e5m2) with f32 scales of the given granularity.
     */
    public static Quantized quantize(Tensor x, DType fp8, Scaling scaling) {
        largest(fp8);
        int[] mn = checkInput(x);
        int sr = cdiv(mn[0], scaling.blockRows(mn[0])), sc = cdiv(mn[1], scaling.blockCols(mn[1]));
        Quantized out = new Quantized(Tensor.empty(fp8, x.device(), mn[0], mn[1]), Tensor.empty(DType.F32, x.device(), sr, sc), scaling);
        quantize(x, out);
        return out;
    }

    /** x quantized into {@code out}: its values' dtype is the FP8 format, its scaling the granularity. */
    public static void quantize(Tensor x, Quantized out) {
        int[] mn = checkInput(x);
        int m = mn[0], n = mn[1];
        requireShape("out values", out.values(), m, n);
        requireSameDevice("out values", out.values(), x);
        Scaling s = out.scaling();
        int br = s.blockRows(m), bc = s.blockCols(n), sc = (int) out.scales().shape(1);
        try (Tensor amax = Tensor.zeros(DType.F32, x.device(), out.scales().shape())) {
            launch(AMAX, m, n, x, amax, m, n, br, bc, sc);
            launch(QUANTIZE, m, n, x, amax, out.values(), out.scales(), m, n, br, bc, sc, (float) largest(out.values().dtype()));
        }
    }

    /** The values back as {@code dtype} (f32, f16 or bf16), [M, N]. */
    public static Tensor dequantize(Quantized q, DType dtype) {
        requireFloat("the dequantized dtype", dtype);
        Tensor out = Tensor.empty(dtype, q.values().device(), q.values().shape());
        dequantize(q, out);
        return out;
    }

    /** {@link #dequantize(Quantized, DType)} into {@code out} (f32, f16 or bf16, [M, N], contiguous). */
    public static void dequantize(Quantized q, Tensor out) {
        requireFloat("out", out);
        requireShape("out", out, q.values().shape());
        requireContiguous("out", out);
        requireSameDevice("out", out, q.values());
        int m = (int) q.values().shape(0), n = (int) q.values().shape(1);
        Scaling s = q.scaling();
        launch(DEQUANTIZE, m, n, q.values(), q.scales(), out, m, n, s.blockRows(m), s.blockCols(n), (int) q.scales().shape(1));
    }

    /** {@link #matmul(Quantized, Quantized, Tensor, GemmConfig)} into a new [M, N] tensor of {@code outType}, at the default blocking. */
    public static Tensor matmul(Quantized a, Quantized w, DType outType) {
        requireFloat("the output dtype", outType);
        Tensor y = Tensor.empty(outType, a.values().device(), a.values().shape(0), w.values().shape(0));
        matmul(a, w, y, defaultConfig(a, w));
        return y;
    }

    /**
     * The FP8 GEMM y = A·Wᵀ for A [M, K] and a weight W [N, K] of one FP8 format; y (f32, f16 or
     * bf16, [M, N]) is rounded once:
     * <ul>
     * <li>block-scaled (DeepSeek-V3): A quantized in 1×128 tiles, W in 128×128 blocks; the scales are
     *     applied per K block of 128 to f32 partial sums. {@code cfg.bk()} and {@code cfg.bn()} must
     *     divide 128. Through tensor descriptors where the device copies blocks in hardware (TMA)
     *     and K is a multiple of 16, else through pointers;</li>
     * <li>per tensor: A and W with one scale each; the products accumulate on the tensor cores over
     *     all of K (fewer bits than f32 on Hopper, as torch._scaled_mm's use_fast_accum), scaled
     *     once. Through descriptors, so K must be a multiple of 16.</li>
     * </ul>
     */
    public static void matmul(Quantized a, Quantized w, Tensor y, GemmConfig cfg) {
        if (throughDescriptors(a, w)) matmulThroughDescriptors(a, w, y, cfg);
        else matmulThroughPointers(a, w, y, cfg);
    }

    /** {@link #matmul(Quantized, Quantized, Tensor, GemmConfig)} through tensor descriptors, on any device (K a multiple of 16). */
    public static void matmulThroughDescriptors(Quantized a, Quantized w, Tensor y, GemmConfig cfg) {
        int[] mnk = checkGemm(a, w, y);
        int m = mnk[0], n = mnk[1], k = mnk[2];
        if (!describable(a, w)) {
            throw new IllegalArgumentException("the FP8 GEMM through descriptors needs K a multiple of 16 (rows of 16-byte multiples), got K=" + k);
        }
        TensorDescriptor da = TensorDescriptor.of(a.values(), cfg.bm(), cfg.bk()), dw = TensorDescriptor.of(w.values(), cfg.bn(), cfg.bk());
        if (isPerTensor(a, w)) {
            long tiles = (long) cdiv(m, cfg.bm()) * cdiv(n, cfg.bn()), sms = a.values().device().info().multiprocessors();
            boolean persistent = tiles > sms;
            MATMUL_TENSOR_SCALED.withOptions(cfg.warps(), cfg.stages()).launch(grid(Math.toIntExact(persistent ? sms : tiles)),
                    da, dw, a.scales(), w.scales(), y, m, n, k, cfg.bm(), cfg.bn(), cfg.bk(), cfg.group(), persistent);
        } else {
            checkBlockScaled(a, w, cfg);
            launchGemm(MATMUL_BLOCK_SCALED_DESCRIPTORS, m, n, cfg, da, dw, a.scales(), w.scales(), y, m, n, k, cdiv(k, BLOCK),
                    cfg.bm(), cfg.bn(), cfg.bk(), cfg.group(), BLOCK_SCALED_UNROLL);
        }
    }

    /** The block-scaled {@link #matmul(Quantized, Quantized, Tensor, GemmConfig)} through pointers (masked loads, cp.async on a GPU), any K. */
    public static void matmulThroughPointers(Quantized a, Quantized w, Tensor y, GemmConfig cfg) {
        int[] mnk = checkGemm(a, w, y);
        checkBlockScaled(a, w, cfg);
        int m = mnk[0], n = mnk[1], k = mnk[2];
        launchGemm(MATMUL_BLOCK_SCALED, m, n, cfg, a.values(), w.values(), a.scales(), w.scales(), y, m, n, k, cdiv(k, BLOCK),
                cfg.bm(), cfg.bn(), cfg.bk(), cfg.group());
    }

    /** The blocking {@link #matmul(Quantized, Quantized, DType)} uses for these operands. */
    public static GemmConfig defaultConfig(Quantized a, Quantized w) {
        if (isPerTensor(a, w)) return TENSOR_GEMM_CONFIG;
        return throughDescriptors(a, w) ? DESCRIPTOR_GEMM_CONFIG : GEMM_CONFIG;
    }

    /**
     * The route {@link #matmul(Quantized, Quantized, Tensor, GemmConfig)} takes: descriptors for
     * per-tensor operands (their only kernel) and where the device copies blocks in hardware and
     * the rows are describable; else pointers.
     */
    private static boolean throughDescriptors(Quantized a, Quantized w) {
        return isPerTensor(a, w) || (a.values().device().info().tensorCopies() && describable(a, w));
    }

    private static boolean isPerTensor(Quantized a, Quantized w) { return a.scaling() == Scaling.TENSOR && w.scaling() == Scaling.TENSOR; }

    /** Whether A's and W's rows are whole 16-byte units (K a multiple of 16), as a descriptor needs. */
    private static boolean describable(Quantized a, Quantized w) {
        return TensorDescriptor.of(a.values(), 16, 16).valid() && TensorDescriptor.of(w.values(), 16, 16).valid();
    }

    /** M, N and K of the GEMM, once its operands' formats, shapes, devices and output are checked. */
    private static int[] checkGemm(Quantized a, Quantized w, Tensor y) {
        if (a.values().dtype() != w.values().dtype()) {
            throw new IllegalArgumentException("the FP8 GEMM needs A and W in one format, got " + a.values().dtype() + " and " + w.values().dtype());
        }
        int m = (int) a.values().shape(0), k = (int) a.values().shape(1), n = (int) w.values().shape(0);
        if (w.values().shape(1) != k) throw new IllegalArgumentException("FP8 GEMM shapes: A " + a.values() + " · Wᵀ of W " + w.values() + " differ in K");
        if (!isPerTensor(a, w)) {
            if (a.scaling() != Scaling.TILE_1X128) throw new IllegalArgumentException("the FP8 GEMM's A must be quantized in 1x128 tiles (or both per tensor), not " + a.scaling());
            if (w.scaling() != Scaling.BLOCK_128X128) throw new IllegalArgumentException("the FP8 GEMM's W must be quantized in 128x128 blocks (or both per tensor), not " + w.scaling());
        }
        requireSameDevice("W", w.values(), a.values());
        requireGemmOut(y, m, n, a.values());
        requireGemmSize(m, n, k);
        return new int[] {m, n, k};
    }

    private static void checkBlockScaled(Quantized a, Quantized w, GemmConfig cfg) {
        if (isPerTensor(a, w)) throw new IllegalArgumentException("the FP8 GEMM through pointers is block-scaled; per-tensor operands go through descriptors");
        if (cfg.bk() > BLOCK) throw new IllegalArgumentException("the FP8 GEMM's K step must divide 128 (one scale block a step), got BK=" + cfg.bk());
        if (BLOCK % cfg.bn() != 0) throw new IllegalArgumentException("the FP8 GEMM's column tile must divide 128 (one weight block a tile), got BN=" + cfg.bn());
    }

    /** [M, N] of a contiguous f32/f16/bf16 matrix, or [1, N] of a vector. */
    private static int[] checkInput(Tensor x) {
        requireFloat("x", x);
        requireContiguous("x", x);
        if (x.rank() != 1 && x.rank() != 2) throw new IllegalArgumentException("x must be a matrix or a vector, got " + x);
        return new int[] {x.rank() == 1 ? 1 : intSize("rows", x.shape(0)), intSize("columns", x.shape(-1))};
    }
}
