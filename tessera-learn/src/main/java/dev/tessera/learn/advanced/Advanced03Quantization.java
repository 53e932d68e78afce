package dev.tessera.learn.advanced;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.bench.Bench;
import dev.tessera.bench.BenchResult;
import dev.tessera.bench.TextTable;
import dev.tessera.bench.Throughput;
import dev.tessera.kernels.quant.Fp8;
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
 * so its time is the time to read the weights.
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
    }
}
