package dev.tessera.autotune;

import dev.tessera.bench.JsonReader;
import dev.tessera.bench.JsonWriter;
import dev.tessera.runtime.IoErrors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Tuning results on disk, one small file per (kernel, key, device, compiler version, config list),
 * shared by every process of the user. The directory is {@code <cache dir>/autotune}, where the
 * cache dir is the system property {@code tessera.cache.dir}, else {@code $TESSERA_CACHE_DIR}, else
 * {@code $XDG_CACHE_HOME/tessera}, else {@code ~/.cache/tessera} — the directory of Tessera's
 * compiled-kernel cache, whose {@code tessera.cache=off} / {@code TESSERA_CACHE=off} also turn
 * this default cache off.
 *
 * <p>A file is two lines: the entry as one JSON object, then {@code sha256:<hex>} of that line.
 * Files are written to a temporary file in the same directory and moved into place atomically, so
 * a reader never sees a torn file. A file that cannot be parsed, fails its checksum, or describes
 * another identity or format (stale) is never trusted: {@link #load} reports why it was ignored and
 * the tuner re-tunes and overwrites it.
 */
public final class TuningCache {

    /** The system property naming the cache directory. */
    public static final String DIR_PROPERTY = "tessera.cache.dir";
    /** Version of the file format; files of other versions are stale. */
    public static final int FORMAT = 1;

    /**
     * Everything a result depends on. {@code configs} is a digest of the candidate list, so editing
     * the list invalidates old results.
     */
    public record Identity(String kernel, String key, String device, String compiler, String configs) {
        public Identity {
            Objects.requireNonNull(kernel, "kernel");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(compiler, "compiler");
            Objects.requireNonNull(configs, "configs");
        }

        /** The file name: a hash of every field, so each identity has its own file. */
        String fileName() {
            String simple = kernel.substring(kernel.lastIndexOf('.', kernel.lastIndexOf('.') - 1) + 1)
                    .replaceAll("[^A-Za-z0-9_.-]", "_");
            return simple + "-" + Fingerprints.sha256(String.join("\u0000", kernel, key, device, compiler, configs)).substring(0, 24) + ".json";
        }
    }

    /** A stored result: the winning config and every config's median time (NaN where skipped). */
    public record Entry(Config best, Map<String, Double> timingsMs, Instant written) {}

    /** What {@link #load} found: an entry, or nothing (with why a file present was ignored). */
    public record Lookup(Entry entry, String ignoredBecause, Path file) {
        public boolean found() { return entry != null; }
    }

    private final Path dir;
    private final boolean enabled, readable;

    private TuningCache(Path dir, boolean enabled) { this(dir, enabled, true); }

    private TuningCache(Path dir, boolean enabled, boolean readable) {
        this.dir = dir;
        this.enabled = enabled;
        this.readable = readable;
    }

    /** The same directory, but nothing is read: every key is tuned again and its file overwritten. */
    public TuningCache refreshing() { return new TuningCache(dir, enabled, false); }

    /** Results under {@code dir} (used as is: no {@code autotune} subdirectory is added). */
    public static TuningCache at(Path dir) { return new TuningCache(Objects.requireNonNull(dir, "dir"), true); }

    /**
     * Results under {@link #defaultCacheDir()}{@code /autotune}, the directory being looked up at
     * each use (so a program or test may set {@code tessera.cache.dir} after the tuner is built).
     */
    public static TuningCache defaultCache() { return new TuningCache(null, true); }

    /** No persistence: every process tunes afresh. */
    public static TuningCache disabled() { return new TuningCache(null, false); }

    /** The user's Tessera cache directory (see the class comment for how it is chosen). */
    public static Path defaultCacheDir() {
        String p = System.getProperty(DIR_PROPERTY);
        if (p != null && !p.isBlank()) return Path.of(p);
        String env = System.getenv("TESSERA_CACHE_DIR");
        if (env != null && !env.isBlank()) return Path.of(env);
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "tessera");
        return Path.of(System.getProperty("user.home"), ".cache", "tessera");
    }

    /**
     * Whether results are read and written: not for {@link #disabled()}, nor for the default cache
     * while {@code -Dtessera.cache=off} or {@code TESSERA_CACHE=off} turns Tessera's caches off.
     */
    public boolean enabled() {
        if (!enabled) return false;
        if (dir != null) return true;
        return !"off".equalsIgnoreCase(System.getProperty("tessera.cache")) && !"off".equalsIgnoreCase(System.getenv("TESSERA_CACHE"));
    }

    /** The directory holding the files (null when disabled). */
    public Path dir() {
        if (!enabled()) return null;
        return dir != null ? dir : defaultCacheDir().resolve("autotune");
    }

    /** The file that holds (or would hold) the result for {@code id}. */
    public Path file(Identity id) {
        if (!enabled()) throw new IllegalStateException("the tuning cache is disabled");
        return dir().resolve(id.fileName());
    }

    /** Reads the result for {@code id}; corrupt or stale files come back as not found, with the reason. */
    public Lookup load(Identity id) {
        if (!enabled()) return new Lookup(null, null, null);
        Path f = file(id);
        if (!readable) return new Lookup(null, null, f);
        String text;
        try {
            text = Files.readString(f, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new Lookup(null, null, f);
        } catch (IOException e) {
            return new Lookup(null, "unreadable (" + IoErrors.describe(f, e) + ")", f);
        } catch (RuntimeException e) {
            return new Lookup(null, "unreadable (" + e + ")", f);
        }
        try {
            return new Lookup(parse(text, id), null, f);
        } catch (RuntimeException e) {
            return new Lookup(null, e.getMessage(), f);
        }
    }

    private static Entry parse(String text, Identity id) {
        String[] lines = text.split("\n", -1);
        if (lines.length < 2 || !lines[1].startsWith("sha256:")) throw new IllegalArgumentException("corrupt: no checksum line");
        String expected = lines[1].substring("sha256:".length()).strip();
        if (!Fingerprints.sha256(lines[0]).equals(expected)) throw new IllegalArgumentException("corrupt: checksum mismatch");
        Map<String, Object> m;
        try {
            m = JsonReader.parseObject(lines[0]);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("corrupt: " + e.getMessage());
        }
        if (!(m.get("format") instanceof Number n) || n.intValue() != FORMAT) {
            throw new IllegalArgumentException("stale: file format " + m.get("format") + ", expected " + FORMAT);
        }
        for (var field : List.of(Map.entry("kernel", id.kernel()), Map.entry("key", id.key()), Map.entry("device", id.device()),
                Map.entry("compiler", id.compiler()), Map.entry("configs", id.configs()))) {
            if (!field.getValue().equals(m.get(field.getKey()))) {
                throw new IllegalArgumentException("stale: " + field.getKey() + " is " + JsonWriter.write(m.get(field.getKey()))
                        + ", expected " + JsonWriter.write(field.getValue()));
            }
        }
        Config best = configFromJson(m.get("best"));
        Map<String, Double> timings = new LinkedHashMap<>();
        if (m.get("timings") instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> t && t.get("config") instanceof String c) {
                    timings.put(c, t.get("ms") instanceof Number ms ? ms.doubleValue() : Double.NaN);
                }
            }
        }
        Instant written = m.get("written") instanceof String s ? Instant.parse(s) : Instant.EPOCH;
        return new Entry(best, timings, written);
    }

    /** Writes the result for {@code id} atomically (temporary file, then a move over the old one). */
    public Path store(Identity id, Config best, Map<String, Double> timingsMs) {
        if (!enabled()) return null;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("kernel", id.kernel());
        m.put("key", id.key());
        m.put("device", id.device());
        m.put("compiler", id.compiler());
        m.put("configs", id.configs());
        m.put("best", configToJson(best));
        List<Object> timings = new ArrayList<>();
        timingsMs.forEach((c, ms) -> {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("config", c);
            t.put("ms", ms);
            timings.add(t);
        });
        m.put("timings", timings);
        m.put("written", Instant.now().toString());
        String body = JsonWriter.write(m);
        String text = body + "\nsha256:" + Fingerprints.sha256(body) + "\n";
        Path f = file(id);
        try {
            Path d = f.getParent();
            Files.createDirectories(d);
            Path tmp = Files.createTempFile(d, ".tune-", ".tmp");
            try {
                Files.writeString(tmp, text, StandardCharsets.UTF_8);
                try {
                    Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return f;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write tuning results to " + f + ": " + IoErrors.describe(e), e);
        }
    }

    static Map<String, Object> configToJson(Config c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("meta", c.meta());
        m.put("numWarps", c.numWarps());
        m.put("numStages", c.numStages());
        return m;
    }

    static Config configFromJson(Object o) {
        if (!(o instanceof Map<?, ?> m) || !(m.get("meta") instanceof Map<?, ?> meta)
                || !(m.get("numWarps") instanceof Number w) || !(m.get("numStages") instanceof Number s)) {
            throw new IllegalArgumentException("corrupt: no valid best config");
        }
        Map<String, Object> values = new LinkedHashMap<>();
        meta.forEach((k, v) -> values.put((String) k, v));
        try {
            return new Config(values, w.intValue(), s.intValue());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("corrupt: bad best config: " + e.getMessage());
        }
    }

    @Override
    public String toString() { return enabled() ? "TuningCache[" + dir() + "]" : "TuningCache[disabled]"; }
}
