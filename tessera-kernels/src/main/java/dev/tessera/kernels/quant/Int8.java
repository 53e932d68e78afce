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
import java.util.stream.IntStream;

/**
 * Dynamic INT8 absmax quantization of a matrix, per row (per token, for activations) or per column,
 * and LLM.int8()'s mixed decomposition (Dettmers et al., 2022).
 *
 * <p>For each row (or column) {@code scale = absmax / 127} in f32 and
 * {@code q = round(x / scale)} clamped to [-127, 127] as i8, so {@code x ≈ q · scale} with -128
 * never used (the code is symmetric). {@code round} is to nearest with ties to even, as
 * {@code torch.round} does (not half away from zero, as C's {@code roundf}); the division is
 * correctly rounded on every device, so the CPU and a GPU give the same bits.
 *
 * <p>Edge values: an all-zero row has scale 0 and quantizes to zeros (dequantizing to exact zeros);
 * NaN is left out of the absmax and quantizes to 0; an infinity makes its row's scale infinite, so
 * the row's finite values quantize to 0 and dequantize to NaN (0·∞).
 *
 * <p>The decomposition: a few feature dimensions of LLM activations hold values far larger than the
 * rest, and one absmax per row would crush everything else to zero. Columns that hold any
 * |x| ≥ threshold (6.0 in the paper) are taken out as a separate 16-bit matrix with their indices,
 * to be multiplied in 16 bits; the rest is quantized per row with those columns set to zero, so
 * {@code x = dequantize(quantized) + outliers scattered back} up to the int8 rounding. Here the row
 * absmax is that of the remaining columns; bitsandbytes leaves out only the outlier values
 * themselves, so small values of an outlier column still count towards its row scales.
 */
public final class Int8 {
    private Int8() {}

    /** The largest code: the codes are -127..127. */
    public static final int QMAX = 127;

    /** LLM.int8()'s outlier threshold. */
    public static final double DEFAULT_THRESHOLD = 6.0;

    /** Which way the scales run: one per row (per token) or one per column. */
    public enum Axis { ROWS, COLUMNS }

    /**
     * A quantized matrix: {@code values} i8 [M, N] and {@code scales} f32, [M] for {@link Axis#ROWS}
     * or [N] for {@link Axis#COLUMNS}; {@code x[i, j] ≈ values[i, j] · scale}.
     */
    public record Quantized(Tensor values, Tensor scales, Axis axis) implements AutoCloseable {
        public Quantized {
            requireDtype("int8 values", values, DType.I8);
            requireRank("int8 values", values, 2);
            requireContiguous("int8 values", values);
            requireDtype("int8 scales", scales, DType.F32);
            requireShape("int8 scales", scales, values.shape(axis == Axis.ROWS ? 0 : 1));
            requireSameDevice("int8 scales", scales, values);
        }

        @Override
        public void close() {
            values.close();
            scales.close();
        }
    }

    /**
     * LLM.int8()'s decomposition of x [M, N]: the columns with an outlier, {@code outliers}
     * [M, k] in x's dtype with their indices {@code outlierColumns} i32 [k] (ascending), and the
     * other columns quantized per row ({@code quantized}, whose outlier columns hold 0).
     */
    public record Decomposed(Quantized quantized, Tensor outliers, Tensor outlierColumns) implements AutoCloseable {
        @Override
        public void close() {
            quantized.close();
            outliers.close();
            outlierColumns.close();
        }
    }

    // ------------------------------------------------------------------ kernels

    /** round(v / scale) in [-127, 127] as i8; scale 0 (an all-zero row or column) gives 0. */
    static Tile quantize(Tile v, Tile scale) {
        Tile q = rint(divRn(v, where(scale.eq(0.0), 1.0, scale)));
        return clamp(q.to(I32), -QMAX, QMAX).to(I8);
    }

    /** What a row kernel does to a chunk of a row before quantizing it: nothing, or zero the outlier columns. */
    @FunctionalInterface
    interface ColumnFilter {
        Tile apply(Tile values, Tile cols, Tile mask);
    }

