package dev.tessera.cli;

import dev.tessera.kernels.activation.Softmax;
import dev.tessera.kernels.elementwise.VectorAdd;
import dev.tessera.kernels.matmul.Matmul;
import dev.tessera.kernels.matmul.MatmulConfig;
import dev.tessera.kernels.norm.LayerNorm;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.Arrays;
import java.util.List;

/**
 * The demo's kernels, each with random inputs, a float64 reference computed here in plain Java,
 * the tolerance its dtype allows, and a throughput measurement.
 */
final class Gallery {
    private Gallery() {}

    record Outcome(double maxError, double tolerance, boolean pass, double ms, String throughput) {}

    interface Runner { Outcome run(Device d, long seed); }

    record Case(String name, String shape, String dtype, Runner runner) {
        Outcome run(Device d, long seed) { return runner.run(d, seed); }
    }

    static List<Case> cases(boolean small) {
        int n = small ? 100_003 : 1 << 24;
        int rows = small ? 257 : 4096, cols = small ? 1000 : 4096;
        int lnRows = small ? 129 : 2048, lnCols = small ? 777 : 4096;
        int mm = small ? 129 : 512;
        return List.of(
                new Case("vector add", "" + n, "f32", (d, s) -> vectorAdd(d, s, n)),
                new Case("fused softmax", rows + "x" + cols, "f32", (d, s) -> softmax(d, s, rows, cols, DType.F32)),
                new Case("fused softmax", rows + "x" + cols, "bf16", (d, s) -> softmax(d, s, rows, cols, DType.BF16)),
                new Case("layer norm", lnRows + "x" + lnCols, "f16", (d, s) -> layerNorm(d, s, lnRows, lnCols)),
                new Case("matmul", mm + "x" + mm + "x" + mm, "f32", (d, s) -> matmul(d, s, mm, DType.F32)),
                new Case("matmul", mm + "x" + mm + "x" + mm, "f16", (d, s) -> matmul(d, s, mm, DType.F16)));
    }

    private static Outcome vectorAdd(Device d, long seed, int n) {
        try (Tensor x = Tensor.randn(DType.F32, seed, d, n); Tensor y = Tensor.randn(DType.F32, seed + 1, d, n);
             Tensor out = Tensor.full(DType.F32, Double.NaN, d, n)) {
            VectorAdd.add(x, y, out);
            double[] a = x.toDoubleArray(), b = y.toDoubleArray(), ref = new double[n];
            for (int i = 0; i < n; i++) ref[i] = a[i] + b[i];
            double err = maxError(ref, out.toDoubleArray());
            double ms = timeMs(d, () -> VectorAdd.add(x, y, out));
            return new Outcome(err, 1e-6, err <= 1e-6, ms, gbps(3.0 * n * 4, ms));
        }
    }

    private static Outcome softmax(Device d, long seed, int rows, int cols, DType dtype) {
        try (Tensor x = Tensor.randn(dtype, seed, d, rows, cols); Tensor out = Tensor.full(dtype, Double.NaN, d, rows, cols)) {
            Softmax.softmax(x, out);
            double[] in = x.toDoubleArray(), ref = new double[in.length];
            for (int r = 0; r < rows; r++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < cols; j++) max = Math.max(max, in[r * cols + j]);
                for (int j = 0; j < cols; j++) sum += Math.exp(in[r * cols + j] - max);
                for (int j = 0; j < cols; j++) ref[r * cols + j] = Math.exp(in[r * cols + j] - max) / sum;
            }
            double err = maxError(ref, out.toDoubleArray());
            double tol = dtype == DType.F32 ? 1e-6 : 4e-3;
            double ms = timeMs(d, () -> Softmax.softmax(x, out));
            return new Outcome(err, tol, err <= tol, ms, gbps(2.0 * rows * cols * dtype.byteSize(), ms));
        }
    }

    private static Outcome layerNorm(Device d, long seed, int rows, int cols) {
        DType t = DType.F16;
        try (Tensor x = Tensor.randn(t, seed, d, rows, cols); Tensor w = Tensor.rand(t, seed + 1, d, cols);
             Tensor b = Tensor.randn(t, seed + 2, d, cols); Tensor y = Tensor.full(t, Double.NaN, d, rows, cols);
             Tensor mean = Tensor.empty(DType.F32, d, rows); Tensor rstd = Tensor.empty(DType.F32, d, rows)) {
            float eps = 1e-5f;
            LayerNorm.forward(x, w, b, eps, y, mean, rstd);
            double[] in = x.toDoubleArray(), wv = w.toDoubleArray(), bv = b.toDoubleArray(), ref = new double[in.length];
            for (int r = 0; r < rows; r++) {
                double mu = 0, var = 0;
                for (int j = 0; j < cols; j++) mu += in[r * cols + j];
                mu /= cols;
                for (int j = 0; j < cols; j++) var += (in[r * cols + j] - mu) * (in[r * cols + j] - mu);
                double rs = 1 / Math.sqrt(var / cols + eps);
                for (int j = 0; j < cols; j++) ref[r * cols + j] = (in[r * cols + j] - mu) * rs * wv[j] + bv[j];
            }
            double err = maxError(ref, y.toDoubleArray());
            double tol = 2e-2;
            double ms = timeMs(d, () -> LayerNorm.forward(x, w, b, eps, y, mean, rstd));
            return new Outcome(err, tol, err <= tol, ms, gbps(2.0 * rows * cols * t.byteSize(), ms));
        }
    }

    private static Outcome matmul(Device d, long seed, int n, DType t) {
        try (Tensor a = Tensor.randn(t, seed, d, n, n); Tensor b = Tensor.randn(t, seed + 1, d, n, n);
             Tensor c = Tensor.full(DType.F32, Double.NaN, d, n, n)) {
            Matmul.matmul(a, b, c, MatmulConfig.DEFAULT, true);
            double[] av = a.toDoubleArray(), bv = b.toDoubleArray(), ref = new double[n * n];
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < n; p++) {
                    double s = av[i * n + p];
                    for (int j = 0; j < n; j++) ref[i * n + j] += s * bv[p * n + j];
                }
            }
            double err = maxError(ref, c.toDoubleArray());
            double tol = 1e-4 * Math.sqrt(n);
            double ms = timeMs(d, () -> Matmul.matmul(a, b, c, MatmulConfig.DEFAULT, true));
            double gflops = 2.0 * n * n * n / (ms * 1e6);
            return new Outcome(err, tol, err <= tol, ms, String.format("%.2f GFLOP/s", gflops));
        }
    }

    private static double maxError(double[] ref, double[] out) {
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double e = Math.abs(ref[i] - out[i]);
            if (!(e <= worst)) worst = Double.isNaN(e) ? Double.NaN : e;
            if (Double.isNaN(worst)) return worst;
        }
        return worst;
    }

    /** The median of a few timed runs after one warm-up, each waiting for the device to finish. */
    private static double timeMs(Device d, Runnable work) {
        work.run();
        d.backendImpl().synchronize(d.index());
        double[] ms = new double[7];
        long budget = System.nanoTime() + 2_000_000_000L;
        int runs = 0;
        while (runs < ms.length && (runs < 3 || System.nanoTime() < budget)) {
            long t0 = System.nanoTime();
            work.run();
            d.backendImpl().synchronize(d.index());
            ms[runs++] = (System.nanoTime() - t0) / 1e6;
        }
        double[] done = Arrays.copyOf(ms, runs);
        Arrays.sort(done);
        return done[runs / 2];
    }

    private static String gbps(double bytes, double ms) { return String.format("%.2f GB/s", bytes / (ms * 1e6)); }
}
