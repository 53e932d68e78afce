package dev.tessera.learn.advanced;

import dev.tessera.bench.Bench;
import dev.tessera.bench.TextTable;
import dev.tessera.kernels.matmul.Matmul;
import dev.tessera.kernels.matmul.MatmulConfig;
import dev.tessera.kernels.activation.Softmax;
import dev.tessera.kernels.attention.FlashAttention;
import dev.tessera.learn.Timing;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.io.PrintStream;

/**
 * Advanced chapter 1: flash attention. Attention is softmax(Q·Kᵀ·scale)·V; computed as written it
 * materializes the [N, N] scores, O(N²) memory that dwarfs Q, K and V at long sequences. Tiling the
 * keys and keeping an <em>online softmax</em> (a running maximum m, a running sum l, and the output
 * rescaled whenever m grows) gives the same result from one block of scores at a time: O(N) memory,
 * and the scores never leave the chip. The backward pass saves only the log-sum-exp of each row and
 * recomputes P from it.
 */
public final class Advanced01FlashAttention {
    private Advanced01FlashAttention() {}

    /** The online softmax over one row of scores in blocks: the running (m, l) after each block, and the final weights. */
    public record Walk(double[] maxima, double[] sums, double[] online, double[] twoPass) {}

    /** softmax(s) computed block by block, as flash attention computes each row, beside the usual two passes. */
    public static Walk onlineSoftmax(double[] s, int block) {
        int blocks = (s.length + block - 1) / block;
        double[] maxima = new double[blocks], sums = new double[blocks], weights = new double[s.length];
        double m = Double.NEGATIVE_INFINITY, l = 0;
        for (int b = 0; b < blocks; b++) {
            double mNew = m;
            for (int j = b * block; j < Math.min(s.length, (b + 1) * block); j++) mNew = Math.max(mNew, s[j]);
            double alpha = Math.exp(m - mNew);                 // what the sum so far is worth under the new maximum
            l *= alpha;
            for (int j = 0; j < b * block; j++) weights[j] *= alpha;   // in the kernel: the output accumulator, rescaled once a block
            for (int j = b * block; j < Math.min(s.length, (b + 1) * block); j++) l += weights[j] = Math.exp(s[j] - mNew);
            m = mNew;
            maxima[b] = m;
            sums[b] = l;
        }
        for (int j = 0; j < s.length; j++) weights[j] /= l;
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double x : s) max = Math.max(max, x);
        double[] twoPass = new double[s.length];
        for (int j = 0; j < s.length; j++) sum += twoPass[j] = Math.exp(s[j] - max);
        for (int j = 0; j < s.length; j++) twoPass[j] /= sum;
        return new Walk(maxima, sums, weights, twoPass);
    }

    /** One head of attention, naive (three library kernels and an [N, N] scores tensor) and flash, against float64. */
    public record Result(int n, int d, double naiveMs, double flashMs, long naiveBytes, long flashBytes, double naiveError, double flashError,
                         double[] gradientErrors) {}

    public static Result measure(Device device, int n, int d, boolean quick) {
        double scale = 1 / Math.sqrt(d);
        try (Tensor q = Tensor.randn(DType.F16, 1, device, 1, 1, n, d); Tensor k = Tensor.randn(DType.F16, 2, device, 1, 1, n, d);
             Tensor v = Tensor.randn(DType.F16, 3, device, 1, 1, n, d); Tensor dOut = Tensor.randn(DType.F16, 4, device, 1, 1, n, d)) {
            double[] qv = q.toDoubleArray(), kv = k.toDoubleArray(), vv = v.toDoubleArray(), gv = dOut.toDoubleArray();
            double[][] ref = reference(qv, kv, vv, gv, n, d, scale);
            // naive: S = (scale·Q)·Kᵀ into an [N, N] tensor, P = softmax(S) row by row, O = P·V, all in f32
            double[] scaled = qv.clone();
            for (int i = 0; i < scaled.length; i++) scaled[i] *= scale;
            try (Tensor qs = Tensor.from(scaled, DType.F32, device, n, d); Tensor kf = Tensor.from(kv, DType.F32, device, n, d);
                 Tensor vf = Tensor.from(vv, DType.F32, device, n, d); Tensor kT = kf.transpose(0, 1);
                 Tensor scores = Tensor.empty(DType.F32, device, n, n); Tensor p = Tensor.empty(DType.F32, device, n, n);
                 Tensor naiveOut = Tensor.empty(DType.F32, device, n, d)) {
                Runnable naive = () -> {
                    Matmul.matmul(qs, kT, scores, MatmulConfig.DEFAULT, true);
                    Softmax.softmax(scores, p);
                    Matmul.matmul(p, vf, naiveOut, MatmulConfig.DEFAULT, true);
                };
                naive.run();
                double naiveError = maxError(ref[0], naiveOut.toDoubleArray());
                double naiveMs = Bench.doBench(naive, Timing.options(device, quick)).medianMs();
                try (FlashAttention.Context ctx = FlashAttention.forward(q, k, v)) {
                    double flashError = maxError(ref[0], ctx.out().toDoubleArray());
                    double flashMs = Bench.doBench(() -> FlashAttention.forward(q, k, v, ctx.out(), ctx.lse(), FlashAttention.Options.DEFAULT),
                            Timing.options(device, quick)).medianMs();
                    double[] gradientErrors = new double[3];
                    try (FlashAttention.Gradients g = FlashAttention.backward(ctx, dOut)) {
                        Tensor[] got = {g.dq(), g.dk(), g.dv()};
                        for (int i = 0; i < 3; i++) gradientErrors[i] = maxError(ref[i + 1], got[i].toDoubleArray());
                    }
                    long naiveBytes = 2L * n * n * 4, flashBytes = (long) n * 4;   // S and P; the log-sum-exp
                    return new Result(n, d, naiveMs, flashMs, naiveBytes, flashBytes, naiveError, flashError, gradientErrors);
                }
            }
        }
    }

    /**
     * O, dQ, dK, dV of one head in float64, as written: S = scale·QKᵀ, P = softmax(S), O = PV;
     * dV = PᵀdO, dP = dO·Vᵀ, dS = P ∘ (dP − Δ) with Δ = rowsum(dO ∘ O), dQ = scale·dS·K, dK = scale·dSᵀQ.
     */
    static double[][] reference(double[] q, double[] k, double[] v, double[] dO, int n, int d, double scale) {
        double[] o = new double[n * d], dq = new double[n * d], dk = new double[n * d], dv = new double[n * d];
        for (int i = 0; i < n; i++) {
            double[] p = new double[n], dp = new double[n];
            double max = Double.NEGATIVE_INFINITY, sum = 0, delta = 0;
            for (int j = 0; j < n; j++) {
                for (int x = 0; x < d; x++) p[j] += q[i * d + x] * k[j * d + x] * scale;
                max = Math.max(max, p[j]);
            }
            for (int j = 0; j < n; j++) sum += p[j] = Math.exp(p[j] - max);
            for (int j = 0; j < n; j++) {
                p[j] /= sum;
                for (int x = 0; x < d; x++) {
                    o[i * d + x] += p[j] * v[j * d + x];
                    dp[j] += dO[i * d + x] * v[j * d + x];
                }
            }
            for (int x = 0; x < d; x++) delta += dO[i * d + x] * o[i * d + x];
            for (int j = 0; j < n; j++) {
                double ds = p[j] * (dp[j] - delta);
                for (int x = 0; x < d; x++) {
                    dq[i * d + x] += scale * ds * k[j * d + x];
                    dk[j * d + x] += scale * ds * q[i * d + x];
                    dv[j * d + x] += p[j] * dO[i * d + x];
                }
            }
        }
        return new double[][] {o, dq, dk, dv};
    }

    /** The largest |got − ref| over the largest |ref|. */
    private static double maxError(double[] ref, double[] got) {
        double worst = 0, size = 0;
        for (int i = 0; i < ref.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - ref[i]));
            size = Math.max(size, Math.abs(ref[i]));
        }
        return worst / size;
    }

    public static void run(PrintStream out, Device device, boolean quick) {
        out.println("1. Online softmax. Flash attention sees one block of scores at a time. It keeps, per query, the largest");
        out.println("score so far (m) and the sum of exp(score - m) (l); when a block raises m, what was summed is worth");
        out.println("exp(m_old - m_new) as much, so l and the output accumulator are rescaled by it. One row of 12 scores, blocks of 4:\n");
        double[] s = {0.3, -1.2, 2.0, 0.1, 3.5, -0.4, 1.1, 0.9, -2.0, 4.2, 0.0, 1.7};
        Walk w = onlineSoftmax(s, 4);
        TextTable walk = TextTable.of("after block", "m (running max)", "l (running sum)");
        for (int b = 0; b < w.maxima().length; b++) walk.addRow(String.valueOf(b + 1), String.format("%.2f", w.maxima()[b]), String.format("%.4f", w.sums()[b]));
        walk.print(out);
        double diff = 0;
        for (int j = 0; j < s.length; j++) diff = Math.max(diff, Math.abs(w.online()[j] - w.twoPass()[j]));
        out.printf("online softmax matches the two-pass softmax (max difference %.1e)%n%n", diff);

        out.println("2. Memory. Computed as written, attention holds S = QK^T and P = softmax(S): N x N floats per head,");
        out.println("against 4 N D values of Q, K, V and O. Flash attention holds one [BM, BN] block on chip and saves N floats");
        out.println("(the log-sum-exp, for the backward pass). The benchmark's problems, B*N = 16k, H*D = 2048 (D = 128), f16:\n");
        TextTable mem = TextTable.of("N", "Q, K, V, O", "S and P (f32)", "flash: log-sum-exp");
        for (int n = 1024; n <= 16384; n *= 2) {
            long b = 16384 / n, h = 2048 / 128, qkvo = 4L * b * h * n * 128 * 2, sp = 2L * b * h * n * n * 4, lse = b * h * n * 4L;
            mem.addRow(String.valueOf(n), mib(qkvo), mib(sp), mib(lse));
        }
        mem.print(out);

        int n = quick ? 192 : 1024, d = 64;
        Result r = measure(device, n, d, quick);
        out.printf("%n3. Both on %s, one head, N = %d, D = %d (f16 inputs; the naive path in f32 through the library's matmul and softmax):%n%n",
                device, r.n(), r.d());
        TextTable t = TextTable.of("attention", "memory beyond Q, K, V, O", "median (ms)", "max error / max |O|");
        t.addRow("naive: S, softmax, P.V", mib(r.naiveBytes()), String.format("%.3f", r.naiveMs()), String.format("%.1e", r.naiveError()));
        t.addRow("flash (library)", mib(r.flashBytes()), String.format("%.3f", r.flashMs()), String.format("%.1e", r.flashError()));
        t.print(out);
        out.println("On a GPU the naive path also pays for S and P in memory traffic (written, read, written, read: 16 N^2 bytes");
        out.println("against the 8 N D of Q, K, V, O at D = 64); flash attention keeps them in registers, so its time follows the");
        out.println("FLOPs, 4 N^2 D. bench/NOTES.md has the GPU figures; `tessera bench attention --device cuda` measures them.\n");

        out.println("4. Backward. dS = P o (dP - Delta), Delta = rowsum(dO o O), needs P again: it is recomputed block by block");
        out.println("from the saved log-sum-exp (P = exp(S - lse)), never stored. Per block of keys a program keeps dK and dV in");
        out.println("registers and walks the queries; dQ is summed across those programs (f32 atomics, or a kernel of its own).");
        double[] ge = r.gradientErrors();
        out.printf("dQ, dK, dV against float64: max error / max |grad| = %.1e, %.1e, %.1e%n", ge[0], ge[1], ge[2]);
        boolean ok = r.flashError() < 1e-2 && r.naiveError() < 1e-2 && ge[0] < 2e-2 && ge[1] < 2e-2 && ge[2] < 2e-2;
        out.println(ok ? "flash attention matches float64, forward and backward" : "FLASH ATTENTION IS WRONG");
    }

    private static String mib(long bytes) {
        return bytes >= 1 << 20 ? String.format("%.1f MiB", bytes / (double) (1 << 20)) : String.format("%.1f KiB", bytes / 1024.0);
    }
}
