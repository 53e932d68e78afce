package dev.tessera.bench;

/** Order statistics over sorted samples. */
public final class Stats {

    private Stats() {}

    /**
     * The {@code q}-quantile of ascending {@code sorted} by linear interpolation between closest
     * ranks (numpy's and torch's default, "type 7"): position {@code q·(n−1)}.
     *
     * @throws IllegalArgumentException when there are no samples or {@code q} is outside [0, 1]
     */
    public static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) throw new IllegalArgumentException("quantile of no samples");
        if (!(q >= 0 && q <= 1)) throw new IllegalArgumentException("quantile must lie in [0, 1], got " + q);
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        double frac = pos - lo;
        return frac == 0 ? sorted[lo] : sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
    }

    /** The arithmetic mean (compensated summation); NaN for no samples. */
    public static double mean(double[] xs) {
        if (xs.length == 0) return Double.NaN;
        double sum = 0, c = 0;
        for (double x : xs) {
            double y = x - c, t = sum + y;
            c = (t - sum) - y;
            sum = t;
        }
        return sum / xs.length;
    }

    /** The sample standard deviation (n − 1); 0 for fewer than two samples. */
    public static double stdev(double[] xs) {
        if (xs.length < 2) return 0;
        double m = mean(xs), ss = 0;
        for (double x : xs) ss += (x - m) * (x - m);
        return Math.sqrt(ss / (xs.length - 1));
    }
}