    /**
     * One program per row, two passes over it in chunks of BLOCK: the absmax, then the codes (the
     * second pass reads the row again, from cache for rows of ordinary length).
     */
    static void rows(Tile x, Tile q, Tile scales, Tile n, int BLOCK, ColumnFilter filter) {
        Tile row = programId(0).to(I64).mul(n);
        Var absmax = var(0.0);
        for (Tile start : range(0, n, BLOCK)) {
            Tile cols = start.add(arange(0, BLOCK));
            Tile mask = cols.lt(n);
            Tile v = filter.apply(load(x.add(row).add(cols), mask, 0.0).to(F32), cols, mask);
            absmax.set(maximum(absmax.get(), max(abs(v), 0)));
        }
        Tile scale = divRn(absmax.get(), scalar((double) QMAX));
        store(scales.add(programId(0)), scale);
        for (Tile start : range(0, n, BLOCK)) {
            Tile cols = start.add(arange(0, BLOCK));
            Tile mask = cols.lt(n);
            Tile v = filter.apply(load(x.add(row).add(cols), mask, 0.0).to(F32), cols, mask);
            store(q.add(row).add(cols), quantize(v, scale), mask);
        }
    }

    @Kernel
    static void quantizeRows(Tile x, Tile q, Tile scales, Tile n, @Constexpr int BLOCK) {
        rows(x, q, scales, n, BLOCK, (v, cols, mask) -> v);
    }

    /** quantizeRows with the columns flagged in {@code outlier} (i8, nonzero for an outlier column) set to zero. */
    @Kernel
    static void quantizeRowsWithoutOutliers(Tile x, Tile outlier, Tile q, Tile scales, Tile n, @Constexpr int BLOCK) {
        rows(x, q, scales, n, BLOCK, (v, cols, mask) -> where(load(outlier.add(cols), mask, 0L).ne(0), 0.0, v));
    }

    /** The absmax of each column: one program per BN columns, walking down the rows BM at a time. */
    @Kernel
    static void columnAbsmax(Tile x, Tile absmax, Tile m, Tile n, @Constexpr int BM, @Constexpr int BN) {
        Tile cols = programId(0).mul(BN).add(arange(0, BN));
        Tile colMask = cols.lt(n);
        Var acc = var(zeros(F32, BN));
        for (Tile start : range(0, m, BM)) {
            Tile rows = start.add(arange(0, BM));
            Tile mask = rows.col().lt(m).and(colMask.row());
            Tile v = load(x.add(rows.to(I64).mul(n).col()).add(cols.row()), mask, 0.0).to(F32);
            acc.set(maximum(acc.get(), max(abs(v), 0)));
        }
        store(absmax.add(cols), acc.get(), colMask);
    }

    /** Codes of a [BM, BN] tile against its columns' absmax; the programs of the first row of tiles write the scales. */
    @Kernel
    static void quantizeColumns(Tile x, Tile absmax, Tile q, Tile scales, Tile m, Tile n, @Constexpr int BM, @Constexpr int BN) {
        Tile rows = programId(0).mul(BM).add(arange(0, BM)), cols = programId(1).mul(BN).add(arange(0, BN));
        Tile colMask = cols.lt(n);
        Tile scale = divRn(load(absmax.add(cols), colMask, 0.0), scalar((double) QMAX));
        store(scales.add(cols), scale, colMask.and(programId(0).eq(0)));
        Tile offsets = rows.to(I64).mul(n).col().add(cols.row());
        Tile mask = rows.col().lt(m).and(colMask.row());
        store(q.add(offsets), quantize(load(x.add(offsets), mask, 0.0).to(F32), scale.row()), mask);
    }

    /** out = q · scale, the scales along rows or columns; rounded once to out's dtype. */
    @Kernel
    static void dequantize(Tile q, Tile scales, Tile out, Tile m, Tile n, @Constexpr boolean ROWS, @Constexpr int BM, @Constexpr int BN) {
        Tile rows = programId(0).mul(BM).add(arange(0, BM)), cols = programId(1).mul(BN).add(arange(0, BN));
        Tile scale = ROWS ? load(scales.add(rows), rows.lt(m), 0.0).col() : load(scales.add(cols), cols.lt(n), 0.0).row();
        Tile offsets = rows.to(I64).mul(n).col().add(cols.row());
        Tile mask = rows.col().lt(m).and(cols.row().lt(n));
        store(out.add(offsets), load(q.add(offsets), mask, 0L).to(F32).mul(scale), mask);
    }

