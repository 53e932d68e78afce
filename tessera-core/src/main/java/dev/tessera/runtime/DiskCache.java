package dev.tessera.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Compiled kernels kept on disk between processes, one file per key. An entry is written whole to
 * a temporary file in the cache directory and renamed into place atomically, so a reader (in any
 * process) sees either no entry or a complete one. Each entry starts with a header holding the
 * format version, its key and a SHA-256 of its payload; an entry that fails any check (corrupt,
 * truncated, another format, under the wrong name) is deleted and reported as absent, never used.
 *
 * <p>Where: the {@code tessera.cache.dir} system property, else {@code TESSERA_CACHE_DIR}, else
 * {@code $XDG_CACHE_HOME/tessera}, else {@code ~/.cache/tessera}. {@code tessera.cache=off} (or
 * {@code TESSERA_CACHE=off}) turns it off. Failing to write an entry never fails a compilation; the
 * first failure of a process is said once on standard error, with the path and the cause.
 *
 * <p>Size: entries are kept to {@code tessera.cache.max.mb} megabytes (default 512), the least
 * recently used removed first; a hit refreshes an entry's modification time, which is its age.
 * Only regular files of at most that size are read, so a link or a device file where an entry
 * should be is removed rather than followed, and a directory there is removed and rebuilt.
 */
public final class DiskCache {
    /** Bump when the entry layout changes; entries of other versions are rebuilt. */
    static final int FORMAT = 1;

    private static final byte[] MAGIC = "TSRCACHE".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = MAGIC.length + Integer.BYTES + 32 + Long.BYTES + 32;
    private static final String SUFFIX = ".kernel";

    /** The default bound on the entries' total size. */
    static final long DEFAULT_MAX_BYTES = 512L << 20;

    /** No compiled kernel comes near this; a bigger file is not read into memory. */
    static final int MAX_ENTRY_BYTES = 1 << 28;

    /** Whether this process has said that the cache cannot be written (said once, not per kernel). */
    private static final AtomicBoolean WRITE_FAILURE_REPORTED = new AtomicBoolean();

    private final Path dir;
    private final long maxBytes;
    private final AtomicInteger hits = new AtomicInteger(), misses = new AtomicInteger(), rejected = new AtomicInteger(),
            writes = new AtomicInteger();
    // What this process believes the directory holds, in bytes (-1: not yet looked): a write adds its
    // entry, and the directory is listed again only when that passes the limit or every RESCAN writes
    // (other processes' entries), not at every write. Listing at every write made a test suite that
    // compiles thousands of kernels spend most of its time in stat calls (O(n²); seen on an H200 run).
    private final java.util.concurrent.atomic.AtomicLong believedBytes = new java.util.concurrent.atomic.AtomicLong(-1);
    private static final int RESCAN = 64;
    private final AtomicInteger listings = new AtomicInteger();

    /** For tests: how often writes listed the directory to keep it to its limit. */
    int listings() { return listings.get(); }

    public DiskCache(Path dir) { this(dir, maxBytes(System.getProperties())); }

    public DiskCache(Path dir, long maxBytes) {
        if (maxBytes < 0) throw new IllegalArgumentException("the size limit of the kernel cache must be 0 or more, got " + maxBytes);
        this.dir = dir;
        this.maxBytes = maxBytes;
    }

    /** The cache the system properties and environment ask for, or null when it is turned off. */
    public static DiskCache configured() {
        Path dir = location(System.getProperties(), System.getenv());
        return dir == null ? null : new DiskCache(dir);
    }

