package dev.tessera.testing;

import static org.junit.jupiter.api.Assertions.fail;

/** Comparisons of kernel outputs against independent float64 references. */
public final class Check {
    private Check() {}

    /** Fails with the worst element's position and values unless {@code out} matches {@code ref}. */
    public static void close(double[] ref, double[] out, Tolerance tol, String what) {
        if (ref.length != out.length) fail(what + ": " + out.length + " results for " + ref.length + " expected");
        double diff2 = 0, ref2 = 0;
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < ref.length; i++) {
            double r = ref[i], o = out[i];
            if (Double.isNaN(r) && Double.isNaN(o)) continue;
            if (Double.isNaN(o) || Double.isNaN(r)) fail(what + ": element " + i + " is " + o + ", expected " + r + " (NaN never passes)");
            if (Double.isInfinite(r) || Double.isInfinite(o)) {
                if (r != o) fail(what + ": element " + i + " is " + o + ", expected " + r);
                continue;
            }
            double d = Math.abs(o - r);
            diff2 += d * d;
            ref2 += r * r;
            double excess = d - (tol.atol() + tol.rtol() * Math.abs(r));
            if (excess > worstExcess) {
                worstExcess = excess;
                worst = i;
            }
        }
        if (worst >= 0) {
            fail(what + ": element " + worst + " is " + out[worst] + ", expected " + ref[worst] + " (|diff| "
                    + Math.abs(out[worst] - ref[worst]) + " > " + tol.atol() + " + " + tol.rtol() + "·|ref|)");
        }
        double rel = ref2 == 0 ? Math.sqrt(diff2) : Math.sqrt(diff2 / ref2);
        // where the reference itself is about the size of atol (sigmoid(-10) in fp8), only the absolute bound means anything
        boolean withinAbsolute = Math.sqrt(diff2) <= tol.atol() * Math.sqrt(ref.length);
        if (rel > tol.relativeNorm() && rel > 0 && !withinAbsolute) fail(what + ": relative error " + rel + " > " + tol.relativeNorm());
    }

    /** Exact equality of integers, naming the first difference. */
    public static void equal(long[] ref, long[] out, String what) {
        if (ref.length != out.length) fail(what + ": " + out.length + " results for " + ref.length + " expected");
        for (int i = 0; i < ref.length; i++) {
            if (ref[i] != out[i]) fail(what + ": element " + i + " is " + out[i] + ", expected " + ref[i]);
        }
    }
}
