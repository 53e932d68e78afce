package dev.tessera.cuda.math;

/**
 * erf in double to within about 2 ulps (checked against mpmath), as a reference for measuring the
 * GPU's: below 1.2 the series erf(x) = 2/sqrt(pi) e^{-x^2} sum_n (2x^2)^n x / (1 3 5 ... (2n+1)),
 * whose terms are all positive (no cancellation), summed with compensation; above, 1 - erfc with
 * erfc by its continued fraction (Lentz), small enough there that its error hardly shows; e^{-x^2}
 * with x^2 as a double-double in both.
 */
final class ErfReference {
    private ErfReference() {}

    static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        if (a > 6.5) return Math.copySign(1.0, x);
        double r = a < 1.2 ? series(a) : 1 - erfc(a);
        return Math.copySign(Math.min(r, 1.0), x);
    }

    /** e^{-a^2}, with a^2's rounding error folded in. */
    private static double expMinusSquare(double a) {
        double a2 = a * a, lo = Math.fma(a, a, -a2);
        return StrictMath.exp(-a2) * (1 - lo);
    }

    private static double series(double a) {
        double a2 = a * a, term = a, sum = a, c = 0;
        for (int n = 0; n < 400; n++) {
            term *= 2 * a2 / (2 * n + 3);
            double t = sum + term;
            c += Math.abs(sum) >= Math.abs(term) ? (sum - t) + term : (term - t) + sum;
            sum = t;
            if (term < 1e-18 * sum) break;
        }
        return 1.1283791670955126 * expMinusSquare(a) * (sum + c);
    }

    private static double erfc(double a) {
        double tiny = 1e-300, f = a, c = a, d = 0;
        for (int n = 1; n < 5000; n++) {
            double an = n * 0.5;
            d = a + an * d;
            d = d == 0 ? tiny : d;
            c = a + an / c;
            c = c == 0 ? tiny : c;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-17) break;
        }
        return expMinusSquare(a) / (f * Math.sqrt(Math.PI));
    }
}