    /** out[:, j] = x[:, columns[j]]: the outlier columns as a dense [M, k] matrix. */
    @Kernel
    static void gatherColumns(Tile x, Tile columns, Tile out, Tile m, Tile n, Tile k, @Constexpr int BM, @Constexpr int BK) {
        Tile rows = programId(0).mul(BM).add(arange(0, BM)), j = programId(1).mul(BK).add(arange(0, BK));
        Tile mask = rows.col().lt(m).and(j.row().lt(k));
        Tile source = load(columns.add(j), j.lt(k), 0L);
        Tile v = load(x.add(rows.to(I64).mul(n).col()).add(source.row()), mask);
        store(out.add(rows.to(I64).mul(k).col()).add(j.row()), v, mask);
    }

    /**
     * C = (A·B) · sa[row] · sb[col]: A i8 [M, K] row-major, B i8 [K, N] at strides (sbk, sbn), the
     * products summed exactly in i32 on the tensor cores (|a·b| ≤ 127², so K ≤ 2^17, which the host
     * API checks, cannot overflow), then converted to f32 once per output and scaled.
     */
    @Kernel
    static void matmul(Tile a, Tile b, Tile sa, Tile sb, Tile c, Tile m, Tile n, Tile k, Tile sbk, Tile sbn,
                       @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP) {
        Tile[] tile = groupedTile(m, n, BM, BN, GROUP);
        Tile rm = tile[0].mul(BM).add(arange(0, BM)), rn = tile[1].mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Var aPtr = var(a.add(rm.col().mul(k)).add(rk.row()));
        Var bPtr = var(b.add(rk.col().mul(sbk)).add(rn.row().mul(sbn)));
        Var acc = var(zeros(I32, BM, BN));
        for (Tile step : range(0, cdiv(k, BK))) {
            Tile left = k.sub(step.mul(BK));
            Tile at = load(aPtr.get(), rm.col().lt(m).and(rk.row().lt(left)), 0L);
            Tile bt = load(bPtr.get(), rk.col().lt(left).and(rn.row().lt(n)), 0L);
            acc.set(dot(at, bt, acc.get()));
            aPtr.set(aPtr.get().add(BK));
            bPtr.set(bPtr.get().add(sbk.mul(BK)));
        }
        Tile rowScale = load(sa.add(rm), rm.lt(m), 0.0), colScale = load(sb.add(rn), rn.lt(n), 0.0);
        Tile out = acc.get().to(F32).mul(rowScale.col()).mul(colScale.row());
        store(c.add(rm.col().mul(n)).add(rn.row()), out, rm.col().lt(m).and(rn.row().lt(n)));
    }

    /**
     * W8A16: y = (x·Q) · s[col] for x [M, K] f16/bf16 row-major and int8 codes Q [K, N] at strides
     * (sqk, sqn) with a scale per column. The codes go to x's dtype on the fly, exactly (|q| ≤ 127
     * fits a 16-bit float's significand), for the tensor cores' f16/bf16 dot into f32; a column's
     * scale is common to all of its K products, so it is applied once, to the sum: the result is
     * x·(Q·s) with the dequantized weight never rounded to 16 bits.
     */
    @Kernel
    static void matmulW8A16(Tile x, Tile q, Tile s, Tile y, Tile m, Tile n, Tile k, Tile sqk, Tile sqn,
                            @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP) {
        Tile[] tile = groupedTile(m, n, BM, BN, GROUP);
        Tile rm = tile[0].mul(BM).add(arange(0, BM)), rn = tile[1].mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Var xPtr = var(x.add(rm.col().mul(k)).add(rk.row()));
        Var qPtr = var(q.add(rk.col().mul(sqk)).add(rn.row().mul(sqn)));
        Var acc = var(zeros(F32, BM, BN));
        for (Tile step : range(0, cdiv(k, BK))) {
            Tile left = k.sub(step.mul(BK));
            Tile xt = load(xPtr.get(), rm.col().lt(m).and(rk.row().lt(left)), 0.0);
            Tile wt = load(qPtr.get(), rk.col().lt(left).and(rn.row().lt(n)), 0L).to(x.elementType());
            acc.set(dot(xt, wt, acc.get()));
            xPtr.set(xPtr.get().add(BK));
            qPtr.set(qPtr.get().add(sqk.mul(BK)));
        }
        Tile out = acc.get().mul(load(s.add(rn), rn.lt(n), 0.0).row());
        store(y.add(rm.col().mul(n)).add(rn.row()), out, rm.col().lt(m).and(rn.row().lt(n)));
    }

