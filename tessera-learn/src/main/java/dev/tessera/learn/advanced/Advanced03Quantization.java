package dev.tessera.learn.advanced;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.bench.Bench;
import dev.tessera.bench.BenchResult;
import dev.tessera.bench.TextTable;
import dev.tessera.bench.Throughput;
import dev.tessera.kernels.quant.Fp8;
import dev.tessera.kernels.quant.GemmConfig;
import dev.tessera.kernels.quant.Gguf;
import dev.tessera.kernels.quant.Int8;
import dev.tessera.kernels.quant.Nf4;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.learn.Timing;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Advanced chapter 3: quantization. What the formats store (codes and scales), what they cost in
 * accuracy, and why a 4-bit GEMV — the matrix-vector product of LLM decoding — is faster: it
 * moves about a quarter of the bytes of a bf16 one, and a GEMV does two flops per weight it reads,
 * so its time is the time to read the weights. Then prefill: with T tokens at once the same
 * weights do 2T flops each, the product becomes compute-bound, and what pays is the tensor cores'
 * rate for the operand types (int8 and FP8 GEMMs) rather than the bytes.
 */
public final class Advanced03Quantization {
    private Advanced03Quantization() {}

    /** y = W·x for a dense W [M, K]: BM rows per program, K walked BK at a time, f32 sums. The bf16 baseline. */
    @Kernel
    static void gemv(Tile w, Tile x, Tile y, Tile m, Tile k, @Constexpr int BM, @Constexpr int BK) {
        Tile rows = programId(0).mul(BM).add(arange(0, BM));
        Var acc = var(zeros(F32, BM, BK));
        for (Tile start : range(0, k, BK)) {
            Tile cols = start.add(arange(0, BK));
            Tile mask = rows.col().lt(m).and(cols.row().lt(k));
            Tile wt = load(w.add(rows.to(I64).mul(k).col()).add(cols.row()), mask, 0.0).to(F32);
            acc.set(acc.get().add(wt.mul(load(x.add(cols), cols.lt(k), 0.0).to(F32).row())));
        }
        store(y.add(rows), sum(acc.get(), 1), rows.lt(m));
    }

    static final JitKernel GEMV = Jit.kernel(Advanced03Quantization.class, "gemv");

    public static void denseGemv(Tensor w, Tensor x, Tensor y) {
        int m = (int) w.shape(0), k = (int) w.shape(1);
        GEMV.launch(grid(cdiv(m, 8)), w, x, y, m, k, 8, 512);
    }

    /** One format's storage and accuracy on the same random weights. */
    public record Format(String name, double bytesPerWeight, String scales, double relativeError) {}

    /** One GEMV variant: the bytes it must read and write, its time, and its error against float64. */
    public record Gemv(String name, double bytes, double ms, double gbps, double maxRelativeError) {}

    public record Result(List<Format> formats, List<Gemv> gemvs) {}

    /**
     * One quantized GEMM y = x·Wᵀ: its error against float64 of the unquantized bf16 operands (what
     * the format costs) and against float64 of its dequantized operands (what the kernel adds), both
     * as the largest |error| over Σ|x·w| of an output.
     */
    public record Gemm(String name, double formatError, double kernelError) {}

