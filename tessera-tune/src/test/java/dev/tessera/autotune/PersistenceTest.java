package dev.tessera.autotune;

import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.bench.Progress;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PersistenceTest {

    @TempDir Path cacheDir;
    Tensor cost;
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

    @BeforeEach
    void setUp() { cost = Tensor.zeros(DType.I32, Device.cpu(), 1); }

    @AfterEach
    void tearDown() { cost.close(); }

    TuningResult tune(TestKernels.PlantedBenchmarker bench) {
        Autotuner t = Autotuner.builder(TestKernels.PLANTED).configs(TuneChild.CONFIGS).heuristic("BLOCK", a -> 16).benchmarker(bench)
                .cache(TuningCache.at(cacheDir)).progress(Progress.Mode.NONE).rounds(1)
                .log(new PrintStream(logBytes, true, StandardCharsets.UTF_8)).build();
        return t.tune(grid(1), new Object[] {cost}, Map.of());
    }

    String log() { return logBytes.toString(StandardCharsets.UTF_8); }

    @Test
    void resultsAreReusedByANewTunerWithoutTiming() throws Exception {
        var first = new TestKernels.PlantedBenchmarker(cost);
        TuningResult r1 = tune(first);
        assertFalse(r1.fromCache());
        assertEquals(3, first.calls.get());
        assertTrue(Files.isRegularFile(r1.file()), "written to " + r1.file());
        assertTrue(r1.file().startsWith(cacheDir));

        var second = new TestKernels.PlantedBenchmarker(cost);
        TuningResult r2 = tune(second);
        assertTrue(r2.fromCache());
        assertEquals(0, second.calls.get(), "nothing is timed when the cache has the key");
        assertEquals(r1.best(), r2.best());
        assertEquals(Config.of("COST", 4), r2.best());
        assertEquals(4.0, r2.bestMs(), 1e-9, "stored timings come back");
        try (var files = Files.list(cacheDir)) {
            assertEquals(1, files.filter(f -> f.toString().endsWith(".json")).count(), "no temporary files left behind");
        }
    }

    @Test
    void roundTripAcrossTwoJvms() throws Exception {
        String first = runChild();
        assertTrue(first.contains("fromCache=false timed=3 best=COST=4, warps=4, stages=3"), first);
        String second = runChild();
        assertTrue(second.contains("fromCache=true timed=0 best=COST=4, warps=4, stages=3"), second);
    }

    private String runChild() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "--enable-native-access=ALL-UNNAMED",
                "-XX:TieredStopAtLevel=1", TuneChild.class.getName(), cacheDir.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM finished");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void aCorruptFileIsIgnoredLoggedAndRewritten() throws Exception {
        Path file = tune(new TestKernels.PlantedBenchmarker(cost)).file();
        Files.writeString(file, "{\"format\":1, garbage");
        var again = new TestKernels.PlantedBenchmarker(cost);
        TuningResult r = tune(again);
        assertFalse(r.fromCache());
        assertEquals(3, again.calls.get(), "re-tuned");
        assertTrue(log().contains("ignoring tuning results file") && log().contains("corrupt"), log());
        var third = new TestKernels.PlantedBenchmarker(cost);
        assertTrue(tune(third).fromCache(), "the rewritten file is valid");
        assertEquals(0, third.calls.get());
    }

    @Test
    void aTamperedFileFailsItsChecksum() throws Exception {
        Path file = tune(new TestKernels.PlantedBenchmarker(cost)).file();
        String text = Files.readString(file);
        Files.writeString(file, text.replace("\"COST\":4", "\"COST\":30"));   // valid JSON, wrong content
        var again = new TestKernels.PlantedBenchmarker(cost);
        TuningResult r = tune(again);
        assertEquals(Config.of("COST", 4), r.best());
        assertEquals(3, again.calls.get());
        assertTrue(log().contains("checksum mismatch"), log());
    }

    @Test
    void aStaleFileIsNeverTrusted() throws Exception {
        TuningResult first = tune(new TestKernels.PlantedBenchmarker(cost));
        TuningCache cache = TuningCache.at(cacheDir);
        // A file at the right place whose identity says another compiler wrote it (checksum valid).
        String text = Files.readString(first.file());
        String body = text.substring(0, text.indexOf('\n')).replaceFirst("\"compiler\":\"[^\"]*\"", "\"compiler\":\"0.0.1+old\"");
        Files.writeString(first.file(), body + "\nsha256:" + Fingerprints.sha256(body) + "\n");
        var again = new TestKernels.PlantedBenchmarker(cost);
        assertFalse(tune(again).fromCache());
        assertEquals(3, again.calls.get());
        assertTrue(log().contains("stale: compiler"), log());

        // A file whose best config is not among the current ones.
        text = Files.readString(first.file());
        body = text.substring(0, text.indexOf('\n')).replace("\"best\":{\"meta\":{\"COST\":4}", "\"best\":{\"meta\":{\"COST\":99}");
        Files.writeString(first.file(), body + "\nsha256:" + Fingerprints.sha256(body) + "\n");
        var third = new TestKernels.PlantedBenchmarker(cost);
        assertEquals(Config.of("COST", 4), tune(third).best());
        assertEquals(3, third.calls.get());
        assertTrue(log().contains("not among the current configs"), log());
        assertTrue(cache.dir().equals(cacheDir));
    }

    @Test
    void failuresKeepTheirCause() throws Exception {
        TuningCache.Identity id = new TuningCache.Identity("dev.x.K.k", "n=1", "cpu", "c1", "configs");
        TuningCache cache = TuningCache.at(cacheDir);
        Files.createDirectories(cache.file(id)); // a directory where the result file goes
        TuningCache.Lookup l = cache.load(id);
        assertFalse(l.found());
        assertTrue(l.ignoredBecause().contains(cache.file(id) + ": is a directory"), l.ignoredBecause());

        Path blocker = Files.writeString(cacheDir.resolve("blocker"), "");
        var e = assertThrows(java.io.UncheckedIOException.class, () -> TuningCache.at(blocker.resolve("autotune")).store(id, Config.of("B", 1), Map.of()));
        assertTrue(e.getMessage().startsWith("cannot write tuning results to ") && e.getMessage().endsWith(": not a directory"), e.getMessage());
    }

    @Test
    void cacheDirectoryFollowsTheProperty() {
        String old = System.getProperty(TuningCache.DIR_PROPERTY);
        try {
            System.setProperty(TuningCache.DIR_PROPERTY, cacheDir.toString());
            assertEquals(cacheDir, TuningCache.defaultCacheDir());
            assertEquals(cacheDir.resolve("autotune"), TuningCache.defaultCache().dir());
        } finally {
            if (old == null) System.clearProperty(TuningCache.DIR_PROPERTY);
            else System.setProperty(TuningCache.DIR_PROPERTY, old);
        }
    }
}