    static final JitKernel QUANTIZE_ROWS = Jit.kernel(Int8.class, "quantizeRows");
    static final JitKernel QUANTIZE_ROWS_WITHOUT_OUTLIERS = Jit.kernel(Int8.class, "quantizeRowsWithoutOutliers");
    static final JitKernel COLUMN_ABSMAX = Jit.kernel(Int8.class, "columnAbsmax");
    static final JitKernel QUANTIZE_COLUMNS = Jit.kernel(Int8.class, "quantizeColumns");
    static final JitKernel DEQUANTIZE = Jit.kernel(Int8.class, "dequantize");
    static final JitKernel GATHER_COLUMNS = Jit.kernel(Int8.class, "gatherColumns");
    static final JitKernel MATMUL = Jit.kernel(Int8.class, "matmul");
    static final JitKernel MATMUL_W8A16 = Jit.kernel(Int8.class, "matmulW8A16");

    /** Tiles of the 2-D kernels: 32 rows of 128 columns. */
    static final int BM = 32, BN = 128;

    /** The chunk of a row the row kernels read at a time: the whole row up to 4096 columns. */
    static int rowBlock(int n) { return Math.min(nextPowerOf2(Math.max(n, 1)), 4096); }

    /** The launch helper of this family: 4 warps, or 8 for chunks of 2048 and more. */
    private static void launch(JitKernel kernel, int tile, Grid grid, Object... args) {
        kernel.withOptions(tile >= 2048 ? 8 : 4, 1).launch(grid, args);
    }

    // ------------------------------------------------------------------ host API

    /** Per-row (per-token) quantization of x [M, N] (f32, f16 or bf16, contiguous): scales [M]. */
    public static Quantized quantizeRows(Tensor x) {
        int[] mn = checkMatrix(x);
        Quantized out = allocate(x, mn, Axis.ROWS);
        quantizeRows(x, out);
        return out;
    }

    /** {@link #quantizeRows(Tensor)} into {@code out} (axis ROWS, values [M, N], on x's device). */
    public static void quantizeRows(Tensor x, Quantized out) {
        int[] mn = checkMatrix(x);
        checkOut(out, mn, Axis.ROWS, x);
        int block = rowBlock(mn[1]);
        launch(QUANTIZE_ROWS, block, grid(mn[0]), x, out.values(), out.scales(), mn[1], block);
    }

    /** Per-column quantization of x [M, N] (f32, f16 or bf16, contiguous): scales [N]. */
    public static Quantized quantizeColumns(Tensor x) {
        int[] mn = checkMatrix(x);
        Quantized out = allocate(x, mn, Axis.COLUMNS);
        quantizeColumns(x, out);
        return out;
    }

    /** {@link #quantizeColumns(Tensor)} into {@code out} (axis COLUMNS, values [M, N], on x's device). */
    public static void quantizeColumns(Tensor x, Quantized out) {
        int[] mn = checkMatrix(x);
        checkOut(out, mn, Axis.COLUMNS, x);
        try (Tensor absmax = columnAbsmax(x, mn)) {
            launch(QUANTIZE_COLUMNS, BM * BN, grid(cdiv(mn[0], BM), cdiv(mn[1], BN)), x, absmax, out.values(), out.scales(),
                    mn[0], mn[1], BM, BN);
        }
    }

    /** q as a matrix of {@code dtype} (f32, f16 or bf16): q · scale computed in f32, rounded once. */
    public static Tensor dequantize(Quantized q, DType dtype) {
        requireFloat("the dequantized dtype", dtype);
        Tensor out = Tensor.empty(dtype, q.values().device(), q.values().shape());
        dequantize(q, out);
        return out;
    }

    /** {@link #dequantize(Quantized, DType)} into {@code out} (f32, f16 or bf16, q's shape, contiguous). */
    public static void dequantize(Quantized q, Tensor out) {
        requireFloat("out", out);
        requireShape("out", out, q.values().shape());
        requireContiguous("out", out);
        requireSameDevice("out", out, q.values());
        int m = (int) q.values().shape(0), n = (int) q.values().shape(1);
        launch(DEQUANTIZE, BM * BN, grid(cdiv(m, BM), cdiv(n, BN)), q.values(), q.scales(), out, m, n, q.axis() == Axis.ROWS, BM, BN);
    }

    /** {@link #decompose(Tensor, double)} with LLM.int8()'s threshold, 6.0. */
    public static Decomposed decompose(Tensor x) { return decompose(x, DEFAULT_THRESHOLD); }

