package dev.tessera.kernels.quant;

import static dev.tessera.kernels.quant.QuantTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The quantized GEMMs against float64 products of their dequantized operands, on every device:
 * sizes that are no multiple of the blocks, outputs poisoned with NaN before the run. One small
 * blocking per kernel (few specializations: the ptxcheck device assembles each one twice).
 */
@ExtendWith(SeedExtension.class)
class QuantGemmTest {
    /**
     * Odd sizes: two row tiles and a part, a partial column tile, K no multiple of the K step (nor of
     * 64 or 128) but of 16, so that rows of A start 16-byte aligned and its loads are pipelined
     * with cp.async on a GPU, as in the benchmarks.
     */
    static final int M = 37, N = 75, K = 208;

    /** The bound on f32 sums of K products in any order (K · 2^-24 of Σ|terms|), tensor cores' included. */
    static final double F32_SUMS = K * 0x1p-24;

    /** Tiles of 32 × 64 over K steps of 64: i8 and fp8 dots need K steps of 32 at least. */
    static final GemmConfig SMALL = new GemmConfig(32, 64, 64, 4, 4, 2);

    /**
     * out within outRounding·|ref| (the output's rounding) + accError·Σ|terms| (f32 accumulation,
     * scaling) of the float64 reference; NaN never passes.
     */
    static void closeToSums(double[] ref, double[] magnitude, double[] out, double outRounding, double accError, String what) {
        assertEquals(ref.length, out.length, what + ": number of results");
        for (int i = 0; i < ref.length; i++) {
            double bound = outRounding * Math.abs(ref[i]) + accError * magnitude[i] + Double.MIN_NORMAL;
            if (!(Math.abs(out[i] - ref[i]) <= bound)) {
                fail(what + ": element [" + i / (ref.length / M) + ", " + i % (ref.length / M) + "] is " + out[i] + ", expected " + ref[i]
                        + " (|diff| " + Math.abs(out[i] - ref[i]) + " > " + bound + ")");
            }
        }
    }

