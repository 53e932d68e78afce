package dev.tessera.examples.llama;

import java.util.List;

/**
 * The same decoder in plain Java and float64, for checking {@link LlamaModel}: it reads the weights'
 * values (as rounded to their dtype) once and shares no code with the kernels. It computes every
 * position of a sequence from scratch with causal attention (no cache), so it checks the cache as
 * well as each step.
 */
public final class LlamaReference {
    private final LlamaConfig c;
    private final double[] embedding, norm, output;
    private final List<double[][]> layers;   // per layer: attention norm, wq, wk, wv, wo, mlp norm, w1, w3, w2

    public LlamaReference(LlamaWeights w) {
        this.c = w.config();
        this.embedding = w.embedding().toDoubleArray();
        this.norm = w.norm().toDoubleArray();
        this.output = w.output().toDoubleArray();
        this.layers = w.layers().stream().map(l -> l.all().stream().map(t -> t.toDoubleArray()).toArray(double[][]::new)).toList();
    }

    /** The logits [T][vocab] at every position of {@code tokens}, the first at position 0. */
    public double[][] forward(int[] tokens) {
        int n = tokens.length, dim = c.dim(), heads = c.heads(), kvHeads = c.kvHeads(), hd = c.headDim(), group = heads / kvHeads;
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) x[t] = java.util.Arrays.copyOfRange(embedding, tokens[t] * dim, (tokens[t] + 1) * dim);
        for (double[][] w : layers) {
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] h = rmsNorm(x[t], w[0]);
                q[t] = rope(linear(w[1], h), t, heads);
                k[t] = rope(linear(w[2], h), t, kvHeads);
                v[t] = linear(w[3], h);
            }
            for (int t = 0; t < n; t++) {
                double[] att = new double[heads * hd];
                for (int head = 0; head < heads; head++) {
                    int kv = head / group;
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int p = 0; p <= t; p++) {
                        for (int j = 0; j < hd; j++) s[p] += q[t][head * hd + j] * k[p][kv * hd + j];
                        s[p] /= Math.sqrt(hd);
                        max = Math.max(max, s[p]);
                    }
                    for (int p = 0; p <= t; p++) sum += s[p] = Math.exp(s[p] - max);
                    for (int p = 0; p <= t; p++) for (int j = 0; j < hd; j++) att[head * hd + j] += s[p] / sum * v[p][kv * hd + j];
                }
                add(x[t], linear(w[4], att));
                double[] h = rmsNorm(x[t], w[5]), g = linear(w[6], h), u = linear(w[7], h);
                for (int j = 0; j < g.length; j++) g[j] = g[j] / (1 + Math.exp(-g[j])) * u[j];
                add(x[t], linear(w[8], g));
            }
        }
        double[][] logits = new double[n][];
        for (int t = 0; t < n; t++) logits[t] = linear(output, rmsNorm(x[t], norm));
        return logits;
    }

    private double[] rmsNorm(double[] x, double[] w) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double r = 1 / Math.sqrt(ss / x.length + c.eps());
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) y[i] = x[i] * r * w[i];
        return y;
    }

    /** W [out, in] row-major times x [in]. */
    private static double[] linear(double[] w, double[] x) {
        double[] y = new double[w.length / x.length];
        for (int r = 0; r < y.length; r++) {
            double s = 0;
            for (int j = 0; j < x.length; j++) s += w[r * x.length + j] * x[j];
            y[r] = s;
        }
        return y;
    }

    /** Rotates each head's pairs (i, i + D/2) by pos · base^(−2i/D), in place; returns x. */
    private double[] rope(double[] x, int pos, int heads) {
        int hd = c.headDim(), half = hd / 2;
        for (int head = 0; head < heads; head++) {
            for (int i = 0; i < half; i++) {
                double angle = pos * Math.pow(c.ropeBase(), -2.0 * i / hd), a = x[head * hd + i], b = x[head * hd + i + half];
                x[head * hd + i] = a * Math.cos(angle) - b * Math.sin(angle);
                x[head * hd + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
            }
        }
        return x;
    }

    private static void add(double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) x[i] += y[i];
    }
}
