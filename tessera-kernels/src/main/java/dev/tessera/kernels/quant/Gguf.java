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
import java.util.Arrays;

/**
 * GGUF's Q8_0 and Q4_0 block formats, in the byte layout of llama.cpp's files, so that a tensor's
 * data as a GGUF file holds it (u8, little-endian) can be handed to these kernels as it is.
 *
 * <p>Both cut the values into blocks of 32 and store each block as its f16 scale {@code d}
 * followed by its quants:
 * <ul>
 *   <li>Q8_0, 34 bytes a block: {@code d = amax / 127}, {@code q = roundf(x · (1/d))} as i8
 *       (ties away from zero, as C's {@code roundf}); value = q · d.</li>
 *   <li>Q4_0, 18 bytes a block: {@code d = max / -8} where max is the block's value of largest
 *       magnitude, sign kept (the first one on ties), {@code q = min(15, trunc(x · (1/d) + 8.5))},
 *       16 bytes of two codes, byte j holding element j in its low nibble and element j + 16 in
 *       its high nibble; value = (q - 8) · d.</li>
 * </ul>
 * As in llama.cpp's reference quantizers ({@code quantize_row_q8_0_ref}, {@code quantize_row_q4_0_ref}),
 * {@code 1/d} is taken from the f32 d (0 where d is 0), before d is rounded to f16 to be stored;
 * every step is the same f32 arithmetic, so the bytes are those llama.cpp writes. An all-zero block
 * gets d = 0 (Q4_0: -0.0, as max / -8 gives) and quants 0 (Q4_0: code 8). Where 1/d overflows
 * (blocks of subnormal-sized values: amax below about 3.7e-37 for Q8_0, |max| below 2^-125 for
 * Q4_0) x · (1/d) is infinite or NaN, whose conversion to an integer C leaves undefined; such
 * values quantize to 0 (Q8_0) and code 0 (Q4_0), as x86 builds of llama.cpp give. NaN is not part
 * of the formats: it is left out of the amax and quantizes the same way.
 *
 * <p>Dequantization gives {@code q · d} (Q4_0: {@code (q - 8) · d}) in f32, rounded once to f32,
 * f16 or bf16. The matrix-vector kernels compute {@code y = W·x} for W [M, K] stored as M rows of
 * K/32 blocks (as GGUF stores a weight), with x kept in its floating type (llama.cpp's CPU path
 * first quantizes x to Q8_0; this does not), sums in f32.
 */
public final class Gguf {
    private Gguf() {}

    /** Values per block. */
    public static final int BLOCK = 32;

    /** A block format, with its bytes a block. */
    public enum Format {
        Q8_0(34), Q4_0(18);

        /** Bytes of one block: the f16 scale, then the quants. */
        public final int blockBytes;

        Format(int blockBytes) { this.blockBytes = blockBytes; }
    }

    /** A GGUF-quantized tensor: its raw blocks (u8, {@code blocks · blockBytes}), format, and shape. */
    public record Quantized(Tensor blocks, Format format, long[] shape) implements AutoCloseable {
        public Quantized {
            shape = shape.clone();
            long n = elements(shape);
            if (n % BLOCK != 0) throw new IllegalArgumentException(format + " holds whole blocks of 32 values, not " + n);
            requireDtype(format + " blocks", blocks, DType.U8);
            requireShape(format + " blocks", blocks, n / BLOCK * format.blockBytes);
        }

        @Override
        public long[] shape() { return shape.clone(); }

        public long numel() { return elements(shape); }

        @Override
        public void close() { blocks.close(); }
    }

    // ------------------------------------------------------------------ kernels

    /** Where v is neither infinite nor NaN. */
    static Tile isFinite(Tile v) { return abs(v).lt(Double.POSITIVE_INFINITY); }

    /** The f16 scales of blocks {@code b}, which start every blockBytes bytes (an even number, so they are 2-byte aligned). */
    static Tile scaleOf(Tile blocks, Tile b, int blockBytes, Tile mask) {
        return load(blocks.asPointerTo(F16).add(b.mul(blockBytes / 2)), mask, 0.0).to(F32);
    }

    /** Where block b's byte j is: 2 bytes of scale, then the quants. */
    static Tile quantsOf(Tile blocks, Tile b, int blockBytes, Tile j) { return blocks.add(b.mul(blockBytes).add(2).col().add(j.row())); }