    /**
     * LLM.int8()'s decomposition of x [M, N] (f16 or bf16, contiguous): the columns holding any
     * |x| ≥ threshold (a positive number) as a 16-bit matrix, the rest quantized per row. Finding
     * the columns reads their absmax back to the host (N floats), as bitsandbytes' {@code argwhere} does.
     */
    public static Decomposed decompose(Tensor x, double threshold) {
        int[] mn = checkMatrix(x);
        return decompose(x, threshold, allocate(x, mn, Axis.ROWS));
    }

    /** {@link #decompose(Tensor, double)} with the quantized part written into {@code out} (axis ROWS). */
    public static Decomposed decompose(Tensor x, double threshold, Quantized out) {
        if (x.dtype() != DType.F16 && x.dtype() != DType.BF16) {
            throw new IllegalArgumentException("the LLM.int8() decomposition keeps outliers in 16 bits: x must be f16 or bf16, not " + x.dtype());
        }
        if (!(threshold > 0) || Double.isInfinite(threshold)) {
            throw new IllegalArgumentException("the outlier threshold must be a positive finite number, not " + threshold);
        }
        int[] mn = checkMatrix(x);
        checkOut(out, mn, Axis.ROWS, x);
        int m = mn[0], n = mn[1];
        double[] absmax;
        try (Tensor a = columnAbsmax(x, mn)) {
            absmax = a.toDoubleArray();
        }
        int[] columns = IntStream.range(0, n).filter(j -> absmax[j] >= threshold).toArray();
        long[] flags = new long[n];
        for (int j : columns) flags[j] = 1;
        int block = rowBlock(n);
        try (Tensor outlier = Tensor.fromLongs(flags, DType.I8, x.device(), n)) {
            launch(QUANTIZE_ROWS_WITHOUT_OUTLIERS, block, grid(m), x, outlier, out.values(), out.scales(), n, block);
        }
        Tensor indices = Tensor.fromLongs(IntStream.of(columns).asLongStream().toArray(), DType.I32, x.device(), columns.length);
        Tensor outliers = Tensor.empty(x.dtype(), x.device(), m, columns.length);
        if (columns.length > 0) {
            launch(GATHER_COLUMNS, BM * BN, grid(cdiv(m, BM), cdiv(columns.length, BN)), x, indices, outliers, m, n, columns.length, BM, BN);
        }
        return new Decomposed(out, outliers, indices);
    }

    // ------------------------------------------------------------------ GEMMs

    /**
     * The B operand of a GEMM, read from a quantized matrix whose scales run along N: codes
     * [K, N] with per-column scales (axis COLUMNS) as they are, or a weight W [N, K] with a scale
     * per row (axis ROWS: per output channel, as {@code nn.Linear} keeps it) as its transpose.
     */
    private record Operand(int k, int n, int strideK, int strideN) {
        static Operand of(Quantized b) {
            int r = intSize("rows", b.values().shape(0)), c = intSize("columns", b.values().shape(1));
            return b.axis() == Axis.COLUMNS ? new Operand(r, c, c, 1) : new Operand(c, r, 1, c);
        }
    }

    /** {@link #matmul(Quantized, Quantized, Tensor, GemmConfig)} into a new [M, N] tensor of {@code outType}. */
    public static Tensor matmul(Quantized a, Quantized b, DType outType) {
        requireFloat("the output dtype", outType);
        Tensor out = Tensor.empty(outType, a.values().device(), a.values().shape(0), Operand.of(b).n());
        matmul(a, b, out, GemmConfig.DEFAULT);
        return out;
    }

    /**
     * INT8 GEMM on the tensor cores (s8×s8→s32): out = (A·B) · sa[row] · sb[col], A quantized per
     * row (per token) [M, K]; B either [K, N] quantized per column, or W [N, K] quantized per row
     * (the weight of a linear layer, multiplied as Wᵀ). The i32 sums are exact; out (f32, f16 or
     * bf16, [M, N]) gets them converted to f32 and scaled, rounded once.
     */
    public static void matmul(Quantized a, Quantized b, Tensor out, GemmConfig cfg) {
        if (a.axis() != Axis.ROWS) throw new IllegalArgumentException("the INT8 GEMM's A must be quantized per row (quantizeRows), not per column");
        Operand op = Operand.of(b);
        int m = intSize("rows", a.values().shape(0)), k = intSize("columns", a.values().shape(1));
        if (op.k() != k) {
            throw new IllegalArgumentException("INT8 GEMM shapes: A " + a.values() + " and B with K = " + op.k() + " (" + b.axis()
                    + " scales: B " + (b.axis() == Axis.COLUMNS ? "[K, N]" : "given as W [N, K]") + ") differ in K");
        }
        if (k > 1 << 17) {
            throw new IllegalArgumentException("the INT8 GEMM sums at most 2^17 products of |q| ≤ 127 in i32 without overflow; K = " + k);
        }
        requireSameDevice("B", b.values(), a.values());
        requireGemmOut(out, m, op.n(), a.values());
        requireGemmSize(m, op.n(), k);
        launchGemm(MATMUL, m, op.n(), cfg, a.values(), b.values(), a.scales(), b.scales(), out, m, op.n(), k, op.strideK(), op.strideN(),
                cfg.bm(), cfg.bn(), cfg.bk(), cfg.group());
    }

