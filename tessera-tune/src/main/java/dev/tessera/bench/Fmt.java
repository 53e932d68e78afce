package dev.tessera.bench;

import java.math.BigDecimal;
import java.util.Locale;

/** Number formatting shared by tables, CSV and console output: compact, locale-independent. */
public final class Fmt {

    private Fmt() {}

    /**
     * A compact rendering of {@code v}: integers without a fraction ({@code 4096}), otherwise about
     * four significant digits without exponent for everyday magnitudes ({@code 3549.2},
     * {@code 12.35}, {@code 0.01234}), scientific outside 1e-4..1e15; {@code "-"} for NaN.
     */
    public static String number(double v) {
        if (Double.isNaN(v)) return "-";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        double a = Math.abs(v);
        if (a >= 1e15 || a < 1e-4) return String.format(Locale.ROOT, "%.3e", v);
        int decimals = a >= 1000 ? 1 : a >= 100 ? 2 : a >= 10 ? 2 : a >= 1 ? 3 : 3 - (int) Math.floor(Math.log10(a));
        String s = new BigDecimal(v).setScale(decimals, java.math.RoundingMode.HALF_EVEN).toPlainString();
        if (s.indexOf('.') >= 0) {
            s = s.replaceAll("0+$", "");
            if (s.endsWith(".")) s = s.substring(0, s.length() - 1);
        }
        return s.equals("-0") ? "0" : s;
    }
}
