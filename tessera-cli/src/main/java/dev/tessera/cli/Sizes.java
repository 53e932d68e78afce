package dev.tessera.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code --sizes}: comma-separated items, each a number ({@code 4096}, {@code 2^24},
 * {@code 64k}, {@code 16M}) or a doubling range {@code 256..16384} (powers-of-two steps from the
 * first; add {@code :xF} for another factor, e.g. {@code 1k..64k:x4}).
 */
final class Sizes {
    private Sizes() {}

    static long[] parse(String text) {
        List<Long> out = new ArrayList<>();
        for (String item : text.split(",")) {
            String s = item.strip();
            if (s.isEmpty()) continue;
            int dots = s.indexOf("..");
            if (dots < 0) {
                out.add(number(s));
                continue;
            }
            String to = s.substring(dots + 2);
            long factor = 2;
            int colon = to.indexOf(':');
            if (colon >= 0) {
                String f = to.substring(colon + 1).strip();
                if (!f.startsWith("x")) throw new IllegalArgumentException("bad step '" + f + "' in '" + s + "': write :x4 for a factor of 4");
                factor = parseNumber(f.substring(1));
                to = to.substring(0, colon);
                if (factor < 2) throw new IllegalArgumentException("the factor in '" + s + "' must be at least 2");
            }
            long lo = number(s.substring(0, dots)), hi = number(to);
            if (hi < lo) throw new IllegalArgumentException("bad range '" + s + "': need from <= to");
            for (long x = lo; x <= hi; x = Math.multiplyExact(x, factor)) out.add(x);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no sizes in '" + text + "'");
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static long number(String s) {
        long n = parseNumber(s);
        if (n <= 0) throw new IllegalArgumentException("bad size '" + s.strip() + "': sizes must be at least 1");
        return n;
    }

    private static long parseNumber(String s) {
        String t = s.strip();
        try {
            int caret = t.indexOf('^');
            if (caret > 0) return Math.multiplyExact(1L, (long) Math.pow(Long.parseLong(t.substring(0, caret)), Long.parseLong(t.substring(caret + 1))));
            long mult = 1;
            char last = Character.toLowerCase(t.charAt(t.length() - 1));
            if (last == 'k') mult = 1024;
            else if (last == 'm') mult = 1024 * 1024;
            if (mult > 1) t = t.substring(0, t.length() - 1);
            return Math.multiplyExact(Long.parseLong(t.replace("_", "")), mult);
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("bad size '" + s + "': expected a number like 4096, 2^24, 64k or a range like 256..16384");
        }
    }
}
