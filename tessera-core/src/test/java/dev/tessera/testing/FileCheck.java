package dev.tessera.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small FileCheck (as in LLVM/MLIR tests) for printed IR. Each line of the checks is a directive:
 * <ul>
 *   <li>{@code CHECK: text} — a later line contains text;</li>
 *   <li>{@code CHECK-NEXT: text} — the line right after the previous match contains it;</li>
 *   <li>{@code CHECK-NOT: text} — no line between the previous match and the next one contains it
 *       (to the end if none follows).</li>
 * </ul>
 * In text, {@code [[X:regex]]} captures what regex matched as X, {@code [[X]]} must equal an earlier
 * capture, and {@code {{regex}}} matches a regex; everything else is literal.
 */
public final class FileCheck {
    private FileCheck() {}

    private record Directive(String kind, String pattern) {}

    private static final Pattern DIRECTIVE = Pattern.compile("^\\s*(CHECK|CHECK-NEXT|CHECK-NOT):\\s?(.*)$");
    private static final Pattern PART = Pattern.compile("\\[\\[(\\w+):(.+?)]]|\\[\\[(\\w+)]]|\\{\\{(.+?)}}");

    public static void check(String output, String checks) {
        List<Directive> directives = new ArrayList<>();
        for (String line : checks.split("\n")) {
            if (line.isBlank()) continue;
            Matcher m = DIRECTIVE.matcher(line);
            if (!m.matches()) throw new IllegalArgumentException("not a check directive: " + line);
            directives.add(new Directive(m.group(1), m.group(2).strip()));
        }
        String[] lines = output.split("\n");
        Map<String, String> vars = new HashMap<>();
        int next = 0; // first line the next positive match may use
        List<Directive> pendingNots = new ArrayList<>();
        for (Directive d : directives) {
            if (d.kind.equals("CHECK-NOT")) {
                pendingNots.add(d);
                continue;
            }
            int found = -1;
            Matcher match = null;
            int limit = d.kind.equals("CHECK-NEXT") ? Math.min(next + 1, lines.length) : lines.length;
            for (int i = next; i < limit; i++) {
                Matcher m = compile(d.pattern, vars).matcher(lines[i]);
                if (m.find()) {
                    found = i;
                    match = m;
                    break;
                }
            }
            if (found < 0) fail(d.kind + ": '" + d.pattern + "' not found after line " + next + " in:\n" + output);
            checkNots(pendingNots, lines, next, found, vars, output);
            pendingNots.clear();
            capture(d.pattern, match, vars);
            next = found + 1;
        }
        checkNots(pendingNots, lines, next, lines.length, vars, output);
    }

    private static void checkNots(List<Directive> nots, String[] lines, int from, int to, Map<String, String> vars, String output) {
        for (Directive d : nots) {
            Pattern p = compile(d.pattern, vars);
            for (int i = from; i < to; i++) {
                if (p.matcher(lines[i]).find()) fail("CHECK-NOT: '" + d.pattern + "' found at line " + (i + 1) + " in:\n" + output);
            }
        }
    }

    private static Pattern compile(String pattern, Map<String, String> vars) {
        StringBuilder regex = new StringBuilder();
        Matcher m = PART.matcher(pattern);
        int last = 0;
        while (m.find()) {
            regex.append(Pattern.quote(pattern.substring(last, m.start())));
            if (m.group(1) != null) regex.append("(?<").append(m.group(1)).append('>').append(m.group(2)).append(')');
            else if (m.group(3) != null) {
                String v = vars.get(m.group(3));
                if (v == null) throw new IllegalArgumentException("[[" + m.group(3) + "]] used before it is captured");
                regex.append(Pattern.quote(v)).append("(?![0-9])");
            } else regex.append(m.group(4));
            last = m.end();
        }
        regex.append(Pattern.quote(pattern.substring(last)));
        return Pattern.compile(regex.toString());
    }

    private static void capture(String pattern, Matcher match, Map<String, String> vars) {
        Matcher m = PART.matcher(pattern);
        while (m.find()) if (m.group(1) != null) vars.put(m.group(1), match.group(m.group(1)));
    }
}
