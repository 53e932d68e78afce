package dev.tessera.bench;

import java.util.Map;

/**
 * A small, correct JSON writer for the results logs: objects from {@link Map}s (in iteration order),
 * arrays from {@link Iterable}s and arrays of primitives, strings, numbers, booleans and null.
 * Strings escape {@code "}, {@code \}, every control character below U+0020, U+2028/U+2029 and lone
 * surrogates; other non-ASCII text is written as is (files are UTF-8). Non-finite doubles, which JSON
 * cannot represent, are written as {@code null}.
 */
public final class JsonWriter {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private JsonWriter() {}

    /** {@code value} as compact JSON text on one line. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.toString();
    }

    /** Appends {@code value} as compact JSON text to {@code out}. */
    public static void write(StringBuilder out, Object value) {
        switch (value) {
            case null -> out.append("null");
            case String s -> quote(out, s);
            case Character c -> quote(out, c.toString());
            case Boolean b -> out.append(b.booleanValue());
            case Double d -> number(out, d);
            case Float f -> {
                if (f.isNaN() || f.isInfinite()) out.append("null");
                else out.append(Float.toString(f));
            }
            case Number n -> out.append(n); // Integer, Long, Short, Byte, BigInteger, BigDecimal
            case Map<?, ?> m -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getKey() instanceof String key)) {
                        throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
                    }
                    if (!first) out.append(',');
                    first = false;
                    quote(out, key);
                    out.append(':');
                    write(out, e.getValue());
                }
                out.append('}');
            }
            case Iterable<?> it -> {
                out.append('[');
                boolean first = true;
                for (Object o : it) {
                    if (!first) out.append(',');
                    first = false;
                    write(out, o);
                }
                out.append(']');
            }
            case double[] a -> {
                out.append('[');
                for (int i = 0; i < a.length; i++) {
                    if (i > 0) out.append(',');
                    number(out, a[i]);
                }
                out.append(']');
            }
            case long[] a -> {
                out.append('[');
                for (int i = 0; i < a.length; i++) out.append(i > 0 ? "," : "").append(a[i]);
                out.append(']');
            }
            case int[] a -> {
                out.append('[');
                for (int i = 0; i < a.length; i++) out.append(i > 0 ? "," : "").append(a[i]);
                out.append(']');
            }
            case Object[] a -> write(out, java.util.Arrays.asList(a));
            default -> throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    /** {@code s} as a quoted, escaped JSON string. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        quote(sb, s);
        return sb.toString();
    }

    /** Appends {@code s} as a quoted, escaped JSON string. */
    public static void quote(StringBuilder out, String s) {
        out.append('"');
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        unicodeEscape(out, c);
                    } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                        out.append(c).append(s.charAt(++i)); // a valid pair: written as is
                    } else if (Character.isSurrogate(c)) {
                        unicodeEscape(out, c); // a lone surrogate has no UTF-8 form; keep it exactly
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void unicodeEscape(StringBuilder out, char c) {
        out.append("\\u").append(HEX[c >> 12 & 15]).append(HEX[c >> 8 & 15]).append(HEX[c >> 4 & 15]).append(HEX[c & 15]);
    }

    private static void number(StringBuilder out, double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) out.append("null");
        else out.append(Double.toString(d)); // shortest round-tripping form; "1.0E-5" is valid JSON
    }
}
