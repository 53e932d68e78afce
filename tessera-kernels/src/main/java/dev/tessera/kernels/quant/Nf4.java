package dev.tessera.kernels.quant;

import static dev.tessera.kernels.quant.QuantSupport.*;
import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * NF4, the 4-bit NormalFloat of QLoRA (Dettmers et al., 2023), bit for bit as bitsandbytes
 * quantizes and dequantizes it.
 *
 * <p>The tensor is taken flat, in blocks of 64 values. Each block keeps its absmax (f32) and each
 * value the index of the nearest of 16 codes ({@link #CODE}: quantiles of a normal distribution
 * scaled to [-1, 1], with an exact 0) to {@code x · (1 / absmax)}. "Nearest" is decided as
 * bitsandbytes' decision tree does: the code index is the number of midpoints between neighbouring
 * codes ({@link #THRESHOLDS}, f32, bitsandbytes' constants) that the scaled value is strictly above, so a value on a
 * midpoint takes the lower code and NaN takes code 0. Two indices share a byte, the first element
 * in the high nibble; an odd-length tensor's last low nibble holds the code of 0 (the padding is
 * quantized as a zero). An all-zero block has absmax 0, its values scale to 0·∞ = NaN and take code
 * 0: it dequantizes to -0.0, as in bitsandbytes.
 *
 * <p>Double quantization stores the absmax values in 8 bits: their mean ({@code offset}) is taken
 * off, and the centered values are quantized in blocks of 256 with bitsandbytes' signed dynamic
 * map ({@link #dynamicMap()}): one f32 absmax per 256, and per value the index the bitsandbytes
 * binary search over the map finds (ties at midpoints going to the even index). Dequantizing
 * gives {@code code[q] · absmax2 + offset} per block. The offset is the mean computed in f64 and
 * rounded once; torch's f32 {@code mean} can differ from it in the last bit, and everything after
 * the offset is bit-exact. All of it stays on the device: nothing is read back to the host.
 *
 * <p>Dequantization gives {@code CODE[q] · absmax} in f32, rounded once to f32, f16 or bf16. The
 * batch-1 GEMV (decode) {@code y = W·x} reads W's 4-bit codes and dequantizes them on the fly: it
 * moves a quarter of the bytes of a bf16 GEMV (plus 1/16 for f32 absmax, or 1/64 double-quantized),
 * which is what makes 4-bit decoding fast where memory bandwidth bounds it.
 */
public final class Nf4 {
    private Nf4() {}

    /** Values per absmax. */
    public static final int BLOCK = 64;

    /** Absmax values per second-level scale in double quantization. */
    public static final int NESTED_BLOCK = 256;

    /** The 16 NF4 values as f32, in code order (QLoRA's appendix, bitsandbytes' table). */
    public static final float[] CODE = {
            -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
            0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
            0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

    /**
     * The 15 decision thresholds: the midpoints of neighbouring codes as bitsandbytes' decision tree
     * writes them, the shortest decimal of each f64 midpoint, read as f32 by the compiler. An exact
     * midpoint of two f32 values is often a tie between two f32 values; the decimal is not, and for
     * thresholds 0, 8, 12 and 14 it rounds the other way than ties-to-even would, so these are the
     * published constants rather than computed midpoints.
     */
    public static final float[] THRESHOLDS = {
            -0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f, -0.33967943489551544f, -0.23460740596055984f,
            -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f, 0.1202552504837513f, 0.2035212516784668f,
            0.2920137718319893f, 0.3893125355243683f, 0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f};

    private static final float[] DYNAMIC_MAP = createDynamicMap();

    /**
     * bitsandbytes' signed 8-bit dynamic map ({@code create_dynamic_map()}: 7 exponent levels
     * 10^-6 .. 1, each with 2^i linearly spaced fractions in [0.1, 1], their negatives, 0 and 1;
     * sorted), with torch's float32 arithmetic: {@code linspace(0.1, 1, steps)} as
     * {@code start + step·i} for the first half and {@code end - step·(steps-1-i)} for the second,
     * each a fused multiply-add as torch computes it on AVX2 and AVX-512 CPUs (its non-vectorized
     * {@code ATEN_CPU_CAPABILITY=default} build rounds twice and differs in 42 entries); means of
     * neighbours in f32; times 10^(i-6) rounded to f32.
     */
    public static float[] dynamicMap() { return DYNAMIC_MAP.clone(); }

    private static float[] createDynamicMap() {
        List<Float> values = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            int steps = (1 << i) + 1;
            float start = 0.1f, end = 1.0f, step = (end - start) / (steps - 1);
            float[] bounds = new float[steps];
            for (int k = 0; k < steps; k++) {
                bounds[k] = k < steps / 2 ? Math.fma(step, (float) k, start) : Math.fma(-step, (float) (steps - 1 - k), end);
            }
            float scale = (float) Math.pow(10, i - 6);
            for (int k = 0; k + 1 < steps; k++) {
                float mean = (bounds[k] + bounds[k + 1]) / 2f;
                values.add(scale * mean);
                values.add(-(scale * mean));
            }
        }
        values.add(0f);
        values.add(1f);
        values.sort(null);
        float[] map = new float[values.size()];
        for (int i = 0; i < map.length; i++) map[i] = values.get(i);
        return map;
    }

    // ------------------------------------------------------------------ quantized state

    /** How the block absmax values are kept. */
    public sealed interface Absmax extends AutoCloseable permits Plain, Nested {
        @Override
        void close();
    }

    /** One f32 absmax per block of 64. */
    public record Plain(Tensor values) implements Absmax {
        @Override
        public void close() { values.close(); }
    }

    /**
     * Double quantization: per block of 64 an 8-bit {@code codes} index (u8) into {@code map} (the
     * 256 f32 values of the dynamic map), per 256 blocks an f32 {@code scales} value, and the
     * {@code offset} (f32 [1]) added back: absmax = map[codes[b]] · scales[b / 256] + offset.
     */
    public record Nested(Tensor codes, Tensor map, Tensor scales, Tensor offset) implements Absmax {
        @Override
        public void close() {
            codes.close();
            map.close();
            scales.close();
            offset.close();
        }
    }

    /**
     * An NF4 tensor: {@code packed} u8 [ceil(n/2)], {@code code} the 16 f32 values it indexes (as
     * bitsandbytes' {@code quant_map}), the block absmax, and the original shape and dtype.
     */
    public record Quantized(Tensor packed, Tensor code, Absmax absmax, long[] shape, DType dtype) implements AutoCloseable {
        public Quantized {
            shape = shape.clone();
            long n = elements(shape);
            requireDtype("NF4 packed codes", packed, DType.U8);
            requireShape("NF4 packed codes", packed, (n + 1) / 2);
            requireDtype("the NF4 code table", code, DType.F32);
            requireShape("the NF4 code table", code, 16);
            long blocks = cdiv(n, BLOCK);
            switch (absmax) {
                case Plain p -> {
                    requireDtype("NF4 absmax", p.values(), DType.F32);
                    requireShape("NF4 absmax", p.values(), blocks);
                }
                case Nested d -> {
                    requireDtype("nested NF4 absmax codes", d.codes(), DType.U8);
                    requireShape("nested NF4 absmax codes", d.codes(), blocks);
                    requireDtype("the dynamic map", d.map(), DType.F32);
                    requireShape("the dynamic map", d.map(), 256);
                    requireDtype("nested NF4 absmax scales", d.scales(), DType.F32);
                    requireShape("nested NF4 absmax scales", d.scales(), cdiv(blocks, NESTED_BLOCK));
                    requireDtype("the nested NF4 offset", d.offset(), DType.F32);
                    requireShape("the nested NF4 offset", d.offset(), 1);
                }
            }
        }

        @Override
        public long[] shape() { return shape.clone(); }

        public long numel() { return elements(shape); }

        @Override
        public void close() {
            packed.close();
            code.close();
            absmax.close();
        }
    }

    // ------------------------------------------------------------------ kernels

    /** The NF4 code index of scaled values: how many thresholds they are strictly above (i32). */
    static Tile nf4Index(Tile v) {
        Tile index = zeros(I32, v.shape());
        for (float t : THRESHOLDS) index = index.add(v.gt(t).to(I32));
        return index;
    }

    /** BLOCKS blocks of 64 per program: absmax, then two codes a byte, the first in the high nibble. */
    @Kernel
    static void quantize(Tile x, Tile packed, Tile absmax, Tile n, @Constexpr int BLOCKS) {
        Tile first = programId(0).to(I64).mul(BLOCKS * BLOCK);
        Tile offsets = first.add(arange(0, BLOCKS * BLOCK));
        Tile v = load(x.add(offsets), offsets.lt(n), 0.0).to(F32).reshape(BLOCKS, BLOCK);
        Tile blockMax = max(abs(v), 1);
        Tile blocks = programId(0).to(I64).mul(BLOCKS).add(arange(0, BLOCKS));
        store(absmax.add(blocks), blockMax, blocks.mul(BLOCK).lt(n));
        Tile index = nf4Index(v.mul(divRn(scalar(1.0), blockMax).col()));
        Tile[] pairs = split(index.reshape(BLOCKS * BLOCK / 2, 2));
        Tile bytes = first.div(2).add(arange(0, BLOCKS * BLOCK / 2));
        store(packed.add(bytes), pairs[0].shl(4).or(pairs[1]).to(U8), bytes.mul(2).lt(n));
    }

    /** The mean of n values, accumulated in f64 by one program and rounded once to f32. */
    @Kernel
    static void mean(Tile values, Tile out, Tile n, @Constexpr int CHUNK) {
        Var acc = var(zeros(F64, CHUNK));
        for (Tile start : range(0, n, CHUNK)) {
            Tile offsets = start.add(arange(0, CHUNK));
            acc.set(acc.get().add(load(values.add(offsets), offsets.lt(n), 0.0).to(F64)));
        }
        store(out, sum(acc.get(), 0).div(n.to(F64)));
    }

    /**
     * bitsandbytes' dynamic-map quantizer: a binary search of the sorted map from index 127 in
     * steps 64, 32, ..., 1, then the nearer of the last index and its bracketing neighbour, compared
     * with their f32 midpoint {@code (a + b) · 0.5}.
     */
    static Tile nearestInMap(Tile map, Tile x) {
        int[] shape = x.shape();
        Tile pivot = full(I32, 127L, shape), lowerPivot = zeros(I32, shape), upperPivot = full(I32, 255L, shape);
        Tile lower = full(F32, -1.0, shape), upper = full(F32, 1.0, shape);
        Tile val = load(map.add(pivot));
        for (int step = 64; step > 0; step >>= 1) {
            Tile right = x.gt(val);
            lowerPivot = where(right, pivot, lowerPivot);
            lower = where(right, val, lower);
            upperPivot = where(right, upperPivot, pivot);
            upper = where(right, upper, val);
            pivot = where(right, pivot.add(step), pivot.sub(step));
            val = load(map.add(pivot));
        }
        upper = where(upperPivot.eq(255), load(map.add(255)), upper);
        lower = where(lowerPivot.eq(0), load(map), lower);
        Tile towardsUpper = x.gt(upper.add(val).mul(0.5)), towardsLower = x.lt(lower.add(val).mul(0.5));
        return where(x.gt(val), where(towardsUpper, upperPivot, pivot), where(towardsLower, lowerPivot, pivot));
    }

    /** Double quantization, one program per 256 absmax values: (absmax - offset), its block absmax, its map index. */
    @Kernel
    static void quantizeAbsmax(Tile absmax, Tile map, Tile codes, Tile scales, Tile offset, Tile n) {
        Tile offsets = programId(0).to(I64).mul(NESTED_BLOCK).add(arange(0, NESTED_BLOCK));
        Tile mask = offsets.lt(n);
        Tile v = where(mask, load(absmax.add(offsets), mask, 0.0).sub(load(offset)), 0.0);
        Tile blockMax = max(abs(v), 0);
        store(scales.add(programId(0)), blockMax);
        store(codes.add(offsets), nearestInMap(map, v.mul(divRn(scalar(1.0), blockMax))).to(U8), mask);
    }

    /** The absmax of the blocks {@code blocks} (lanes off in {@code mask} read block 0). */
    @FunctionalInterface
    interface AbsmaxOf {
        Tile at(Tile blocks, Tile mask);
    }

    static AbsmaxOf plain(Tile absmax) { return (blocks, mask) -> load(absmax.add(blocks), mask, 0.0); }

    static AbsmaxOf nested(Tile codes, Tile map, Tile scales, Tile offset) {
        return (blocks, mask) -> {
            Tile index = load(codes.add(blocks), mask, 0L).to(I32);
            return load(map.add(index)).mul(load(scales.add(blocks.div(NESTED_BLOCK)), mask, 0.0)).add(load(offset));
        };
    }

    /** BYTES bytes (2·BYTES values) per program: CODE[q] · absmax, stored as consecutive values. */
    static void dequantize(Tile packed, Tile code, AbsmaxOf absmax, Tile out, Tile n, int BYTES) {
        Tile bytes = programId(0).to(I64).mul(BYTES).add(arange(0, BYTES));
        Tile mask = bytes.mul(2).lt(n);
        Tile b = load(packed.add(bytes), mask, 0L).to(I32);
        Tile scale = absmax.at(bytes.div(BLOCK / 2), mask);
        Tile high = load(code.add(b.shr(4))).mul(scale), low = load(code.add(b.and(15))).mul(scale);
        Tile values = programId(0).to(I64).mul(2 * BYTES).add(arange(0, 2 * BYTES));
        store(out.add(values), join(high, low).reshape(2 * BYTES), values.lt(n));
    }

    @Kernel
    static void dequantizePlain(Tile packed, Tile code, Tile absmax, Tile out, Tile n, @Constexpr int BYTES) {
        dequantize(packed, code, plain(absmax), out, n, BYTES);
    }

    @Kernel
    static void dequantizeNested(Tile packed, Tile code, Tile codes, Tile map, Tile scales, Tile offset, Tile out, Tile n,
                                 @Constexpr int BYTES) {
        dequantize(packed, code, nested(codes, map, scales, offset), out, n, BYTES);
    }

    /**
     * y = W·x for W [M, K] (K even) in NF4 and x [K]: BM rows per program, K walked BK values at a
     * time, each byte's two codes dequantized and multiplied with x's even and odd elements; f32
     * accumulators, one sum per row at the end. A W row is {@code kBytes} = K/2 bytes; the bytes
     * and x are addressed as consecutive runs (x split into its even and odd elements in registers),
     * so that their loads are vectorized.
     */
    static void gemv(Tile w, Tile code, AbsmaxOf absmax, Tile x, Tile y, Tile m, Tile k, Tile kBytes, int BM, int BK) {
        Tile rows = programId(0).mul(BM).add(arange(0, BM));
        Tile rowMask = rows.lt(m);
        Tile rowBytes = rows.to(I64).mul(kBytes);
        Var acc = var(zeros(F32, BM, BK / 2));
        for (Tile start : range(0, k, BK)) {
            Tile cols = start.div(2).add(arange(0, BK / 2));                        // the bytes' columns in W's rows
            Tile bytes = rowBytes.col().add(cols.row());
            Tile mask = rowMask.col().and(cols.row().lt(kBytes));
            Tile b = load(w.add(bytes), mask, 0L).to(I32);
            Tile scale = absmax.at(bytes.div(BLOCK / 2), mask);
            Tile xs = start.add(arange(0, BK));
            Tile[] xPair = split(load(x.add(xs), xs.lt(k), 0.0).to(F32).reshape(BK / 2, 2));   // even, odd elements
            Tile high = load(code.add(b.shr(4))).mul(scale), low = load(code.add(b.and(15))).mul(scale);
            acc.set(acc.get().add(high.mul(xPair[0].row())).add(low.mul(xPair[1].row())));
        }
        store(y.add(rows), sum(acc.get(), 1), rowMask);
    }

    @Kernel
    static void gemvPlain(Tile w, Tile code, Tile absmax, Tile x, Tile y, Tile m, Tile k, Tile kBytes, @Constexpr int BM,
                          @Constexpr int BK) {
        gemv(w, code, plain(absmax), x, y, m, k, kBytes, BM, BK);
    }

    @Kernel
    static void gemvNested(Tile w, Tile code, Tile codes, Tile map, Tile scales, Tile offset, Tile x, Tile y, Tile m, Tile k,
                           Tile kBytes, @Constexpr int BM, @Constexpr int BK) {
        gemv(w, code, nested(codes, map, scales, offset), x, y, m, k, kBytes, BM, BK);
    }

    /**
     * y = x·Wᵀ (prefill) for x [M, K] f16/bf16 row-major and W [N, K] (K even) in NF4: per K step,
     * the W tile's bytes [BN, BK/2] are dequantized in registers (CODE[q] · absmax in f32, the two
     * nibbles interleaved back into [BN, BK], rounded to x's dtype, as {@link #dequantize} would
     * write them) and given, transposed, to the tensor cores' dot with x's tile; f32 accumulators.
     * x's tile goes to the dot straight from its load, so a pipelined loop copies it ahead; W's
     * bytes (a quarter of a 16-bit weight's; {@code kBytes} = K/2 a row) are addressed as
     * consecutive runs, so their loads are vectorized.
     */
    static void matmul(Tile x, Tile w, Tile code, AbsmaxOf absmax, Tile y, Tile m, Tile n, Tile k, Tile kBytes,
                       int BM, int BN, int BK, int GROUP) {
        Tile[] tile = groupedTile(m, n, BM, BN, GROUP);
        Tile rm = tile[0].mul(BM).add(arange(0, BM)), rn = tile[1].mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Tile rowBytes = rn.mul(kBytes);
        Var xPtr = var(x.add(rm.col().mul(k)).add(rk.row()));
        Var acc = var(zeros(F32, BM, BN));
        for (Tile start : range(0, k, BK)) {
            Tile xt = load(xPtr.get(), rm.col().lt(m).and(start.add(rk).row().lt(k)), 0.0);
            Tile cols = start.div(2).add(arange(0, BK / 2));                        // the bytes' columns in W's rows
            Tile bytes = rowBytes.col().add(cols.row());
            Tile mask = rn.col().lt(n).and(cols.row().lt(kBytes));
            Tile b = load(w.add(bytes), mask, 0L).to(I32);
            Tile scale = absmax.at(bytes.div(BLOCK / 2), mask);
            Tile high = load(code.add(b.shr(4))).mul(scale), low = load(code.add(b.and(15))).mul(scale);
            acc.set(dot(xt, interleave(high, low).to(x.elementType()).trans(), acc.get()));
            xPtr.set(xPtr.get().add(BK));
        }
        store(y.add(rm.col().mul(n)).add(rn.row()), acc.get(), rm.col().lt(m).and(rn.row().lt(n)));
    }

    @Kernel
    static void matmulPlain(Tile x, Tile w, Tile code, Tile absmax, Tile y, Tile m, Tile n, Tile k, Tile kBytes,
                            @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP) {
        matmul(x, w, code, plain(absmax), y, m, n, k, kBytes, BM, BN, BK, GROUP);
    }

    @Kernel
    static void matmulNested(Tile x, Tile w, Tile code, Tile codes, Tile map, Tile scales, Tile offset, Tile y, Tile m, Tile n, Tile k,
                             Tile kBytes, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP) {
        matmul(x, w, code, nested(codes, map, scales, offset), y, m, n, k, kBytes, BM, BN, BK, GROUP);
    }

    static final JitKernel QUANTIZE = Jit.kernel(Nf4.class, "quantize");
    static final JitKernel MEAN = Jit.kernel(Nf4.class, "mean");
    static final JitKernel QUANTIZE_ABSMAX = Jit.kernel(Nf4.class, "quantizeAbsmax");
    static final JitKernel DEQUANTIZE_PLAIN = Jit.kernel(Nf4.class, "dequantizePlain");
    static final JitKernel DEQUANTIZE_NESTED = Jit.kernel(Nf4.class, "dequantizeNested");
    static final JitKernel GEMV_PLAIN = Jit.kernel(Nf4.class, "gemvPlain");
    static final JitKernel GEMV_NESTED = Jit.kernel(Nf4.class, "gemvNested");
    static final JitKernel MATMUL_PLAIN = Jit.kernel(Nf4.class, "matmulPlain");
    static final JitKernel MATMUL_NESTED = Jit.kernel(Nf4.class, "matmulNested");

    /** Blocks of 64 per quantize program, bytes per dequantize program, the GEMV's rows and K step. */
    static final int QUANTIZE_BLOCKS = 16, DEQUANTIZE_BYTES = 1024, GEMV_ROWS = 8, GEMV_K = 512, MEAN_CHUNK = 1024;

    /** The launch helper of this family: 4 warps, one stage (nothing here is pipelined). */
    private static void launch(JitKernel kernel, Grid grid, Object... args) {
        kernel.withOptions(4, 1).launch(grid, args);
    }

    // ------------------------------------------------------------------ host API

    /** NF4 of x (f32, f16 or bf16, contiguous, any shape) with f32 absmax, as bitsandbytes' {@code quantize_4bit(x, quant_type="nf4")}. */
    public static Quantized quantize(Tensor x) { return quantize(x, false); }

    /** NF4 of x (f32, f16 or bf16, contiguous, any shape); with {@code doubleQuant}, the absmax double-quantized ({@code compress_statistics=True}). */
    public static Quantized quantize(Tensor x, boolean doubleQuant) {
        requireFloat("x", x);
        long n = x.numel();
        if (n == 0) throw new IllegalArgumentException("cannot quantize an empty tensor " + x);
        long blocks = cdiv(n, BLOCK);
        var d = x.device();
        Absmax absmax = doubleQuant
                ? new Nested(Tensor.empty(DType.U8, d, blocks), table(DYNAMIC_MAP, x), Tensor.empty(DType.F32, d, cdiv(blocks, NESTED_BLOCK)),
                        Tensor.empty(DType.F32, d, 1))
                : new Plain(Tensor.empty(DType.F32, d, blocks));
        Quantized out = new Quantized(Tensor.empty(DType.U8, d, (n + 1) / 2), table(CODE, x), absmax, x.shape(), x.dtype());
        quantize(x, out);
        return out;
    }

    /**
     * x quantized into {@code out}, whose shape must be x's; its absmax kind decides double
     * quantization, and its code tables are read (the standard ones unless a caller built others).
     */
    public static void quantize(Tensor x, Quantized out) {
        requireFloat("x", x);
        requireContiguous("x", x);
        requireShape("x", x, out.shape());
        requireSameDevice("x", x, out.packed());
        long n = x.numel();
        int blocks = intSize("NF4 blocks", cdiv(n, BLOCK));
        Grid g = grid(cdiv(blocks, QUANTIZE_BLOCKS));
        switch (out.absmax()) {
            case Plain p -> launch(QUANTIZE, g, x, out.packed(), p.values(), n, QUANTIZE_BLOCKS);
            case Nested d -> {
                try (Tensor absmax = Tensor.empty(DType.F32, x.device(), blocks)) {
                    launch(QUANTIZE, g, x, out.packed(), absmax, n, QUANTIZE_BLOCKS);
                    launch(MEAN, grid(1), absmax, d.offset(), blocks, MEAN_CHUNK);
                    launch(QUANTIZE_ABSMAX, grid(cdiv(blocks, NESTED_BLOCK)), absmax, d.map(), d.codes(), d.scales(), d.offset(), blocks);
                }
            }
        }
    }

    /** The tensor back in its original dtype and shape. */
    public static Tensor dequantize(Quantized q) { return dequantize(q, q.dtype()); }

    /** The tensor back in its original shape as {@code dtype} (f32, f16 or bf16): CODE[q] · absmax, rounded once. */
    public static Tensor dequantize(Quantized q, DType dtype) {
        requireFloat("the dequantized dtype", dtype);
        Tensor out = Tensor.empty(dtype, q.packed().device(), q.shape());
        dequantize(q, out);
        return out;
    }

    /** {@link #dequantize(Quantized, DType)} into {@code out} (f32, f16 or bf16, q's shape, contiguous). */
    public static void dequantize(Quantized q, Tensor out) {
        requireFloat("out", out);
        requireShape("out", out, q.shape());
        requireContiguous("out", out);
        requireSameDevice("out", out, q.packed());
        long n = q.numel();
        Grid g = grid(intSize("NF4 dequantize programs", cdiv(cdiv(n, 2), DEQUANTIZE_BYTES)));
        switch (q.absmax()) {
            case Plain p -> launch(DEQUANTIZE_PLAIN, g, q.packed(), q.code(), p.values(), out, n, DEQUANTIZE_BYTES);
            case Nested d -> launch(DEQUANTIZE_NESTED, g, q.packed(), q.code(), d.codes(), d.map(), d.scales(), d.offset(), out, n,
                    DEQUANTIZE_BYTES);
        }
    }

    /**
     * y = W·x, batch 1: W an NF4 matrix [M, K] (as bitsandbytes quantizes an [out, in] weight; K
     * even), x [K] (f32, f16 or bf16); y [M] in x's dtype. W is dequantized on the fly, products
     * summed in f32.
     */
    public static Tensor gemv(Quantized w, Tensor x) {
        Tensor y = Tensor.empty(x.dtype(), x.device(), w.shape()[0]);
        gemv(w, x, y);
        return y;
    }

    /** {@link #gemv(Quantized, Tensor)} into {@code y} (f32, f16 or bf16, [M]). */
    public static void gemv(Quantized w, Tensor x, Tensor y) {
        long[] s = w.shape();
        if (s.length != 2) throw new IllegalArgumentException("the NF4 GEMV needs a matrix [M, K], got shape " + Arrays.toString(s));
        int m = intSize("rows", s[0]), k = intSize("columns", s[1]);
        if (k % 2 != 0) {
            throw new IllegalArgumentException("the NF4 GEMV needs an even K (its rows start on a byte), got K = " + k
                    + "; dequantize and use a matmul instead");
        }
        requireFloat("x", x);
        requireContiguous("x", x);
        requireShape("x", x, k);
        requireSameDevice("x", x, w.packed());
        requireFloat("y", y);
        requireShape("y", y, m);
        requireSameDevice("y", y, w.packed());
        Grid g = grid(cdiv(m, GEMV_ROWS));
        switch (w.absmax()) {
            case Plain p -> launch(GEMV_PLAIN, g, w.packed(), w.code(), p.values(), x, y, m, k, k / 2, GEMV_ROWS, GEMV_K);
            case Nested d -> launch(GEMV_NESTED, g, w.packed(), w.code(), d.codes(), d.map(), d.scales(), d.offset(), x, y, m, k, k / 2,
                    GEMV_ROWS, GEMV_K);
        }
    }

    /** {@link #matmul(Tensor, Quantized, Tensor, GemmConfig)} into a new [M, N] tensor of x's dtype. */
    public static Tensor matmul(Tensor x, Quantized w) {
        Tensor y = Tensor.empty(x.dtype(), x.device(), x.shape(0), w.shape()[0]);
        matmul(x, w, y, GemmConfig.DEFAULT);
        return y;
    }

    /**
     * Fused NF4 dequantize + matmul (prefill): y = x·Wᵀ for activations x [M, K] (f16 or bf16,
     * contiguous) and an NF4 weight W [N, K] (as bitsandbytes quantizes an [out, in] weight; K
     * even), on the tensor cores. Each W tile is dequantized into registers as {@link #dequantize}
     * would write it in x's dtype and never goes to memory; y (f32, f16 or bf16, [M, N]) is summed
     * in f32 and rounded once.
     */
    public static void matmul(Tensor x, Quantized w, Tensor y, GemmConfig cfg) {
        long[] s = w.shape();
        if (s.length != 2) throw new IllegalArgumentException("the NF4 matmul needs a weight matrix [N, K], got shape " + Arrays.toString(s));
        if (x.dtype() != DType.F16 && x.dtype() != DType.BF16) {
            throw new IllegalArgumentException("the NF4 matmul takes f16 or bf16 activations, not " + x.dtype() + " (" + x + ")");
        }
        requireRank("x", x, 2);
        requireContiguous("x", x);
        int m = intSize("rows", x.shape(0)), n = intSize("rows of W", s[0]), k = intSize("columns", s[1]);
        if (x.shape(1) != k) throw new IllegalArgumentException("NF4 matmul shapes: x " + x + " · Wᵀ of W " + Arrays.toString(s) + " differ in K");
        if (k % 2 != 0) {
            throw new IllegalArgumentException("the NF4 matmul needs an even K (W's rows start on a byte), got K = " + k
                    + "; dequantize and use a matmul instead");
        }
        requireSameDevice("the NF4 weight", w.packed(), x);
        requireGemmOut(y, m, n, x);
        requireGemmSize(m, n, k);
        switch (w.absmax()) {
            case Plain p -> launchGemm(MATMUL_PLAIN, m, n, cfg, x, w.packed(), w.code(), p.values(), y, m, n, k, k / 2,
                    cfg.bm(), cfg.bn(), cfg.bk(), cfg.group());
            case Nested d -> launchGemm(MATMUL_NESTED, m, n, cfg, x, w.packed(), w.code(), d.codes(), d.map(), d.scales(), d.offset(), y,
                    m, n, k, k / 2, cfg.bm(), cfg.bn(), cfg.bk(), cfg.group());
        }
    }

    /** A code table on x's device. */
    private static Tensor table(float[] values, Tensor x) { return Tensor.from(toDoubles(values), DType.F32, x.device(), values.length); }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }
}
