package dev.tessera.learn;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The curriculum's own source files and READMEs, bundled in the jar (under {@code learn-sources/})
 * so the command line can print them: a puzzle's skeleton as the learner last built it, a solution,
 * a lesson's README.
 */
public final class Sources {
    private Sources() {}

    /** The source of a top-level class of this module, or null if it was not bundled. */
    public static String of(Class<?> c) {
        while (c.getEnclosingClass() != null) c = c.getEnclosingClass();
        return resource(c.getName().replace('.', '/') + ".java");
    }

    /** A file under src/main/java of this module, e.g. "dev/tessera/learn/basics/README.md"; null if absent. */
    public static String resource(String path) {
        try (InputStream in = Sources.class.getResourceAsStream("/learn-sources/" + path)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The README of a package of this module ("basics", "puzzles", "patterns", "advanced", "visualize"), or null. */
    public static String readme(String section) {
        return resource("dev/tessera/learn/" + section + "/README.md");
    }
}
