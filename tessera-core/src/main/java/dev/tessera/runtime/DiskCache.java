package dev.tessera.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Compiled kernels kept on disk between processes, one file per key. An entry is written whole to
 * a temporary file in the cache directory and renamed into place atomically, so a reader (in any
 * process) sees either no entry or a complete one. Each entry starts with a header holding the
 * format version, its key and a SHA-256 of its payload; an entry that fails any check (corrupt,
 * truncated, another format, under the wrong name) is deleted and reported as absent, never used.
 *
 * <p>Where: the {@code tessera.cache.dir} system property, else {@code TESSERA_CACHE_DIR}, else
 * {@code $XDG_CACHE_HOME/tessera}, else {@code ~/.cache/tessera}. {@code tessera.cache=off} (or
 * {@code TESSERA_CACHE=off}) turns it off. Failing to write an entry never fails a compilation.
 */
public final class DiskCache {
    /** Bump when the entry layout changes; entries of other versions are rebuilt. */
    static final int FORMAT = 1;

    private static final byte[] MAGIC = "TSRCACHE".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = MAGIC.length + Integer.BYTES + 32 + Long.BYTES + 32;
    private static final String SUFFIX = ".kernel";

    private final Path dir;
    private final AtomicInteger hits = new AtomicInteger(), misses = new AtomicInteger(), rejected = new AtomicInteger(),
            writes = new AtomicInteger();

    public DiskCache(Path dir) { this.dir = dir; }

    /** The cache the system properties and environment ask for, or null when it is turned off. */
    public static DiskCache configured() {
        Path dir = location(System.getProperties(), System.getenv());
        return dir == null ? null : new DiskCache(dir);
    }

    /** Where the cache lives for these properties and environment; null when it is turned off. */
    static Path location(Map<?, ?> properties, Map<String, String> env) {
        if ("off".equalsIgnoreCase(String.valueOf(properties.get("tessera.cache")))
                || "off".equalsIgnoreCase(env.get("TESSERA_CACHE"))) {
            return null;
        }
        Object configured = properties.get("tessera.cache.dir");
        if (configured != null && !configured.toString().isBlank()) return Path.of(configured.toString());
        String fromEnv = env.get("TESSERA_CACHE_DIR");
        if (fromEnv != null && !fromEnv.isBlank()) return Path.of(fromEnv);
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "tessera");
        return Path.of(String.valueOf(properties.get("user.home")), ".cache", "tessera");
    }

    public Path directory() { return dir; }

    /** The file of the entry for {@code key} (a hex digest). */
    public Path entry(String key) { return dir.resolve(key + SUFFIX); }

    /** The payload stored under {@code key}, or null when there is no sound entry. */
    public byte[] read(String key) {
        byte[] file;
        try {
            file = Files.readAllBytes(entry(key));
        } catch (IOException e) { // usually: no such entry
            misses.incrementAndGet();
            return null;
        }
        byte[] payload = check(key, file);
        if (payload == null) {
            discard(key);
            return null;
        }
        hits.incrementAndGet();
        return payload;
    }

    /** The payload if the file is a complete entry of this format for this key, else null. */
    private static byte[] check(String key, byte[] file) {
        if (file.length < HEADER) return null;
        ByteBuffer b = ByteBuffer.wrap(file);
        byte[] magic = new byte[MAGIC.length], keyHash = new byte[32], sum = new byte[32];
        b.get(magic);
        int format = b.getInt();
        b.get(keyHash);
        long length = b.getLong();
        b.get(sum);
        if (!Arrays.equals(magic, MAGIC) || format != FORMAT || !Arrays.equals(keyHash, sha256(key.getBytes(StandardCharsets.UTF_8)))
                || length != file.length - HEADER) {
            return null;
        }
        byte[] payload = Arrays.copyOfRange(file, HEADER, file.length);
        return MessageDigest.isEqual(sum, sha256(payload)) ? payload : null;
    }

    /** Deletes an entry found unusable (so that the next compilation rewrites it). */
    public void discard(String key) {
        rejected.incrementAndGet();
        try {
            Files.deleteIfExists(entry(key));
        } catch (IOException e) {
            // another process may hold or have replaced it; it is checked again when read
        }
    }

    /** Stores {@code payload} under {@code key}: written to a temporary file, then renamed into place. */
    public void write(String key, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length);
        b.put(MAGIC).putInt(FORMAT).put(sha256(key.getBytes(StandardCharsets.UTF_8))).putLong(payload.length)
                .put(sha256(payload)).put(payload);
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, key, ".tmp");
            Files.write(tmp, b.array());
            Files.move(tmp, entry(key), StandardCopyOption.ATOMIC_MOVE);
            writes.incrementAndGet();
        } catch (AtomicMoveNotSupportedException e) {
            // a cache that cannot rename atomically could show torn entries: leave it empty
        } catch (IOException | SecurityException e) {
            // a read-only or full disk costs only the cache
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // nothing more to do
                }
            }
        }
    }

    public int hits() { return hits.get(); }

    public int misses() { return misses.get(); }

    /** Entries found unusable and deleted. */
    public int rejected() { return rejected.get(); }

    public int writes() { return writes.get(); }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    static String hex(byte[] digest) { return HexFormat.of().formatHex(digest); }
}
