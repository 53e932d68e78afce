package dev.tessera.learn.puzzles.check;

import dev.tessera.learn.Sources;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * Whether a puzzle's skeleton is still as shipped: the SHA-256 of each untouched skeleton is listed
 * in {@code skeletons.sha256} next to this class. Tests hold untouched skeletons to "not solved yet"
 * and leave the ones a learner has edited alone.
 */
public final class Skeletons {
    private Skeletons() {}

    private static final Map<String, String> SHIPPED = load();

    private static Map<String, String> load() {
        Map<String, String> m = new HashMap<>();
        try (InputStream in = Skeletons.class.getResourceAsStream("skeletons.sha256")) {
            if (in == null) return m;
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length == 2) m.put(parts[1], parts[0]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }

    /** The SHA-256 (hex) of the skeleton's source as built, with line endings normalized; null if not bundled. */
    public static String hash(Puzzle p) {
        String src = Sources.of(p.skeleton());
        if (src == null) return null;
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(src.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The hash the shipped skeleton has, or null if unlisted. */
    public static String shipped(Puzzle p) { return SHIPPED.get(p.skeleton().getSimpleName() + ".java"); }

    /** Whether the learner's file is exactly the shipped skeleton. */
    public static boolean isUntouched(Puzzle p) {
        String h = hash(p);
        return h != null && h.equals(shipped(p));
    }
}
