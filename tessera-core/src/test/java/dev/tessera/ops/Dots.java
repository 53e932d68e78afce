package dev.tessera.ops;

import static dev.tessera.ops.Ops.randomFloats;
import static dev.tessera.ops.Ops.randomInts;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.ReferenceNumerics;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Shared pieces of the dot suites: operands, float64 products that also keep the sum of their
 * terms' magnitudes, and the check that scales a tolerance by it (so any order of additions,
 * a tensor core's blocks included, passes while a missing or wrong term does not). Written in plain
 * Java, independently of Tessera.
 */
final class Dots {
    private Dots() {}

    /** A reference result and, per element, the sum of the magnitudes of what was added (an initial value included). */
    record Reference(double[] values, double[] magnitudes) {
        double worst() { return Arrays.stream(magnitudes).max().orElse(0); }
    }

    /** Random operand elements: the whole range for i8 and u8, [-2, 2) for floats (rounded to {@code t}; read the tensor back). */
    static Tensor operand(DType t, Device d, SplittableRandom r, int n) {
        if (t == DType.I8) return randomInts(t, d, r, -128, 127, n);
        if (t == DType.U8) return randomInts(t, d, r, 0, 255, n);
        return randomFloats(t, d, r, n, -2, 2);
    }

    /** An accumulator's initial elements: integers in [-1000, 1000] or floats in [-2, 2). */
    static Tensor initial(DType acc, Device d, SplittableRandom r, int n) {
        return acc.isFloat() ? randomFloats(acc, d, r, n, -2, 2) : randomInts(acc, d, r, -1000, 1000, n);
    }

    /** What dot accumulates in by default: i32 for i8 and u8, f64 for f64, else f32. */
    static DType accumulator(DType in) {
        return switch (in) {
            case I8, U8 -> DType.I32;
            case F64 -> DType.F64;
            default -> DType.F32;
        };
    }

    /** init + a·b for row-major a [m, k] and b [k, n]; {@code init} may be null (zeros). */
    static Reference product(double[] a, double[] b, double[] init, int m, int n, int k) {
        double[] v = new double[m * n], mag = new double[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double s = init == null ? 0 : init[i * n + j], abs = Math.abs(s);
            for (int p = 0; p < k; p++) {
                double t = a[i * k + p] * b[p * n + j];
                s += t;
                abs += Math.abs(t);
            }
            v[i * n + j] = s;
            mag[i * n + j] = abs;
        }
        return new Reference(v, mag);
    }

    /** The elements of row-major [rows, cols] x transposed, row-major [cols, rows]. */
    static double[] transpose(double[] x, int rows, int cols) {
        double[] t = new double[x.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }

    /** The values as the tensor cores' tf32 mode sees them (rounded, ties away). */
    static double[] tf32(double[] x) {
        double[] t = new double[x.length];
        for (int i = 0; i < x.length; i++) t[i] = ReferenceNumerics.tf32((float) x[i]);
        return t;
    }

    /** x rounded to the nearest value of {@code t} (ties to even). */
    static double round(double x, DType t) { return ReferenceNumerics.round(x, ReferenceNumerics.format(t), false); }

    /**
     * Compares {@code out} with the reference: integers exactly, floats with {@code out}'s default
     * tolerance whose absolute part is scaled by the largest sum of magnitudes (the accumulator's rounding over
     * its terms) and whose norm bound is 4 times the default (as DotTest has always done).
     */
    static void check(Reference ref, Tensor out, String what) { check(ref, out, Tolerance.of(out.dtype()), what); }

    /** As {@link #check(Reference, Tensor, String)} with the given base tolerance for floats. */
    static void check(Reference ref, Tensor out, Tolerance t, String what) {
        if (!out.dtype().isFloat()) {
            Check.equal(Arrays.stream(ref.values()).mapToLong(v -> (long) v).toArray(), out.toLongArray(), what);
            return;
        }
        Check.close(ref.values(), out.toDoubleArray(), new Tolerance(t.relativeNorm() * 4, t.atol() * Math.max(1, ref.worst()), t.rtol()), what);
    }
}
