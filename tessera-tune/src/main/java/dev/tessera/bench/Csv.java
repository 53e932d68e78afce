package dev.tessera.bench;

import java.util.List;

/** RFC 4180 CSV lines: fields with commas, quotes or line breaks are quoted, quotes doubled. */
public final class Csv {

    private Csv() {}

    /** One CSV record, ending with a newline. */
    public static String line(List<String> fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append(field(fields.get(i)));
        }
        return sb.append('\n').toString();
    }

    /** One field, quoted when it must be. */
    public static String field(String s) {
        if (s == null) return "";
        boolean quote = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0
                || (!s.isEmpty() && (Character.isWhitespace(s.charAt(0)) || Character.isWhitespace(s.charAt(s.length() - 1))));
        return quote ? '"' + s.replace("\"", "\"\"") + '"' : s;
    }

    /** A number at full precision ({@link Double#toString} for fractions); empty for NaN. */
    public static String number(double v) {
        if (Double.isNaN(v)) return "";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);
    }
}
