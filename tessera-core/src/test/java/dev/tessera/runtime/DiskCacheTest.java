package dev.tessera.runtime;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.backend.CompiledKernel;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Loc;
import dev.tessera.ir.Op;
import dev.tessera.ir.Printer;
import dev.tessera.testing.IrSamples;
import dev.tessera.trace.ArgSpec;
import dev.tessera.trace.KernelMethod;
import dev.tessera.trace.Tracer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskCacheTest {
    @TempDir
    Path dir;

    private static final String KEY = "ab".repeat(32);

    // ------------------------------------------------------------------ entries

    @Test
    void storesAndReadsEntries() {
        DiskCache cache = new DiskCache(dir.resolve("nested/cache"));
        assertNull(cache.read(KEY));
        cache.write(KEY, "payload".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("payload".getBytes(StandardCharsets.UTF_8), cache.read(KEY));
        assertEquals(1, cache.hits());
        assertEquals(1, cache.misses());
        assertEquals(1, cache.writes());
        assertEquals(List.of(cache.entry(KEY)), files(cache.directory()), "no temporary files are left");
    }

    @Test
    void neverTrustsDamagedEntries() throws IOException {
        DiskCache cache = new DiskCache(dir);
        byte[] payload = "the compiled kernel".getBytes(StandardCharsets.UTF_8);
        List<java.util.function.UnaryOperator<byte[]>> damages = List.of(
                b -> flip(b, b.length - 3),                                  // a payload byte
                b -> flip(b, 20),                                            // the stored key
                b -> java.util.Arrays.copyOf(b, b.length - 1),               // truncated
                b -> java.util.Arrays.copyOf(b, 10),                         // truncated inside the header
                b -> "not a cache entry at all, just some garbage".getBytes(StandardCharsets.UTF_8),
                b -> { byte[] c = b.clone(); c[11]++; return c; });         // another format version
        for (var damage : damages) {
            cache.write(KEY, payload);
            Path entry = cache.entry(KEY);
            Files.write(entry, damage.apply(Files.readAllBytes(entry)));
            int rejected = cache.rejected();
            assertNull(cache.read(KEY));
            assertEquals(rejected + 1, cache.rejected());
            assertFalse(Files.exists(entry), "a damaged entry is deleted");
        }
    }

    @Test
    void anEntryUnderAnotherNameIsRejected() throws IOException {
        DiskCache cache = new DiskCache(dir);
        cache.write(KEY, new byte[] {1, 2, 3});
        String other = "cd".repeat(32);
        Files.copy(cache.entry(KEY), cache.entry(other));
        assertNull(cache.read(other));
        assertArrayEquals(new byte[] {1, 2, 3}, cache.read(KEY));
    }

    @Test
    void aWriteThatFailsIsSaidOnceWithThePathAndTheCause() throws IOException {
        Path blocker = Files.writeString(dir.resolve("blocker"), "a file where the cache directory goes");
        DiskCache cache = new DiskCache(blocker.resolve("cache"));
        DiskCache.resetWriteFailureReport();
        java.io.PrintStream old = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        try {
            System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
            cache.write(KEY, new byte[] {1});
            cache.write("cd".repeat(32), new byte[] {2});
        } finally {
            System.setErr(old);
        }
        List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(1, lines.size(), "once per process: " + lines);
        assertTrue(lines.getFirst().startsWith("tessera: cannot write the kernel cache in " + blocker.resolve("cache") + " (")
                && lines.getFirst().contains("not a directory"), lines.getFirst());
        assertEquals(0, cache.writes());
        assertEquals("a file where the cache directory goes", Files.readString(blocker), "nothing written");
    }

    @Test
    void onlyRegularFilesOfSaneSizeAreRead() throws IOException {
        DiskCache cache = new DiskCache(dir);
        Files.createDirectories(dir);
        Path entry = cache.entry(KEY);
        Files.createSymbolicLink(entry, Path.of("/dev/zero")); // read whole, this was an OutOfMemoryError
        assertNull(cache.read(KEY));
        assertFalse(Files.exists(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the link is removed, not followed");

        Files.createDirectories(entry.resolve("inside"));
        Files.writeString(entry.resolve("inside/file"), "x");
        assertNull(cache.read(KEY));
        assertFalse(Files.exists(entry), "a directory where the entry goes is removed");
        Files.createDirectories(entry.resolve("again"));
        cache.write(KEY, new byte[] {4, 5});
        assertArrayEquals(new byte[] {4, 5}, cache.read(KEY), "and a write replaces one");
    }

    @Test
    void theLeastRecentlyUsedEntriesAreEvicted() throws IOException {
        byte[] kb = new byte[1000];
        DiskCache cache = new DiskCache(dir, 3 * 1200);
        String a = "a".repeat(64), b = "b".repeat(64), c = "c".repeat(64), d = "d".repeat(64);
        java.time.Instant now = java.time.Instant.now();
        int age = 30;
        for (String k : List.of(a, b, c)) {
            cache.write(k, kb);
            Files.setLastModifiedTime(cache.entry(k), java.nio.file.attribute.FileTime.from(now.minusSeconds(age -= 10)));
        }
        assertNotNull(cache.read(a)); // a is now the most recent
        cache.write(d, kb);
        assertEquals(List.of(c, a, d), cache.entries().stream().map(e -> e.file().getFileName().toString().replace(".kernel", "")).toList());
        assertNull(cache.read(b), "b was the least recently used");
        assertEquals(3, cache.clear());
        assertEquals(List.of(), cache.entries());
        assertThrows(IllegalArgumentException.class, () -> DiskCache.maxBytes(Map.of("tessera.cache.max.mb", "lots")));
        assertEquals(5L << 20, DiskCache.maxBytes(Map.of("tessera.cache.max.mb", "5")));
    }

    @Test
    void locationFollowsPropertiesThenEnvironment() {
        Map<String, String> none = Map.of();
        Map<String, String> home = Map.of("user.home", "/home/u");
        assertEquals(Path.of("/home/u/.cache/tessera"), DiskCache.location(home, none));
        assertEquals(Path.of("/x/tessera"), DiskCache.location(home, Map.of("XDG_CACHE_HOME", "/x")));
        assertEquals(Path.of("/env"), DiskCache.location(home, Map.of("XDG_CACHE_HOME", "/x", "TESSERA_CACHE_DIR", "/env")));
        assertEquals(Path.of("/prop"), DiskCache.location(Map.of("user.home", "/h", "tessera.cache.dir", "/prop"), Map.of("TESSERA_CACHE_DIR", "/env")));
        assertNull(DiskCache.location(Map.of("user.home", "/h", "tessera.cache", "off"), none));
        assertNull(DiskCache.location(home, Map.of("TESSERA_CACHE", "OFF")));
        assertTrue(DiskCache.configured().directory().endsWith("kernel-cache"), "tests keep kernels under target/, not the user's cache");
    }

    // ------------------------------------------------------------------ keys

    @Test
    void keysChangeWithEverythingThatChangesCode() {
        KernelMethod m = KernelMethod.of(CacheWorker.class, "scaleAdd");
        ArgSpec p = IrSamples.F32_PTR, n = IrSamples.I32_ARG;
        Map<String, Object> c64 = Map.of("BLOCK", 64);
        KernelIR traced = Tracer.trace(m, List.of(p, p, n), c64);
        var cpu = Device.cpu().backendImpl();
        String key = CacheKey.of(m.qualifiedName(), traced, List.of(p, p, n), c64, LaunchOptions.DEFAULT, cpu, 0);
        assertEquals(key, CacheKey.of(m.qualifiedName(), Tracer.trace(m, List.of(p, p, n), c64), List.of(p, p, n), c64, LaunchOptions.DEFAULT, cpu, 0));
        List<ArgSpec> aligned = List.of(p, p, IrSamples.I32_DIV16);
        List<String> others = List.of(
                CacheKey.of("other.Kernel.name", traced, List.of(p, p, n), c64, LaunchOptions.DEFAULT, cpu, 0),
                CacheKey.of(m.qualifiedName(), Tracer.trace(m, aligned, c64), aligned, c64, LaunchOptions.DEFAULT, cpu, 0),
                CacheKey.of(m.qualifiedName(), Tracer.trace(m, List.of(p, p, n), Map.of("BLOCK", 128)), List.of(p, p, n), Map.of("BLOCK", 128), LaunchOptions.DEFAULT, cpu, 0),
                CacheKey.of(m.qualifiedName(), traced, List.of(p, p, n), Map.of("BLOCK", 64L), LaunchOptions.DEFAULT, cpu, 0),
                CacheKey.of(m.qualifiedName(), traced, List.of(p, p, n), c64, new LaunchOptions(8, 2), cpu, 0));
        for (String other : others) assertNotEquals(key, other);
        assertEquals(others.size(), others.stream().distinct().count());
        KernelIR moved = traced.withBody(new dev.tessera.ir.Region(traced.body().args(),
                traced.body().ops().stream().map(op -> op.withLoc(new Loc("Elsewhere.java", 999, "k"))).toList()));
        assertEquals(key, CacheKey.of(m.qualifiedName(), moved, List.of(p, p, n), c64, LaunchOptions.DEFAULT, cpu, 0),
                "source locations are not part of the key");
    }

    // ------------------------------------------------------------------ compiling through the cache

    @Test
    void aSecondCompilationSkipsThePassesAndRunsTheSame() {
        DiskCache first = new DiskCache(dir);
        CompiledKernel compiled = CacheWorker.compileAndRun(first, 1000);
        assertEquals(1, first.misses());
        assertEquals(1, first.writes());
        DiskCache second = new DiskCache(dir);
        CompiledKernel restored = CacheWorker.compileAndRun(second, 777);
        assertEquals(1, second.hits());
        assertEquals(0, second.writes());
        assertEquals(Printer.print(compiled.ir()), Printer.print(restored.ir()), "the cached optimized IR, locations included");
    }

    @dev.tessera.lang.Kernel
    static void descriptorCopy(dev.tessera.lang.TensorDesc in, dev.tessera.lang.TensorDesc out, @dev.tessera.lang.Constexpr int B) {
        dev.tessera.lang.Tile i = dev.tessera.lang.TL.programId(0).mul(B);
        dev.tessera.lang.TL.store(out, dev.tessera.lang.TL.at(i), dev.tessera.lang.TL.load(in, i));
    }

    @Test
    void kernelsWithDescriptorsComeBackFromTheCache() {
        KernelMethod method = KernelMethod.of(DiskCacheTest.class, "descriptorCopy");
        for (int round = 0; round < 2; round++) {
            DiskCache cache = new DiskCache(dir);
            try (Tensor x = Tensor.randn(dev.tessera.types.DType.F32, round, Device.cpu(), 100);
                 Tensor y = Tensor.full(dev.tessera.types.DType.F32, Double.NaN, Device.cpu(), 100)) {
                Object[] args = {TensorDescriptor.of(x, 32), TensorDescriptor.of(y, 32)};
                CompiledKernel k = Compiler.compile(method, List.of(JitKernel.specOf(args[0]), JitKernel.specOf(args[1])), Map.of("B", 32),
                        LaunchOptions.DEFAULT, Device.cpu(), cache);
                Device.cpu().backendImpl().launch(k, new int[] {4, 1, 1}, JitKernel.pack(args), 0);
                assertArrayEquals(x.toDoubleArray(), y.toDoubleArray());
                assertEquals(round, cache.hits(), "the second compilation is read back");
            }
        }
    }

    @Test
    void damagedEntriesAreRebuiltAndTheKernelStillRuns() throws IOException {
        CacheWorker.compileAndRun(new DiskCache(dir), 100);
        Path entry = single(dir);
        byte[] good = Files.readAllBytes(entry);
        List<byte[]> damaged = List.of(flip(good, good.length / 2), java.util.Arrays.copyOf(good, good.length - 7),
                "garbage".repeat(40).getBytes(StandardCharsets.UTF_8));
        for (byte[] bad : damaged) {
            Files.write(entry, bad);
            DiskCache cache = new DiskCache(dir);
            CacheWorker.compileAndRun(cache, 300);
            assertEquals(1, cache.rejected());
            assertEquals(1, cache.writes(), "the entry is rewritten");
            assertArrayEquals(good, Files.readAllBytes(entry));
        }
    }

    @Test
    void entriesOfAnUnreadableCompilerAreRebuilt() throws IOException {
        CacheWorker.compileAndRun(new DiskCache(dir), 100);
        Path entry = single(dir);
        String key = entry.getFileName().toString().replace(".kernel", "");
        new DiskCache(dir).write(key, new CacheEntry("kernel k() {\n}\n", "not IR", new byte[0]).encode());
        DiskCache cache = new DiskCache(dir);
        CacheWorker.compileAndRun(cache, 100);
        assertEquals(1, cache.rejected());
        assertEquals(1, cache.writes());
    }

    @Test
    void locationsFollowTheKernelWhenItMoves() {
        KernelMethod m = KernelMethod.of(CacheWorker.class, "scaleAdd");
        ArgSpec p = IrSamples.F32_PTR, n = IrSamples.I32_ARG;
        KernelIR traced = Tracer.trace(m, List.of(p, p, n), Map.of("BLOCK", 64));
        KernelIR optimized = dev.tessera.passes.Pipeline.standard().run(traced);
        // as if both were traced when the kernel sat 40 lines lower in another file
        KernelIR oldTraced = shifted(traced), oldOptimized = shifted(optimized);
        CacheEntry entry = CacheEntry.decode(CacheEntry.of(oldTraced, oldOptimized, new byte[] {7}).encode());
        assertArrayEquals(new byte[] {7}, entry.backend());
        assertEquals(Printer.print(optimized), Printer.print(entry.optimizedFor(traced)));
    }

    private static KernelIR shifted(KernelIR k) {
        return k.withBody(new dev.tessera.ir.Region(k.body().args(), k.body().ops().stream()
                .map(op -> op.withLoc(op.loc().isKnown() ? new Loc("Old.java", op.loc().line() + 40, "") : op.loc())).toList()));
    }

    @Test
    void twoProcessesCompilingAtOnceShareOneSoundEntry() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            processes.add(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), CacheWorker.class.getName(), dir.toString())
                    .redirectErrorStream(true).start());
        }
        for (Process p : processes) {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "worker finished");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.strip().endsWith("hit") || out.strip().endsWith("miss"), out);
        }
        single(dir);
        DiskCache after = new DiskCache(dir);
        CacheWorker.compileAndRun(after, 50);
        assertEquals(1, after.hits());
        assertEquals(0, after.rejected());
    }

    // ------------------------------------------------------------------ helpers

    private static byte[] flip(byte[] b, int i) {
        byte[] c = b.clone();
        c[i] ^= 0x40;
        return c;
    }

    private static List<Path> files(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The one entry in the directory (and no temporary files). */
    private static Path single(Path dir) {
        List<Path> all = files(dir);
        assertEquals(1, all.size(), all.toString());
        assertTrue(all.getFirst().toString().endsWith(".kernel"), all.toString());
        return all.getFirst();
    }

    @Test
    void writesListTheDirectoryOnlyNowAndThen() {
        DiskCache cache = new DiskCache(dir, 1L << 30);
        for (int i = 0; i < 300; i++) cache.write("k" + i, new byte[100]);
        // once at the first write, then every 64 writes: not at each one (that was quadratic in the entries)
        assertTrue(cache.listings() <= 1 + 300 / 64, "listings: " + cache.listings());
        DiskCache small = new DiskCache(dir.resolve("small"), 10_000);
        for (int i = 0; i < 300; i++) small.write("k" + i, new byte[100]);
        long total = 0;
        try {
            for (DiskCache.Entry e : small.entries()) total += e.bytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertTrue(total <= 10_000, "the limit holds: " + total);
    }
}
