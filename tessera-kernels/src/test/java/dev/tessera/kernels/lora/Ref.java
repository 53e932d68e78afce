package dev.tessera.kernels.lora;

import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;

/**
 * A float64 reference matrix with, per element, a scale of the error a computation of it in a lower
 * precision may have: Σ of its terms' magnitudes, carried through every step (a product of a and b
 * gets Σ a.err·|b| + |a|·b.err; an exact input's scale is its magnitude). A result within
 * rtol·scale of the reference is as close as roundings of relative size rtol at every step allow.
 */
record Ref(double[] v, double[] err, int rows, int cols) {

    static Ref of(Tensor t) {
        double[] v = t.toDoubleArray();
        double[] e = new double[v.length];
        for (int i = 0; i < v.length; i++) e[i] = Math.abs(v[i]);
        return new Ref(v, e, Math.toIntExact(t.shape(0)), Math.toIntExact(t.shape(1)));
    }

    double at(int r, int c) { return v[r * cols + c]; }

    /** this · b. */
    Ref mul(Ref b) {
        if (cols != b.rows) throw new IllegalArgumentException(rows + "x" + cols + " · " + b.rows + "x" + b.cols);
        double[] o = new double[rows * b.cols], e = new double[o.length];
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < cols; k++) {
                double a = v[i * cols + k], ae = err[i * cols + k];
                for (int j = 0; j < b.cols; j++) {
                    o[i * b.cols + j] += a * b.v[k * b.cols + j];
                    e[i * b.cols + j] += ae * Math.abs(b.v[k * b.cols + j]) + Math.abs(a) * b.err[k * b.cols + j];
                }
            }
        }
        return new Ref(o, e, rows, b.cols);
    }

    Ref t() {
        double[] o = new double[v.length], e = new double[v.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                o[j * rows + i] = v[i * cols + j];
                e[j * rows + i] = err[i * cols + j];
            }
        }
        return new Ref(o, e, cols, rows);
    }

    Ref scale(double s) {
        double[] o = v.clone(), e = err.clone();
        for (int i = 0; i < o.length; i++) {
            o[i] *= s;
            e[i] *= Math.abs(s);
        }
        return new Ref(o, e, rows, cols);
    }

    Ref plus(Ref b) {
        double[] o = v.clone(), e = err.clone();
        for (int i = 0; i < o.length; i++) {
            o[i] += b.v[i];
            e[i] += b.err[i];
        }
        return new Ref(o, e, rows, cols);
    }

    /** Elementwise product. */
    Ref times(Ref b) {
        double[] o = new double[v.length], e = new double[v.length];
        for (int i = 0; i < o.length; i++) {
            o[i] = v[i] * b.v[i];
            e[i] = err[i] * Math.abs(b.v[i]) + Math.abs(v[i]) * b.err[i];
        }
        return new Ref(o, e, rows, cols);
    }

    /** silu(x) = x·σ(x); |silu'| ≤ 1.1, and the result is rounded once more. */
    Ref silu() {
        double[] o = new double[v.length], e = new double[v.length];
        for (int i = 0; i < o.length; i++) {
            o[i] = v[i] / (1 + Math.exp(-v[i]));
            e[i] = 1.1 * err[i] + Math.abs(o[i]);
        }
        return new Ref(o, e, rows, cols);
    }

    /** silu'(x) = σ(x)·(1 + x·(1 − σ(x))); |silu''| ≤ 0.5. */
    Ref siluDerivative() {
        double[] o = new double[v.length], e = new double[v.length];
        for (int i = 0; i < o.length; i++) {
            double s = 1 / (1 + Math.exp(-v[i]));
            o[i] = s * (1 + v[i] * (1 - s));
            e[i] = 0.5 * err[i] + Math.abs(o[i]);
        }
        return new Ref(o, e, rows, cols);
    }

    /** Base and adapter: x·Wᵀ + s·(x·Aᵀ)·Bᵀ. */
    static Ref lora(Ref x, Ref w, Ref a, Ref b, double s) { return x.mul(w.t()).plus(x.mul(a.t()).scale(s).mul(b.t())); }

    /** The gradients of one adapted layer for dOut g: {dX, dA, dB}. */
    static Ref[] loraBackward(Ref x, Ref w, Ref a, Ref b, double s, Ref g) {
        Ref dxa = g.mul(b).scale(s);
        return new Ref[] {g.mul(w).plus(dxa.mul(a)), dxa.t().mul(x), g.t().mul(x.mul(a.t())).scale(s)};
    }

    /**
     * Tolerances of a computation in {@code t}, relative to the error scale: each rounding to bf16
     * errs by at most 2^-9 of what it rounds (f16 2^-11), and a chain here rounds two or three times
     * (X·Aᵀ, s·X·Aᵀ, the output), so 8e-3 (1e-3) holds with room; f32 sums in f32.
     */
    void check(Tensor got, DType t, String what) {
        check(got.toDoubleArray(), t == DType.F32 ? 2e-5 : t == DType.F16 ? 1e-3 : 8e-3, what);
    }

    void check(double[] got, double rtol, String what) {
        if (got.length != v.length) fail(what + ": " + got.length + " elements, expected " + v.length);
        for (int i = 0; i < got.length; i++) {
            double bound = rtol * err[i] + 1e-6;
            if (!(Math.abs(got[i] - v[i]) <= bound)) {
                fail(what + " element " + i + " (" + i / cols + ", " + i % cols + ") is " + got[i] + ", expected " + v[i] + " ± " + bound);
            }
        }
    }
}
