package dev.tessera.cuda.math;

/**
 * erf in double to within about an ulp, as a reference for measuring the GPU's: the Maclaurin
 * series with compensated summation below 1 (its terms shrink from the start there), and
 * 1 - erfc by its continued fraction (Lentz) above, where erfc is small enough that its own
 * relative error hardly shows in erf.
 */
final class ErfReference {
    private ErfReference() {}

    static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        double r = a < 1 ? series(a) : a > 6.5 ? 1.0 : 1.0 - erfc(a);
        return Math.copySign(r, x);
    }

    private static double series(double a) {
        double a2 = a * a, term = a, sum = a, c = 0;
        for (int n = 1; n < 60; n++) {
            term *= -a2 / n;
            double add = term / (2 * n + 1);
            double t = sum + add;
            c += Math.abs(sum) >= Math.abs(add) ? (sum - t) + add : (add - t) + sum;
            sum = t;
            if (Math.abs(add) < 1e-20) break;
        }
        return 1.1283791670955126 * (sum + c);
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
        return Math.exp(-a * a) / (f * Math.sqrt(Math.PI));
    }
}
