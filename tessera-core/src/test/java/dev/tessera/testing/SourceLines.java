package dev.tessera.testing;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where calls are, for tests that check a message names the right line: {@code mark("oob store");}
 * on the same source line as the call records that line under the key (kernels run their Java code
 * when traced, so a mark inside a kernel records the line of the op next to it). Needs no sources at
 * run time, so it works from a test jar too.
 */
public final class SourceLines {
    private SourceLines() {}

    private static final Map<String, Integer> LINES = new ConcurrentHashMap<>();

    /** Records the caller's line under {@code key}. */
    public static void mark(String key) {
        LINES.put(key, StackWalker.getInstance().walk(s -> s.skip(1).findFirst().orElseThrow().getLineNumber()));
    }

    /** The line last marked under {@code key}. */
    public static int of(String key) {
        Integer line = LINES.get(key);
        if (line == null) throw new IllegalStateException("no line was marked as '" + key + "' (was the kernel traced?)");
        return line;
    }

    /** "File.java:LINE:", the prefix of messages about the marked call. */
    public static String prefix(Class<?> testClass, String key) {
        String outer = testClass.getName().replaceAll("\\$.*", "");
        return outer.substring(outer.lastIndexOf('.') + 1) + ".java:" + of(key) + ":";
    }
}