    /** {@link #matmulW8A16(Tensor, Quantized, Tensor, GemmConfig)} into a new [M, N] tensor of x's dtype. */
    public static Tensor matmulW8A16(Tensor x, Quantized w) {
        Tensor y = Tensor.empty(x.dtype(), x.device(), x.shape(0), Operand.of(w).n());
        matmulW8A16(x, w, y, GemmConfig.DEFAULT);
        return y;
    }

    /**
     * W8A16 matmul: y = x·B for x [M, K] (f16 or bf16, contiguous) and int8 weights B, either
     * [K, N] quantized per column or W [N, K] quantized per row (multiplied as Wᵀ, {@code x @ W.T});
     * the codes are converted to x's dtype on the fly for the tensor cores and each output column
     * scaled once; y (f32, f16 or bf16, [M, N]) is rounded once.
     */
    public static void matmulW8A16(Tensor x, Quantized w, Tensor y, GemmConfig cfg) {
        if (x.dtype() != DType.F16 && x.dtype() != DType.BF16) {
            throw new IllegalArgumentException("W8A16 takes f16 or bf16 activations, not " + x.dtype() + " (" + x + ")");
        }
        requireRank("x", x, 2);
        requireContiguous("x", x);
        Operand op = Operand.of(w);
        int m = intSize("rows", x.shape(0)), k = intSize("columns", x.shape(1));
        if (op.k() != k) {
            throw new IllegalArgumentException("W8A16 shapes: x " + x + " and weights with K = " + op.k() + " (" + w.axis()
                    + " scales: " + (w.axis() == Axis.COLUMNS ? "[K, N]" : "W [N, K]") + ") differ in K");
        }
        requireSameDevice("the weights", w.values(), x);
        requireGemmOut(y, m, op.n(), x);
        requireGemmSize(m, op.n(), k);
        launchGemm(MATMUL_W8A16, m, op.n(), cfg, x, w.values(), w.scales(), y, m, op.n(), k, op.strideK(), op.strideN(),
                cfg.bm(), cfg.bn(), cfg.bk(), cfg.group());
    }

    private static Quantized allocate(Tensor x, int[] mn, Axis axis) {
        return new Quantized(Tensor.empty(DType.I8, x.device(), mn[0], mn[1]),
                Tensor.empty(DType.F32, x.device(), axis == Axis.ROWS ? mn[0] : mn[1]), axis);
    }

    private static void checkOut(Quantized out, int[] mn, Axis axis, Tensor x) {
        if (out.axis() != axis) throw new IllegalArgumentException("out has " + out.axis() + " scales; this quantization makes " + axis);
        requireShape("out values", out.values(), mn[0], mn[1]);
        requireSameDevice("out values", out.values(), x);
    }

    private static Tensor columnAbsmax(Tensor x, int[] mn) {
        Tensor absmax = Tensor.empty(DType.F32, x.device(), mn[1]);
        launch(COLUMN_ABSMAX, BM * BN, grid(cdiv(mn[1], BN)), x, absmax, mn[0], mn[1], BM, BN);
        return absmax;
    }

    /** [M, N] of a contiguous f32/f16/bf16 matrix with N > 0. */
    private static int[] checkMatrix(Tensor x) {
        requireFloat("x", x);
        requireRank("x", x, 2);
        requireContiguous("x", x);
        int m = intSize("rows", x.shape(0)), n = intSize("columns", x.shape(1));
        if (n == 0) throw new IllegalArgumentException("x has no columns: " + x);
        return new int[] {m, n};
    }
}
