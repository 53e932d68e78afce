package dev.tessera.kernels.bench;

import dev.tessera.types.DType;
import java.util.SplittableRandom;

/**
 * Plain Java on the host, single-threaded and written the straightforward way, as the floor any
 * Tessera CPU figure should be read against: {@code c[i] = a[i] + b[i]} over float arrays, a
 * three-pass row-wise softmax, a two-pass layer norm, and an i-k-j matmul. f32 only.
 */
public final class JavaProvider implements BenchProvider {

    @Override
    public String name() { return "java"; }

    @Override
    public String description() { return "plain single-threaded Java loops over float arrays (f32 only)"; }

    @Override
    public String unsupported(Problem p) {
        if (!KERNELS.contains(p.kernel().name())) return "the plain Java provider has no " + p.kernel().name();
        if (p.dtype() != DType.F32) return "the plain Java provider computes in f32 only";
        if (p.kernel() == KernelBench.MATMUL && !p.settings().ieee()) return "the plain Java provider computes in full f32 precision, not tf32";
        if (p.kernel() == KernelBench.MATMUL && p.settings().bTransposed()) return "the plain Java provider has no loop for B given as W.T";
        return null;
    }

    /** The kernels it implements. */
    private static final java.util.Set<String> KERNELS = java.util.Set.of("vector-add", "softmax", "layer-norm", "rms-norm", "matmul");

    @Override
    public Workload prepare(Problem p) {
        SplittableRandom rnd = new SplittableRandom(p.settings().seed());
        return switch (p.kernel().name()) {
            case "vector-add" -> {
                int n = p.dim(0);
                float[] a = random(rnd, n), b = random(rnd, n), c = new float[n];
                yield Workload.host(() -> add(a, b, c), null);
            }
            case "softmax" -> {
                int rows = p.dim(0), cols = p.dim(1);
                float[] x = random(rnd, Math.multiplyExact(rows, cols)), out = new float[x.length];
                yield Workload.host(() -> softmax(x, out, rows, cols), null);
            }
            case "layer-norm" -> {
                int rows = p.dim(0), cols = p.dim(1);
                float[] x = random(rnd, Math.multiplyExact(rows, cols)), y = new float[x.length];
                float[] w = random(rnd, cols), b = random(rnd, cols), mean = new float[rows], rstd = new float[rows];
                yield Workload.host(() -> layerNorm(x, w, b, 1e-5f, y, mean, rstd, rows, cols), null);
            }
            case "rms-norm" -> {
                int rows = p.dim(0), cols = p.dim(1);
                float[] x = random(rnd, Math.multiplyExact(rows, cols)), y = new float[x.length];
                float[] w = random(rnd, cols), rrms = new float[rows];
                yield Workload.host(() -> rmsNorm(x, w, 1e-6f, y, rrms, rows, cols), null);
            }
            case "matmul" -> {
                int m = p.dim(0), n = p.dim(1), k = p.dim(2);
                float[] a = random(rnd, Math.multiplyExact(m, k)), b = random(rnd, Math.multiplyExact(k, n)), c = new float[m * n];
                yield Workload.host(() -> matmul(a, b, c, m, n, k), null);
            }
            default -> throw new IllegalArgumentException("java has no implementation of " + p.kernel().name());
        };
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1);
        return v;
    }

    static void rmsNorm(float[] x, float[] w, float eps, float[] y, float[] rrms, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            float ss = 0;
            for (int j = 0; j < cols; j++) ss += x[r * cols + j] * x[r * cols + j];
            float inv = (float) (1 / Math.sqrt(ss / cols + eps));
            rrms[r] = inv;
            for (int j = 0; j < cols; j++) y[r * cols + j] = x[r * cols + j] * inv * w[j];
        }
    }

    static void add(float[] a, float[] b, float[] c) {
        for (int i = 0; i < c.length; i++) c[i] = a[i] + b[i];
    }

    static void softmax(float[] x, float[] out, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) max = Math.max(max, x[base + j]);
            float sum = 0;
            for (int j = 0; j < cols; j++) {
                float e = (float) Math.exp(x[base + j] - max);
                out[base + j] = e;
                sum += e;
            }
            float inv = 1 / sum;
            for (int j = 0; j < cols; j++) out[base + j] *= inv;
        }
    }

    static void layerNorm(float[] x, float[] w, float[] b, float eps, float[] y, float[] mean, float[] rstd, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            float sum = 0;
            for (int j = 0; j < cols; j++) sum += x[base + j];
            float mu = sum / cols;
            float var = 0;
            for (int j = 0; j < cols; j++) {
                float d = x[base + j] - mu;
                var += d * d;
            }
            float rs = (float) (1 / Math.sqrt(var / cols + eps));
            for (int j = 0; j < cols; j++) y[base + j] = (x[base + j] - mu) * rs * w[j] + b[j];
            mean[r] = mu;
            rstd[r] = rs;
        }
    }

    static void matmul(float[] a, float[] b, float[] c, int m, int n, int k) {
        java.util.Arrays.fill(c, 0f);
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                float aip = a[i * k + p];
                int bRow = p * n, cRow = i * n;
                for (int j = 0; j < n; j++) c[cRow + j] += aip * b[bRow + j];
            }
        }
    }
}