    /** The four quantized GEMMs of the library on T tokens x [T, K] and N(0, 0.02) weights W [N, K]. */
    public static List<Gemm> measureGemms(Device device, int t, int n, int k) {
        List<Gemm> gemms = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(5);
        double[] wv = new double[n * k], xv = new double[t * k];
        for (int i = 0; i < wv.length; i++) wv[i] = random.nextGaussian() * 0.02;
        for (int i = 0; i < xv.length; i++) xv[i] = random.nextGaussian();
        try (Tensor w = Tensor.from(wv, DType.BF16, device, n, k); Tensor x = Tensor.from(xv, DType.BF16, device, t, k);
             Tensor y = Tensor.empty(DType.F32, device, t, n); Tensor y16 = Tensor.empty(DType.BF16, device, t, n)) {
            double[] exactW = w.toDoubleArray(), exactX = x.toDoubleArray();
            try (Int8.Quantized qx = Int8.quantizeRows(x); Int8.Quantized qw = Int8.quantizeRows(w);
                 Tensor dx = Int8.dequantize(qx, DType.F32); Tensor dw = Int8.dequantize(qw, DType.F32)) {
                Int8.matmul(qx, qw, y, GemmConfig.DEFAULT);
                gemms.add(gemm("int8 x int8 (W8A8), s32 sums", y, exactX, exactW, dx.toDoubleArray(), dw.toDoubleArray(), t, n, k));
                Int8.matmulW8A16(x, qw, y16, GemmConfig.DEFAULT);
                gemms.add(gemm("bf16 x int8 (W8A16)", y16, exactX, exactW, exactX, dw.toDoubleArray(), t, n, k));
            }
            try (Nf4.Quantized qw = Nf4.quantize(w); Tensor dw = Nf4.dequantize(qw, DType.BF16)) {
                Nf4.matmul(x, qw, y16, GemmConfig.DEFAULT);
                gemms.add(gemm("bf16 x NF4, tiles dequantized into the dot", y16, exactX, exactW, exactX, dw.toDoubleArray(), t, n, k));
            }
            try (Fp8.Quantized qx = Fp8.quantize(x, DType.FP8E4M3, Fp8.Scaling.TILE_1X128);
                 Fp8.Quantized qw = Fp8.quantize(w, DType.FP8E4M3, Fp8.Scaling.BLOCK_128X128);
                 Tensor dx = Fp8.dequantize(qx, DType.F32); Tensor dw = Fp8.dequantize(qw, DType.F32)) {
                Fp8.matmul(qx, qw, y, Fp8.GEMM_CONFIG);
                gemms.add(gemm("e4m3 x e4m3, 1x128 and 128x128 scales", y, exactX, exactW, dx.toDoubleArray(), dw.toDoubleArray(), t, n, k));
            }
        }
        return gemms;
    }

    private static Gemm gemm(String name, Tensor y, double[] x, double[] w, double[] dx, double[] dw, int t, int n, int k) {
        double[] got = y.toDoubleArray();
        return new Gemm(name, worstError(got, x, w, t, n, k), worstError(got, dx, dw, t, n, k));
    }