    /** BLOCKS blocks per program; d = amax / 127, q = roundf(x · (1/d)). */
    @Kernel
    static void quantizeQ8_0(Tile x, Tile blocks, Tile count, @Constexpr int BLOCKS) {
        Tile b = programId(0).to(I64).mul(BLOCKS).add(arange(0, BLOCKS));
        Tile mask = b.lt(count);
        Tile j = arange(0, BLOCK);
        Tile v = load(x.add(b.mul(BLOCK).col().add(j.row())), mask.col(), 0.0).to(F32);
        Tile d = divRn(max(abs(v), 1), scalar(127.0));
        Tile inverse = where(d.eq(0.0), 0.0, divRn(scalar(1.0), d));
        store(blocks.asPointerTo(F16).add(b.mul(Format.Q8_0.blockBytes / 2)), d.to(F16), mask);
        Tile scaled = v.mul(inverse.col());
        Tile q = where(isFinite(scaled), roundHalfAway(scaled), 0).to(I8);
        store(quantsOf(blocks, b, Format.Q8_0.blockBytes, j).asPointerTo(I8), q, mask.col());
    }

    /** BLOCKS blocks per program; d = max / -8, q = min(15, trunc(x · (1/d) + 8.5)), elements j and j + 16 in byte j. */
    @Kernel
    static void quantizeQ4_0(Tile x, Tile blocks, Tile count, @Constexpr int BLOCKS) {
        Tile b = programId(0).to(I64).mul(BLOCKS).add(arange(0, BLOCKS));
        Tile mask = b.lt(count);
        Tile j = arange(0, BLOCK);
        Tile v = load(x.add(b.mul(BLOCK).col().add(j.row())), mask.col(), 0.0).to(F32);
        // llama.cpp's search (amax < |x|) passes over NaN, where argmax takes the first NaN (torch's rule)
        Tile magnitude = where(v.ne(v), -1.0, abs(v));
        Tile first = argmax(magnitude, 1);                                         // the first of the largest magnitudes
        Tile signedMax = sum(where(j.row().eq(first.col()), v, 0.0), 1);
        Tile max = where(max(magnitude, 1).gt(0.0), signedMax, 0.0);               // +0 for an all-zero block, so d = -0.0
        Tile d = divRn(max, scalar(-8.0));
        Tile inverse = where(d.eq(0.0), 0.0, divRn(scalar(1.0), d));
        store(blocks.asPointerTo(F16).add(b.mul(Format.Q4_0.blockBytes / 2)), d.to(F16), mask);
        Tile scaled = v.mul(inverse.col());
        Tile q = where(isFinite(scaled), minimum(scaled.add(8.5).to(I32), 15L), 0);   // x · (1/d) + 8.5 > 0: truncation is floor
        Tile[] halves = split(q.reshape(BLOCKS, 2, BLOCK / 2).permute(0, 2, 1));    // [B, 16] each: elements j and j + 16
        Tile bytes = halves[0].or(halves[1].shl(4)).to(U8);
        store(quantsOf(blocks, b, Format.Q4_0.blockBytes, arange(0, BLOCK / 2)), bytes, mask.col());
    }

    @Kernel
    static void dequantizeQ8_0(Tile blocks, Tile out, Tile count, @Constexpr int BLOCKS) {
        Tile b = programId(0).to(I64).mul(BLOCKS).add(arange(0, BLOCKS));
        Tile mask = b.lt(count);
        Tile j = arange(0, BLOCK);
        Tile d = scaleOf(blocks, b, Format.Q8_0.blockBytes, mask);
        Tile q = load(quantsOf(blocks, b, Format.Q8_0.blockBytes, j).asPointerTo(I8), mask.col(), 0L);
        store(out.add(b.mul(BLOCK).col().add(j.row())), q.to(F32).mul(d.col()), mask.col());
    }