    /** The size bound {@code tessera.cache.max.mb} asks for. */
    static long maxBytes(Map<?, ?> properties) {
        Object mb = properties.get("tessera.cache.max.mb");
        if (mb == null || mb.toString().isBlank()) return DEFAULT_MAX_BYTES;
        try {
            long n = Long.parseLong(mb.toString().strip());
            if (n >= 0 && n <= Long.MAX_VALUE >> 20) return n << 20;
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("tessera.cache.max.mb is '" + mb + "': expected a whole number of megabytes, 0 or more");
    }

    /** The bound on the entries' total size, in bytes. */
    public long maxBytes() { return maxBytes; }

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
    public byte[] read(String key) { return read(key, true); }

    /** As {@link #read(String)}; {@code use} says whether this counts as a use (a listing does not). */
    private byte[] read(String key, boolean use) {
        Path entry = entry(key);
        byte[] file;
        try {
            BasicFileAttributes a = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile() || a.size() > MAX_ENTRY_BYTES) { // never ours: a link, a device, a directory, a giant
                misses.incrementAndGet();
                discard(key);
                return null;
            }
            try (SeekableByteChannel in = Files.newByteChannel(entry, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                file = readAtMost(in, a.size());
            }
        } catch (IOException e) { // usually: no such entry
            misses.incrementAndGet();
            return null;
        }
        byte[] payload = file == null ? null : check(key, file);
        if (payload == null) {
            discard(key);
            return null;
        }
        if (use) {
            hits.incrementAndGet();
            touch(entry);
        }
        return payload;
    }

    /** The channel's bytes if there are exactly {@code size} of them (else the file changed under us: null). */
    private static byte[] readAtMost(SeekableByteChannel in, long size) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) size + 1);
        while (b.hasRemaining() && in.read(b) >= 0) {
            // read until the end, or one byte past the size it had
        }
        return b.position() == size ? Arrays.copyOf(b.array(), (int) size) : null;
    }

    /** Marks an entry as just used, which is what eviction goes by. */
    private static void touch(Path entry) {
        try {
            Files.setLastModifiedTime(entry, FileTime.from(Instant.now()));
        } catch (IOException e) {
            // a read-only cache still serves its entries; they only age by when they were written
        }
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

    /** Deletes an entry found unusable (so that the next compilation rewrites it); a link is removed, not followed. */
    public void discard(String key) {
        rejected.incrementAndGet();
        try {
            deleteTree(entry(key));
        } catch (IOException e) {
            // another process may hold or have replaced it; it is checked again when read
        }
    }

    /** Deletes a file, a link or a directory with everything in it (links inside are removed, never followed). */
    private static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> inside = Files.list(p)) {
                for (Path q : (Iterable<Path>) inside::iterator) deleteTree(q);
            }
        }
        Files.deleteIfExists(p);
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
            touch(tmp); // the clock hits use: the file system's own timestamps may be coarser and lag it
            Path entry = entry(key);
            // a rename cannot replace a directory, and nothing else repairs one standing where the entry goes
            if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) deleteTree(entry);
            Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE);
            int n = writes.incrementAndGet();
            long believed = believedBytes.get();
            if (believed < 0 || n % RESCAN == 0 || believed + b.capacity() > maxBytes) evict(entry);
            else believedBytes.addAndGet(b.capacity());
        } catch (AtomicMoveNotSupportedException e) {
            // a cache that cannot rename atomically could show torn entries: leave it empty
            reportWriteFailure(dir, "the file system cannot rename files atomically");
        } catch (IOException e) {
            reportWriteFailure(dir, IoErrors.describe(e)); // a read-only or full disk costs only the cache
        } catch (SecurityException e) {
            reportWriteFailure(dir, e.getMessage());
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

    /** Says once per process that kernels cannot be kept, so that every process compiling afresh is explained. */
    private static void reportWriteFailure(Path dir, String cause) {
        if (WRITE_FAILURE_REPORTED.compareAndSet(false, true)) {
            System.err.println("tessera: cannot write the kernel cache in " + dir + " (" + cause + "); kernels are compiled afresh"
                    + " in each process. Set TESSERA_CACHE_DIR to a writable directory, or TESSERA_CACHE=off.");
        }
    }

    /** For tests: lets the next write failure be said again. */
    static void resetWriteFailureReport() { WRITE_FAILURE_REPORTED.set(false); }

    /** An entry: its file, size and when it was last used. */
    public record Entry(Path file, long bytes, Instant lastUsed) {}

    /** The entries, least recently used first (temporary files of writes in progress are left out). */
    public List<Entry> entries() throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (!f.getFileName().toString().endsWith(SUFFIX)) continue;
                try {
                    BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    out.add(new Entry(f, a.size(), a.lastModifiedTime().toInstant()));
                } catch (NoSuchFileException e) {
                    // removed by another process since the listing
                }
            }
        }
        out.sort(Comparator.comparing(Entry::lastUsed).thenComparing(e -> e.file().toString()));
        return out;
    }

    /** The name of the kernel an entry holds (for listings), or null when it is not a sound kernel entry. */
    public String kernelName(Entry e) {
        String name = e.file().getFileName().toString();
        byte[] payload = read(name.substring(0, name.length() - SUFFIX.length()), false);
        if (payload == null) return null;
        try {
            String traced = CacheEntry.decode(payload).traced();
            return traced.startsWith("kernel ") ? traced.substring(7, traced.indexOf('(')) : null;
        } catch (RuntimeException ex) {
            return null;
        }
    }

    /** Deletes every entry (and every temporary file left by a write that died); returns how many entries. */
    public int clear() throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        int n = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.endsWith(SUFFIX) || name.endsWith(".tmp")) {
                    deleteTree(f);
                    if (name.endsWith(SUFFIX)) n++;
                }
            }
        }
        believedBytes.set(-1);
        return n;
    }

    /** Removes the least recently used entries until the rest fit in {@link #maxBytes} (never {@code keep}, just written). */
    private void evict(Path keep) throws IOException {
        listings.incrementAndGet();
        List<Entry> all = entries();
        long total = all.stream().mapToLong(Entry::bytes).sum();
        for (Entry e : all) {
            if (total <= maxBytes) break;
            if (e.file().equals(keep)) continue;
            deleteTree(e.file());
            total -= e.bytes();
        }
        believedBytes.set(total);
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
