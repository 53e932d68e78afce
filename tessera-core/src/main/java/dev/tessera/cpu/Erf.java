package dev.tessera.cpu;

/**
 * The error function in double precision (Java's Math has none): the Maclaurin series near zero,
 * where it converges fast and cancels little, and the continued fraction of erfc further out.
 * Relative error below 1e-14 over the real line.
 */
final class Erf {
    private Erf() {}

    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        double r;
        if (a < 2.5) {
            r = series(a);
        } else if (a < 6.0) {
            r = 1.0 - erfcContinuedFraction(a);
        } else {
            r = 1.0;
        }
        return Math.copySign(r, x);
    }

    /** erf(a) = 2/sqrt(pi) * sum (-1)^n a^(2n+1) / (n! (2n+1)). */
    private static double series(double a) {
        double a2 = a * a, term = a, sum = a;
        for (int n = 1; n < 100; n++) {
            term *= -a2 / n;
            double add = term / (2 * n + 1);
            sum += add;
            if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
        }
        return TWO_OVER_SQRT_PI * sum;
    }

    /** erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...)))), evaluated by Lentz's method. */
    private static double erfcContinuedFraction(double a) {
        double tiny = 1e-300;
        double f = a, c = a, d = 0;
        for (int n = 1; n < 200; n++) {
            double an = n * 0.5;
            d = a + an * d;
            d = d == 0 ? tiny : d;
            c = a + an / c;
            c = c == 0 ? tiny : c;
            d = 1.0 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1.0) < 1e-16) break;
        }
        return Math.exp(-a * a) / (f * Math.sqrt(Math.PI));
    }
}