    @Kernel
    static void dequantizeQ4_0(Tile blocks, Tile out, Tile count, @Constexpr int BLOCKS) {
        Tile b = programId(0).to(I64).mul(BLOCKS).add(arange(0, BLOCKS));
        Tile mask = b.lt(count);
        Tile d = scaleOf(blocks, b, Format.Q4_0.blockBytes, mask);
        Tile qs = load(quantsOf(blocks, b, Format.Q4_0.blockBytes, arange(0, BLOCK / 2)), mask.col(), 0L).to(I32);
        Tile low = qs.and(15).sub(8).to(F32).mul(d.col()), high = qs.shr(4).sub(8).to(F32).mul(d.col());
        Tile values = join(low, high).permute(0, 2, 1).reshape(BLOCKS, BLOCK);   // [B, 2, 16]: elements j, then j + 16
        store(out.add(b.mul(BLOCK).col().add(arange(0, BLOCK).row())), values, mask.col());
    }

    /**
     * y = W·x, W [M, K] as M rows of K/32 blocks: BM rows per program, BB blocks of a row at a time
     * as [BM, BB, 32] tiles; each block's products are summed, then scaled by its d.
     */
    static void gemv(Tile w, Tile x, Tile y, Tile m, Tile k, Format format, int BM, int BB) {
        Tile rows = programId(0).mul(BM).add(arange(0, BM));
        Tile rowMask = rows.lt(m);
        Tile blocksPerRow = k.div(BLOCK);
        Var acc = var(zeros(F32, BM, BB));
        for (Tile start : range(0, blocksPerRow, BB)) {
            Tile col = start.add(arange(0, BB));                                       // block columns
            Tile mask = rowMask.col().and(col.row().lt(blocksPerRow));
            Tile b = rows.to(I64).mul(blocksPerRow).col().add(col.row());              // [BM, BB] block indices
            Tile d = load(w.asPointerTo(F16).add(b.mul(format.blockBytes / 2)), mask, 0.0).to(F32);
            Tile quants = w.add(b.mul(format.blockBytes).add(2).expandDims(2));         // [BM, BB, 1] first quant byte
            Tile xs = x.add(col.mul(BLOCK).col());                                      // [BB, 1] first x of each block
            Tile dot;
            if (format == Format.Q8_0) {
                Tile j = arange(0, BLOCK).reshape(1, 1, BLOCK);
                Tile q = load(quants.add(j).asPointerTo(I8), mask.expandDims(2), 0L).to(F32);
                Tile xv = load(xs.add(arange(0, BLOCK).row()), col.lt(blocksPerRow).col(), 0.0).to(F32);
                dot = sum(q.mul(xv.expandDims(0)), 2);
            } else {
                Tile j = arange(0, BLOCK / 2).reshape(1, 1, BLOCK / 2);
                Tile qs = load(quants.add(j), mask.expandDims(2), 0L).to(I32);
                Tile xMask = col.lt(blocksPerRow).col();
                Tile xLow = load(xs.add(arange(0, BLOCK / 2).row()), xMask, 0.0).to(F32);
                Tile xHigh = load(xs.add(arange(BLOCK / 2, BLOCK).row()), xMask, 0.0).to(F32);
                dot = sum(qs.and(15).sub(8).to(F32).mul(xLow.expandDims(0)).add(qs.shr(4).sub(8).to(F32).mul(xHigh.expandDims(0))), 2);
            }
            acc.set(acc.get().add(dot.mul(d)));
        }
        store(y.add(rows), sum(acc.get(), 1), rowMask);
    }

    @Kernel
    static void gemvQ8_0(Tile w, Tile x, Tile y, Tile m, Tile k, @Constexpr int BM, @Constexpr int BB) {
        gemv(w, x, y, m, k, Format.Q8_0, BM, BB);
    }

    @Kernel
    static void gemvQ4_0(Tile w, Tile x, Tile y, Tile m, Tile k, @Constexpr int BM, @Constexpr int BB) {
        gemv(w, x, y, m, k, Format.Q4_0, BM, BB);
    }

    static final JitKernel QUANTIZE_Q8_0 = Jit.kernel(Gguf.class, "quantizeQ8_0");
    static final JitKernel QUANTIZE_Q4_0 = Jit.kernel(Gguf.class, "quantizeQ4_0");
    static final JitKernel DEQUANTIZE_Q8_0 = Jit.kernel(Gguf.class, "dequantizeQ8_0");
    static final JitKernel DEQUANTIZE_Q4_0 = Jit.kernel(Gguf.class, "dequantizeQ4_0");
    static final JitKernel GEMV_Q8_0 = Jit.kernel(Gguf.class, "gemvQ8_0");
    static final JitKernel GEMV_Q4_0 = Jit.kernel(Gguf.class, "gemvQ4_0");