    /** C = A·B in float64 and Σ|a·b| per element, for A [m, k] and B [k, n], both row-major. */
    static double[][] product(double[] a, double[] b, int m, int n, int k) {
        double[] c = new double[m * n], mag = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double av = a[i * k + p];
                for (int j = 0; j < n; j++) {
                    c[i * n + j] += av * b[p * n + j];
                    mag[i * n + j] += Math.abs(av * b[p * n + j]);
                }
            }
        }
        return new double[][] {c, mag};
    }

    /** x [r, c] transposed. */
    static double[] transpose(double[] x, int r, int c) {
        double[] t = new double[x.length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) t[j * r + i] = x[i * c + j];
        return t;
    }

    /** The int8 codes times their scales, in float64: [rows, cols] with scales along the quantized axis. */
    static double[] dequantized(Int8.Quantized q) {
        long[] codes = q.values().toLongArray();
        double[] s = q.scales().toDoubleArray();
        int cols = (int) q.values().shape(1);
        double[] out = new double[codes.length];
        for (int i = 0; i < codes.length; i++) out[i] = codes[i] * s[q.axis() == Int8.Axis.ROWS ? i / cols : i % cols];
        return out;
    }

    /** Random rows, with an all-zero row (scale 0) and a row of one large value among small ones. */
    static double[] activations(long seed, int m, int k) {
        double[] x = normal(seed, m * k, 2);
        java.util.Arrays.fill(x, 3 * k, 4 * k, 0.0);
        x[5 * k + 11] = 300;
        return x;
    }

    // ------------------------------------------------------------------ INT8

    /** The i32 sums are exact: what is left is the float64 reference's own rounding of its products and sums. */
    static final double EXACT_SUM = 0x1p-45;

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void int8GemmAppliesRowAndColumnScales(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        try (Tensor x = Tensor.from(activations(seed, M, K), DType.F32, d, M, K);
             Tensor b = Tensor.from(normal(seed + 1, K * N, 0.5), DType.F32, d, K, N);
             Tensor w = Tensor.from(normal(seed + 2, N * K, 0.5), DType.F32, d, N, K);
             Int8.Quantized qa = Int8.quantizeRows(x); Int8.Quantized qb = Int8.quantizeColumns(b); Int8.Quantized qw = Int8.quantizeRows(w);
             Tensor c = Tensor.full(DType.F32, Double.NaN, d, M, N); Tensor cw = Tensor.full(DType.BF16, Double.NaN, d, M, N)) {
            double[] a = dequantized(qa);
            // B [K, N] with a scale per column, out in f32: the i32 sum converted and scaled twice (3 f32 roundings)
            Int8.matmul(qa, qb, c, SMALL);
            double[][] ref = product(a, dequantized(qb), M, N, K);
            closeToSums(ref[0], ref[1], c.toDoubleArray(), 0x1p-22, EXACT_SUM, "A·B, B [K, N] per column, f32 out");
            // W [N, K] with a scale per row (per output channel), multiplied as Wᵀ, out in bf16
            Int8.matmul(qa, qw, cw, SMALL);
            double[][] refW = product(a, transpose(dequantized(qw), N, K), M, N, K);
            closeToSums(refW[0], refW[1], cw.toDoubleArray(), 0x1p-8 + 0x1p-22, EXACT_SUM, "A·Wᵀ, W [N, K] per row, bf16 out");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void w8a16DequantizesWeightsOnTheFly(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        try (Tensor x = Tensor.from(activations(seed, M, K), DType.BF16, d, M, K);
             Tensor w = Tensor.from(normal(seed + 1, N * K, 0.05), DType.F32, d, N, K);
             Tensor b = Tensor.from(normal(seed + 2, K * N, 0.05), DType.F32, d, K, N);
             Int8.Quantized qw = Int8.quantizeRows(w); Int8.Quantized qb = Int8.quantizeColumns(b);
             Tensor y = Tensor.full(DType.BF16, Double.NaN, d, M, N); Tensor yb = Tensor.full(DType.F32, Double.NaN, d, M, N)) {
            double[] xv = x.toDoubleArray();
            // nn.Linear's layout: y = x·Wᵀ with a scale per output channel, y in bf16
            Int8.matmulW8A16(x, qw, y, SMALL);
            double[][] ref = product(xv, transpose(dequantized(qw), N, K), M, N, K);
            closeToSums(ref[0], ref[1], y.toDoubleArray(), 0x1p-8, F32_SUMS, "x·Wᵀ, bf16 out");
            // B [K, N] per column, y in f32
            Int8.matmulW8A16(x, qb, yb, SMALL);
            double[][] refB = product(xv, dequantized(qb), M, N, K);
            closeToSums(refB[0], refB[1], yb.toDoubleArray(), 0x1p-23, F32_SUMS, "x·B, f32 out");
        }
    }

    // ------------------------------------------------------------------ NF4

    /** W as the NF4 matmul dequantizes it, in float64: CODE[q] · absmax (f32) rounded to {@code t}, from W's quantized state. */
    static double[] dequantized(Nf4.Quantized q, DType t) {
        long[] packed = q.packed().toLongArray();
        float[] absmax = switch (q.absmax()) {
            case Nf4.Plain p -> floats(p.values().toDoubleArray());
            case Nf4.Nested d -> {
                long[] codes = d.codes().toLongArray();
                float[] map = floats(d.map().toDoubleArray()), scales = floats(d.scales().toDoubleArray());
                float offset = (float) d.offset().toDoubleArray()[0];
                float[] a = new float[codes.length];
                for (int b = 0; b < a.length; b++) a[b] = map[(int) codes[b]] * scales[b / Nf4.NESTED_BLOCK] + offset;
                yield a;
            }
        };
        double[] w = new double[(int) q.numel()];
        for (int i = 0; i < w.length; i++) {
            int c = (int) (i % 2 == 0 ? packed[i / 2] >> 4 : packed[i / 2] & 15);
            w[i] = round(Nf4.CODE[c] * absmax[i / Nf4.BLOCK], t);
        }
        return w;
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void nf4MatmulDequantizesTilesIntoTheDot(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        int k = K;   // no multiple of 64: NF4 blocks run across W's rows
        for (DType t : new DType[] {DType.BF16, DType.F16}) {
            boolean nested = t == DType.F16;
            try (Tensor x = Tensor.from(activations(seed, M, k), t, d, M, k); Tensor w = Tensor.from(normal(seed + 1, N * k, 0.05), t, d, N, k);
                 Nf4.Quantized q = Nf4.quantize(w, nested); Tensor y = Tensor.full(t, Double.NaN, d, M, N)) {
                Nf4.matmul(x, q, y, SMALL);
                double[][] ref = product(x.toDoubleArray(), transpose(dequantized(q, t), N, k), M, N, k);
                closeToSums(ref[0], ref[1], y.toDoubleArray(), t == DType.BF16 ? 0x1p-8 : 0x1p-11, F32_SUMS,
                        "x·Wᵀ, W in NF4, " + t + (nested ? ", double-quantized absmax" : ""));
            }
        }
    }

    @Test
    void nf4MatmulArgumentsAreChecked() {
        Device d = Device.cpu();
        try (Tensor w = Tensor.zeros(DType.BF16, d, 8, 33); Tensor we = Tensor.zeros(DType.BF16, d, 8, 32); Nf4.Quantized odd = Nf4.quantize(w);
             Nf4.Quantized even = Nf4.quantize(we); Tensor x = Tensor.zeros(DType.BF16, d, 4, 32); Tensor x33 = Tensor.zeros(DType.BF16, d, 4, 33);
             Tensor f = Tensor.zeros(DType.F32, d, 4, 32); Tensor flat = Tensor.zeros(DType.BF16, d, 64); Nf4.Quantized vector = Nf4.quantize(flat)) {
            QuantInt8Test.assertMessage(() -> Nf4.matmul(x33, odd), "needs an even K");
            QuantInt8Test.assertMessage(() -> Nf4.matmul(x33, even), "differ in K");
            QuantInt8Test.assertMessage(() -> Nf4.matmul(f, even), "f16 or bf16 activations");
            QuantInt8Test.assertMessage(() -> Nf4.matmul(x, vector), "needs a weight matrix [N, K]");
        }
    }

    // ------------------------------------------------------------------ FP8

    /** FP8 values times the scale of their block, in float64. */
    static double[] dequantized(Fp8.Quantized q) {
        double[] v = q.values().toDoubleArray(), s = q.scales().toDoubleArray();
        int rows = (int) q.values().shape(0), cols = (int) q.values().shape(1), sc = (int) q.scales().shape(1);
        int br = q.scaling().blockRows(rows), bc = q.scaling().blockCols(cols);
        for (int i = 0; i < v.length; i++) v[i] *= s[(i / cols) / br * sc + (i % cols) / bc];
        return v;
    }

    /**
     * Through pointers: the test's blocking (mma.sync), the library's (64×128 on one warpgroup) and
     * 128×128 tiles on two (wgmma on sm_90a, both); through descriptors: the test's and the
     * library's (128×128 on two warpgroups, TMA on sm_90a).
     */
    static Stream<Arguments> fp8Configs() {
        return TestDevices.all().flatMap(d -> Stream.of(Arguments.of(d, "pointers", SMALL), Arguments.of(d, "pointers", Fp8.GEMM_CONFIG),
                Arguments.of(d, "pointers", new GemmConfig(128, 128, 128, 8, 8, 3)),
                Arguments.of(d, "descriptors", SMALL), Arguments.of(d, "descriptors", Fp8.DESCRIPTOR_GEMM_CONFIG)));
    }

    @ParameterizedTest(name = "{0} through {1}, {2}")
    @MethodSource("fp8Configs")
    void fp8GemmAppliesBlockScalesPerKBlock(Device device, String route, GemmConfig config, @Seed long seed) {
        Device d = TestDevices.require(device);
        int n = 200, k = 304;   // two weight row blocks, the second partial; K blocks of 128, 128 and 48
        double[] wv = normal(seed + 1, n * k, 0.05);
        for (int i = 0; i < 128 * k; i++) if (i % k >= 128) wv[i] *= 1000;   // block scales that differ by 10^3 within a row
        try (Tensor x = Tensor.from(activations(seed, M, k), DType.BF16, d, M, k); Tensor w = Tensor.from(wv, DType.BF16, d, n, k);
             Fp8.Quantized qa = Fp8.quantize(x, DType.FP8E4M3, Fp8.Scaling.TILE_1X128);
             Fp8.Quantized qw = Fp8.quantize(w, DType.FP8E4M3, Fp8.Scaling.BLOCK_128X128);
             Tensor y = Tensor.full(DType.F32, Double.NaN, d, M, n)) {
            if (route.equals("pointers")) Fp8.matmulThroughPointers(qa, qw, y, config);
            else Fp8.matmulThroughDescriptors(qa, qw, y, config);
            double[][] ref = product(dequantized(qa), transpose(dequantized(qw), n, k), M, n, k);
            // a GPU's FP8 mma keeps fewer bits than f32 in its sums (Hopper's about 13-14, truncated at
            // each of a K block's four wgmma steps): on an H200, 2^-12 of Σ|terms| was exceeded by 8 % (one
            // element, one seed), and 2^-11 by up to 13 % (one element each of three seeds, on 128x128 and
            // 64x128 tiles), so 2^-10; a scale applied to the wrong K block is off by orders of magnitude
            closeToSums(ref[0], ref[1], y.toDoubleArray(), 0x1p-23, 0x1p-10, "A·Wᵀ, e4m3, 1x128 and 128x128 scales, through " + route);
        }
    }

    /** The per-tensor GEMM at the test's blocking and the library's (128×256 on two warpgroups), e4m3 and e5m2, into bf16. */
    static Stream<Arguments> fp8TensorConfigs() {
        return TestDevices.all().flatMap(d -> Stream.of(Arguments.of(d, DType.FP8E4M3, SMALL), Arguments.of(d, DType.FP8E4M3, Fp8.TENSOR_GEMM_CONFIG),
                Arguments.of(d, DType.FP8E5M2, SMALL)));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("fp8TensorConfigs")
    void fp8GemmWithOneScaleATensorScalesOnce(Device device, DType format, GemmConfig config, @Seed long seed) {
        Device d = TestDevices.require(device);
        int n = 300, k = 304;   // a partial column tile of 256 and of 64; K steps of 128, 128 and 48
        try (Tensor x = Tensor.from(activations(seed, M, k), DType.BF16, d, M, k); Tensor w = Tensor.from(normal(seed + 1, n * k, 0.05), DType.BF16, d, n, k);
             Fp8.Quantized qa = Fp8.quantize(x, format, Fp8.Scaling.TENSOR);
             Fp8.Quantized qw = Fp8.quantize(w, format, Fp8.Scaling.TENSOR);
             Tensor y = Tensor.full(DType.BF16, Double.NaN, d, M, n)) {
            Fp8.matmul(qa, qw, y, config);
            double[][] ref = product(dequantized(qa), transpose(dequantized(qw), n, k), M, n, k);
            // the sums accumulate in place on the tensor cores over all of K: each of the ten wgmma
            // steps of 32 may truncate the running sum to about 2^-13, so 2^-9 of Σ|terms| (the
            // block-scaled test's 2^-10 covers four steps a promotion); bf16 output rounding 2^-8
            closeToSums(ref[0], ref[1], y.toDoubleArray(), 0x1p-8, 0x1p-9, "A·Wᵀ, " + format + ", per-tensor scales");
        }
    }

    @Test
    void fp8GemmArgumentsAreChecked() {
        Device d = Device.cpu();
        try (Tensor x = Tensor.zeros(DType.BF16, d, 4, 256); Tensor x2 = Tensor.zeros(DType.BF16, d, 4, 128);
             Fp8.Quantized tiles = Fp8.quantize(x, DType.FP8E4M3, Fp8.Scaling.TILE_1X128);
             Fp8.Quantized blocks = Fp8.quantize(x, DType.FP8E4M3, Fp8.Scaling.BLOCK_128X128);
             Fp8.Quantized e5m2 = Fp8.quantize(x, DType.FP8E5M2, Fp8.Scaling.BLOCK_128X128);
             Fp8.Quantized shortK = Fp8.quantize(x2, DType.FP8E4M3, Fp8.Scaling.BLOCK_128X128)) {
            QuantInt8Test.assertMessage(() -> Fp8.matmul(blocks, blocks, DType.F32), "A must be quantized in 1x128 tiles");
            QuantInt8Test.assertMessage(() -> Fp8.matmul(tiles, tiles, DType.F32), "W must be quantized in 128x128 blocks");
            QuantInt8Test.assertMessage(() -> Fp8.matmul(tiles, e5m2, DType.F32), "in one format");
            QuantInt8Test.assertMessage(() -> Fp8.matmul(tiles, shortK, DType.F32), "differ in K");
            try (Tensor y = Tensor.zeros(DType.F32, d, 4, 4)) {
                QuantInt8Test.assertMessage(() -> Fp8.matmul(tiles, blocks, y, new GemmConfig(64, 64, 256, 8, 4, 3)), "must divide 128");
                QuantInt8Test.assertMessage(() -> Fp8.matmul(tiles, blocks, y, new GemmConfig(64, 256, 64, 8, 4, 3)), "column tile must divide 128");
                try (Tensor x3 = Tensor.zeros(DType.BF16, d, 4, 136); Fp8.Quantized oddK = Fp8.quantize(x3, DType.FP8E4M3, Fp8.Scaling.TENSOR);
                     Tensor x4 = Tensor.zeros(DType.BF16, d, 4, 136); Fp8.Quantized oddKw = Fp8.quantize(x4, DType.FP8E4M3, Fp8.Scaling.TENSOR)) {
                    // 136 is a multiple of 8 only: the descriptor path's rows must be whole 16-byte units
                    QuantInt8Test.assertMessage(() -> Fp8.matmul(oddK, oddKw, y, Fp8.TENSOR_GEMM_CONFIG), "K a multiple of 16");
                }
                try (Fp8.Quantized perTensor = Fp8.quantize(x, DType.FP8E4M3, Fp8.Scaling.TENSOR)) {
                    QuantInt8Test.assertMessage(() -> Fp8.matmul(perTensor, blocks, y, Fp8.GEMM_CONFIG), "A must be quantized in 1x128 tiles (or both per tensor)");
                    QuantInt8Test.assertMessage(() -> Fp8.matmulThroughPointers(perTensor, perTensor, y, Fp8.GEMM_CONFIG), "per-tensor operands go through descriptors");
                }
            }
        }
    }

    @Test
    void int8GemmArgumentsAreChecked() {
        Device d = Device.cpu();
        try (Tensor x = Tensor.zeros(DType.F32, d, 4, 32); Tensor other = Tensor.zeros(DType.F32, d, 48, 8);
             Int8.Quantized rows = Int8.quantizeRows(x); Int8.Quantized cols = Int8.quantizeColumns(x);
             Int8.Quantized wrongK = Int8.quantizeColumns(other); Tensor h = Tensor.zeros(DType.BF16, d, 4, 32)) {
            QuantInt8Test.assertMessage(() -> Int8.matmul(cols, cols, DType.F32), "A must be quantized per row");
            QuantInt8Test.assertMessage(() -> Int8.matmul(rows, wrongK, DType.F32), "differ in K");
            QuantInt8Test.assertMessage(() -> Int8.matmul(rows, rows, DType.I32), "must be f32, f16 or bf16");
            QuantInt8Test.assertMessage(() -> Int8.matmulW8A16(x, rows), "f16 or bf16 activations");
            try (Tensor y = Tensor.zeros(DType.BF16, d, 4, 5)) {
                QuantInt8Test.assertMessage(() -> Int8.matmulW8A16(h, rows, y, GemmConfig.DEFAULT), "out must have shape [4, 4]");
            }
            QuantInt8Test.assertMessage(() -> new GemmConfig(48, 64, 64, 8, 4, 3), "power of 2");
        }
    }

    static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }
}