    /** max over outputs of |got − x·Wᵀ| / Σ|x·w|, in float64. */
    private static double worstError(double[] got, double[] x, double[] w, int t, int n, int k) {
        double worst = 0;
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < n; j++) {
                double ref = 0, size = 0;
                for (int p = 0; p < k; p++) {
                    ref += x[i * k + p] * w[j * k + p];
                    size += Math.abs(x[i * k + p] * w[j * k + p]);
                }
                worst = Math.max(worst, Math.abs(got[i * n + j] - ref) / size);
            }
        }
        return worst;
    }

    /** The H200's rates as bench/NOTES.md measured them: device copy and cuBLAS's bf16 and FP8 GEMMs. */
    static final double BANDWIDTH = 4246e9, BF16_RATE = 713e12, FP8_RATE = 1300e12;

    /**
     * The lower bound on a linear layer's time on the H200 for T tokens, y [T, N] = x [T, K] · Wᵀ
     * with y in bf16: its flops over the tensor cores' {@code rate}, or its bytes over the
     * bandwidth ({@code weightBytes} per weight, {@code xBytes} per activation), whichever is larger.
     */
    public static double floorSeconds(long t, long n, long k, double weightBytes, double xBytes, double rate) {
        return Math.max(2.0 * t * n * k / rate, (n * k * weightBytes + t * k * xBytes + 2.0 * t * n) / BANDWIDTH);
    }

    /** Quantizes an [m, k] matrix of N(0, 0.02) weights in every format and times the three GEMVs. */
    public static Result measure(Device device, int m, int k, boolean quick) {
        List<Format> formats = new ArrayList<>();
        List<Gemv> gemvs = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(3);
        double[] values = new double[m * k];
        for (int i = 0; i < values.length; i++) values[i] = random.nextGaussian() * 0.02;
        try (Tensor weights = Tensor.from(values, DType.BF16, device, m, k); Tensor x = Tensor.randn(DType.BF16, 4, device, k)) {
            double[] exact = weights.toDoubleArray();
            try (Int8.Quantized q = Int8.quantizeRows(weights); Tensor back = Int8.dequantize(q, DType.F32)) {
                formats.add(new Format("int8, absmax per row", 1 + 4.0 / k, "f32 per row", rmsError(exact, back.toDoubleArray())));
            }
            try (Fp8.Quantized q = Fp8.quantize(weights, DType.FP8E4M3, Fp8.Scaling.BLOCK_128X128); Tensor back = Fp8.dequantize(q, DType.F32)) {
                formats.add(new Format("fp8 e4m3, 128x128 blocks", 1 + 4.0 / (128 * 128), "f32 per 128x128", rmsError(exact, back.toDoubleArray())));
            }
            try (Gguf.Quantized q = Gguf.quantize(weights, Gguf.Format.Q8_0); Tensor back = Gguf.dequantize(q, DType.F32)) {
                formats.add(new Format("GGUF Q8_0", 34.0 / 32, "f16 per 32", rmsError(exact, back.toDoubleArray())));
            }
            try (Gguf.Quantized q = Gguf.quantize(weights, Gguf.Format.Q4_0); Tensor back = Gguf.dequantize(q, DType.F32)) {
                formats.add(new Format("GGUF Q4_0", 18.0 / 32, "f16 per 32", rmsError(exact, back.toDoubleArray())));
            }
            try (Nf4.Quantized q = Nf4.quantize(weights); Tensor back = Nf4.dequantize(q, DType.F32)) {
                formats.add(new Format("NF4", 0.5 + 4.0 / 64, "f32 per 64", rmsError(exact, back.toDoubleArray())));
            }
            try (Nf4.Quantized q = Nf4.quantize(weights, true); Tensor back = Nf4.dequantize(q, DType.F32)) {
                formats.add(new Format("NF4, double-quantized", 0.5 + 1.0 / 64 + 4.0 / (64 * 256), "u8 per 64, f32 per 16384",
                        rmsError(exact, back.toDoubleArray())));
            }
            double vectors = 2.0 * k + 2.0 * m;   // x read, y written, bf16
            try (Tensor y = Tensor.empty(DType.BF16, device, m); Nf4.Quantized nf4 = Nf4.quantize(weights);
                 Gguf.Quantized q4 = Gguf.quantize(weights, Gguf.Format.Q4_0);
                 Tensor nf4w = Nf4.dequantize(nf4, DType.F32); Tensor q4w = Gguf.dequantize(q4, DType.F32)) {
                double[] xv = x.toDoubleArray();
                gemvs.add(time("bf16 weights", 2.0 * m * k + vectors, () -> denseGemv(weights, x, y), y, exact, xv, m, k, device, quick));
                gemvs.add(time("NF4 weights", m * k / 2.0 + 4.0 * m * k / 64 + vectors, () -> Nf4.gemv(nf4, x, y), y, nf4w.toDoubleArray(), xv,
                        m, k, device, quick));
                gemvs.add(time("Q4_0 weights", 18.0 * m * k / 32 + vectors, () -> Gguf.gemv(q4, x, y), y, q4w.toDoubleArray(), xv, m, k,
                        device, quick));
            }
        }
        return new Result(formats, gemvs);
    }

    private static Gemv time(String name, double bytes, Runnable call, Tensor y, double[] w, double[] x, int m, int k, Device device,
                             boolean quick) {
        call.run();
        device.backendImpl().synchronize(device.index());
        double[] got = y.toDoubleArray();
        double worst = 0;
        for (int r = 0; r < m; r++) {
            double ref = 0, size = 0;
            for (int j = 0; j < k; j++) {
                ref += w[r * k + j] * x[j];
                size += Math.abs(w[r * k + j] * x[j]);
            }
            worst = Math.max(worst, Math.abs(got[r] - ref) / size);
        }
        BenchResult b = Bench.doBench(call, Timing.options(device, quick));
        return new Gemv(name, bytes, b.medianMs(), Throughput.gbps(bytes, b.medianMs()), worst);
    }

    private static double rmsError(double[] exact, double[] got) {
        double e = 0, s = 0;
        for (int i = 0; i < exact.length; i++) {
            e += (got[i] - exact[i]) * (got[i] - exact[i]);
            s += exact[i] * exact[i];
        }
        return Math.sqrt(e / s);
    }

    /** Eight values of one block, as int8, NF4 and Q4_0 store them. */
    private static void showBlock(PrintStream out, Device device) {
        double[] v = {0.031, -0.012, 0.0, 0.0045, -0.027, 0.018, -0.0061, 0.0093};
        double[] block = new double[64];
        for (int i = 0; i < 64; i++) block[i] = v[i % 8] * (i < 8 ? 1 : 0.5);
        try (Tensor x = Tensor.from(block, DType.F32, device, 1, 64); Int8.Quantized i8 = Int8.quantizeRows(x);
             Nf4.Quantized nf4 = Nf4.quantize(x); Tensor nf4Back = Nf4.dequantize(nf4, DType.F32);
             Gguf.Quantized q4 = Gguf.quantize(x, Gguf.Format.Q4_0); Tensor q4Back = Gguf.dequantize(q4, DType.F32)) {
            long[] codes = i8.values().toLongArray(), packed = nf4.packed().toLongArray(), raw = q4.blocks().toLongArray();
            double scale = i8.scales().toDoubleArray()[0], absmax = ((Nf4.Plain) nf4.absmax()).values().toDoubleArray()[0];
            float d = Float.float16ToFloat((short) (raw[0] | raw[1] << 8));
            out.printf("One block of 64 values (the first 8 shown). int8: scale = absmax/127 = %.6f; NF4: absmax = %.4f;"
                    + " Q4_0 (first 32): d = max/-8 = %.6f (f16)%n", scale, absmax, d);
            TextTable t = TextTable.of("x", "int8 code", "int8 value", "NF4 code", "NF4 value", "Q4_0 code", "Q4_0 value");
            double[] nb = nf4Back.toDoubleArray(), qb = q4Back.toDoubleArray();
            for (int i = 0; i < 8; i++) {
                long nibble = i % 2 == 0 ? packed[i / 2] >> 4 : packed[i / 2] & 15;
                long q = raw[2 + i] & 15;
                t.addRow(String.format("%.4f", block[i]), String.valueOf(codes[i]), String.format("%.5f", codes[i] * scale),
                        String.valueOf(nibble), String.format("%.5f", nb[i]), String.valueOf(q), String.format("%.5f", qb[i]));
            }
            t.print(out);
        }
    }

    public static void run(PrintStream out, Device device, boolean quick) {
        int m = quick ? 256 : 2048, k = quick ? 512 : 2048;
        out.println("Quantization stores each weight as a small integer code and keeps, per group of weights, a scale");
        out.println("that turns codes back into values: x ~ code * scale (NF4: a 16-entry table of normal quantiles * absmax).\n");
        showBlock(out, device);
        Result r = measure(device, m, k, quick);
        out.printf("%nThe formats on a %d x %d matrix of N(0, 0.02) weights (bf16: 2 bytes a weight):%n", m, k);
        TextTable f = TextTable.of("format", "bytes / weight", "vs bf16", "scales", "rms error / rms");
        for (Format x : r.formats()) {
            f.addRow(x.name(), String.format("%.4f", x.bytesPerWeight()), String.format("%.2fx less", 2 / x.bytesPerWeight()), x.scales(),
                    String.format("%.4f", x.relativeError()));
        }
        f.print(out);
        out.printf("%nGEMV y = W.x (batch 1, decoding one token), W %d x %d; bytes = weights + x + y:%n", m, k);
        TextTable g = TextTable.of("weights", "MB moved", "median (ms)", "GB/s", "max error / sum|w.x|");
        for (Gemv x : r.gemvs()) {
            g.addRow(x.name(), String.format("%.3f", x.bytes() / 1e6), String.format("%.3f", x.ms()), String.format("%.2f", x.gbps()),
                    String.format("%.1e", x.maxRelativeError()));
        }
        g.print(out);
        Gemv bf16 = r.gemvs().get(0), nf4 = r.gemvs().get(1), q4 = r.gemvs().get(2);
        out.printf("%nNF4 moves %.2fx fewer bytes than bf16, Q4_0 %.2fx: 4 bits instead of 16 is 4x, less the scales"
                + " (NF4 4 bytes per 64 weights, Q4_0 2 bytes per 32).%n", bf16.bytes() / nf4.bytes(), bf16.bytes() / q4.bytes());
        out.printf("Measured here: bf16 %.3f ms, NF4 %.3f ms (%.2fx), Q4_0 %.3f ms (%.2fx).%n", bf16.ms(), nf4.ms(), bf16.ms() / nf4.ms(),
                q4.ms(), bf16.ms() / q4.ms());
        out.println("A GEMV does 2 flops per weight it reads: on a GPU it is bound by memory bandwidth, so its time follows the bytes");
        out.println("and the 4-bit kernels approach the ratio above (the unpacking is free next to the memory traffic).");
        if (device.backend().equals("cpu")) {
            out.println("On the CPU backend the kernels are bound by interpreting tiles, not by memory: the unpacking and the table");
            out.println("lookups cost more than the bytes they save, so the times show the work per weight, not the traffic.");
        }
        boolean ok = r.gemvs().stream().allMatch(x -> x.maxRelativeError() < 1e-2);
        out.println(ok ? "every GEMV matches float64 of its dequantized weights" : "A GEMV IS WRONG");
        prefill(out, device, quick);
    }

    /** Part two: many tokens at once, where the weights' bytes stop deciding the time. */
    private static void prefill(PrintStream out, Device device, boolean quick) {
        long n = 4096, k = 4096;
        out.printf("%nPrefill: T tokens at once make the GEMV a GEMM, y [T, N] = x [T, K] . W^T, and each weight read does 2T flops.%n");
        out.printf("Lower bounds on the H200 for N = K = %d (bench/NOTES.md: copy %.0f GB/s, cuBLAS bf16 %.0f, FP8 %.0f TFLOP/s):%n", n,
                BANDWIDTH / 1e9, BF16_RATE / 1e12, FP8_RATE / 1e12);
        TextTable m = TextTable.of("T", "bf16 W (us)", "NF4 W, bf16 dot (us)", "NF4 / bf16", "e4m3 W and x (us)", "FP8 / bf16", "bound by (bf16)");
        for (long t : new long[] {1, 16, 64, 256, 1024, 4096}) {
            double bf16 = floorSeconds(t, n, k, 2, 2, BF16_RATE), nf4 = floorSeconds(t, n, k, 0.5 + 4.0 / 64, 2, BF16_RATE);
            double fp8 = floorSeconds(t, n, k, 1, 1, FP8_RATE);
            boolean compute = bf16 == 2.0 * t * n * k / BF16_RATE;
            m.addRow(String.valueOf(t), String.format("%.1f", bf16 * 1e6), String.format("%.1f", nf4 * 1e6), String.format("%.2fx", bf16 / nf4),
                    String.format("%.1f", fp8 * 1e6), String.format("%.2fx", bf16 / fp8), compute ? "flops" : "bytes");
        }
        m.print(out);
        out.println("Up to about a hundred tokens the weights' bytes decide and 4 bits win almost 3.6x; beyond, the flops decide:");
        out.println("NF4 weights are dequantized to bf16 tiles for the tensor cores and run at bf16's rate (no faster than bf16),");
        out.println("while int8 and FP8 operands multiply at about twice bf16's rate: quantizing the activations too is what speeds up prefill.");
        int t = quick ? 32 : 128, gn = quick ? 96 : 512, gk = quick ? 160 : 1024;
        out.printf("%nThe library's quantized GEMMs on this device, x [%d, %d] (bf16) and W [%d, %d] of N(0, 0.02);%n", t, gk, gn, gk);
        out.println("errors are max |y - ref| / sum|x.w| of an output, ref in float64:");
        TextTable g = TextTable.of("GEMM", "vs the bf16 operands (the format)", "vs its dequantized operands (the kernel)");
        List<Gemm> gemms = measureGemms(device, t, gn, gk);
        for (Gemm x : gemms) g.addRow(x.name(), String.format("%.1e", x.formatError()), String.format("%.1e", x.kernelError()));
        g.print(out);
        boolean exact = gemms.stream().allMatch(x -> x.kernelError() < 1e-2);
        out.println(exact ? "every GEMM matches float64 of its dequantized operands up to its output's rounding"
                : "A GEMM IS WRONG");
    }
}