    /** Blocks per (de)quantize program; the GEMV's rows per program and blocks per step. */
    static final int BLOCKS = 32, GEMV_ROWS = 8, GEMV_BLOCKS = 8;

    /** The launch helper of this family: 4 warps, one stage. */
    private static void launch(JitKernel kernel, Grid grid, Object... args) {
        kernel.withOptions(4, 1).launch(grid, args);
    }

    // ------------------------------------------------------------------ host API

    /** x (f32, f16 or bf16, contiguous, a multiple of 32 values) in {@code format}'s blocks, bit for bit as llama.cpp writes them. */
    public static Quantized quantize(Tensor x, Format format) {
        long n = x.numel();
        if (n == 0 || n % BLOCK != 0) {
            throw new IllegalArgumentException(format + " quantizes whole blocks of " + BLOCK + " values; x has " + n + " (" + x + ")");
        }
        Quantized out = new Quantized(Tensor.empty(DType.U8, x.device(), n / BLOCK * format.blockBytes), format, x.shape());
        quantize(x, out);
        return out;
    }

    /** x quantized into {@code out} (x's shape), in out's format. */
    public static void quantize(Tensor x, Quantized out) {
        requireFloat("x", x);
        requireContiguous("x", x);
        requireShape("x", x, out.shape());
        requireSameDevice("x", x, out.blocks());
        long count = out.numel() / BLOCK;
        Grid g = grid(intSize(out.format() + " programs", cdiv(count, BLOCKS)));
        launch(out.format() == Format.Q8_0 ? QUANTIZE_Q8_0 : QUANTIZE_Q4_0, g, x, out.blocks(), count, BLOCKS);
    }

    /** The values as {@code dtype} (f32, f16 or bf16) in the tensor's shape. */
    public static Tensor dequantize(Quantized q, DType dtype) {
        requireFloat("the dequantized dtype", dtype);
        Tensor out = Tensor.empty(dtype, q.blocks().device(), q.shape());
        dequantize(q, out);
        return out;
    }

    /** {@link #dequantize(Quantized, DType)} into {@code out} (f32, f16 or bf16, q's shape, contiguous). */
    public static void dequantize(Quantized q, Tensor out) {
        requireFloat("out", out);
        requireShape("out", out, q.shape());
        requireContiguous("out", out);
        requireSameDevice("out", out, q.blocks());
        long count = q.numel() / BLOCK;
        Grid g = grid(intSize(q.format() + " programs", cdiv(count, BLOCKS)));
        launch(q.format() == Format.Q8_0 ? DEQUANTIZE_Q8_0 : DEQUANTIZE_Q4_0, g, q.blocks(), out, count, BLOCKS);
    }

    /** y = W·x, batch 1: W [M, K] in Q8_0 or Q4_0 (K a multiple of 32), x [K] (f32, f16 or bf16); y [M] in x's dtype. */
    public static Tensor gemv(Quantized w, Tensor x) {
        Tensor y = Tensor.empty(x.dtype(), x.device(), w.shape()[0]);
        gemv(w, x, y);
        return y;
    }

    /** {@link #gemv(Quantized, Tensor)} into {@code y} (f32, f16 or bf16, [M]). */
    public static void gemv(Quantized w, Tensor x, Tensor y) {
        long[] s = w.shape();
        if (s.length != 2 || s[1] % BLOCK != 0) {
            throw new IllegalArgumentException("the " + w.format() + " GEMV needs a matrix [M, K] with K a multiple of 32 (rows of whole blocks), got shape "
                    + Arrays.toString(s));
        }
        int m = intSize("rows", s[0]), k = intSize("columns", s[1]);
        requireFloat("x", x);
        requireContiguous("x", x);
        requireShape("x", x, k);
        requireSameDevice("x", x, w.blocks());
        requireFloat("y", y);
        requireShape("y", y, m);
        requireSameDevice("y", y, w.blocks());
        launch(w.format() == Format.Q8_0 ? GEMV_Q8_0 : GEMV_Q4_0, grid(cdiv(m, GEMV_ROWS)), w.blocks(), x, y, m, k, GEMV_ROWS, GEMV_BLOCKS);
    }
}
