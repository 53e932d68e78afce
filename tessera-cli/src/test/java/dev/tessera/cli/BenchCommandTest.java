package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {

    @TempDir Path dir;

    @BeforeAll
    static void headless() { System.setProperty("java.awt.headless", "true"); }

    record Run(int code, String out, String err) {}

    /** Runs the tessera command in this JVM, capturing both streams. */
    static synchronized Run tessera(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.commandLine().execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static final String[] QUICK = {"--rep-ms", "3", "--warmup-ms", "1", "--no-jvm-warmup"};

    static String[] args(String... a) { return Stream.concat(Stream.of(a), Stream.of(QUICK)).toArray(String[]::new); }

    @Test
    void benchSoftmaxWritesTableChartAndResultsLog() throws Exception {
        Path png = dir.resolve("charts/softmax-cpu.png");
        Run r = tessera(args("bench", "softmax", "--sizes", "64,128", "--rows", "32", "--device", "cpu", "--tune", "--plot", png.toString()));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("tessera") && r.out().contains("java"), r.out());
        assertTrue(r.out().contains("GB/s"), r.out());
        assertTrue(r.out().contains("tuned: ROWS="), "the tuned config is reported:\n" + r.out());

        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "the PNG decodes");
        assertEquals(800, img.getWidth());
        assertEquals(600, img.getHeight());
        Set<Integer> colors = new HashSet<>();
        int nonWhite = 0;
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                colors.add(rgb);
                if (rgb != 0xffffff) nonWhite++;
            }
        }
        assertTrue(colors.size() > 10, "not blank: " + colors.size() + " colours");
        assertTrue(nonWhite > 1000, "not blank: " + nonWhite + " non-white pixels");

        String md = Files.readString(dir.resolve("charts/softmax-cpu.md"));
        assertTrue(md.contains("| N | tessera | java |"), md);
        assertTrue(md.contains("tessera at 64: tuned: ROWS="), md);
        assertTrue(md.contains("Command: `tessera bench softmax"), md);
        assertTrue(Files.readString(dir.resolve("charts/softmax-cpu.csv")).startsWith("N,shape,tessera GB/s,java GB/s"));
        assertTrue(Files.readString(dir.resolve("charts/softmax-cpu.svg")).contains("<svg"));

        Path results = Path.of(System.getProperty("tessera.results.dir"));
        List<String> lines;
        try (Stream<Path> files = Files.list(results)) {
            lines = files.filter(f -> f.toString().endsWith(".jsonl")).flatMap(f -> {
                try {
                    return Files.readAllLines(f).stream();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).filter(l -> l.contains("\"kernel\":\"softmax\"") && l.contains("\"shape\":\"32x128\"")).toList();
        }
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"provider\":\"tessera\"") && l.contains("\"GBps\":")
                && l.contains("\"config\":\"tuned: ROWS=")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"provider\":\"java\"")), lines.toString());
    }

    @Test
    void benchMatmulAndVectorAddWithChosenProviders() {
        Run mm = tessera(args("bench", "matmul", "--sizes", "32..64", "--device", "cpu", "--tune", "--no-log"));
        assertEquals(0, mm.code(), mm.out() + mm.err());
        assertTrue(mm.out().contains("GFLOP/s"), mm.out());
        assertTrue(mm.out().contains("tuned: BM="), mm.out());
        Run va = tessera(args("bench", "vector-add", "--sizes", "1000", "--providers", "java", "--no-log"));
        assertEquals(0, va.code(), va.out() + va.err());
        assertTrue(va.out().contains("java") && !va.out().contains("tessera"), va.out());
    }

    /** The results-log lines that contain every one of {@code parts}. */
    static List<String> logged(String... parts) throws java.io.IOException {
        Path results = Path.of(System.getProperty("tessera.results.dir"));
        try (Stream<Path> files = Files.list(results)) {
            return files.filter(f -> f.toString().endsWith(".jsonl")).flatMap(f -> {
                try {
                    return Files.readAllLines(f).stream();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).filter(l -> Stream.of(parts).allMatch(l::contains)).toList();
        }
    }

    @Test
    void matmulShapesLayoutsAndDtypesReachTheTableAndTheRecords() throws Exception {
        Run r = tessera(args("bench", "matmul", "--device", "cpu", "--dtype", "f32", "--shapes", "96x80x72,40x24x56", "--b-transposed",
                "--providers", "tessera", "--config", "BM=32,BN=32,BK=32,warps=4,stages=3"));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("shape") && r.out().contains("96x80x72") && r.out().contains("40x24x56"), r.out());
        assertTrue(r.out().contains("fixed: BM=32, BN=32, BK=32, GROUP=8, SPLIT=1, warps=4, stages=3"), r.out());
        assertFalse(logged("\"shape\":\"40x24x56\"", "\"layout\":\"A@W.T\"", "\"dtype\":\"f32\"", "\"provider\":\"tessera\"",
                "\"GFLOPs\":", "\"config\":\"fixed: BM=32").isEmpty(), r.err());

        Run tf32 = tessera(args("bench", "matmul", "--device", "cpu", "--dtype", "tf32", "--shapes", "48x48x48"));
        assertEquals(0, tf32.code(), tf32.out() + tf32.err());
        assertTrue(tf32.err().contains("leaving out provider java: the plain Java provider computes in full f32 precision, not tf32"), tf32.err());
        assertFalse(logged("\"shape\":\"48x48x48\"", "\"dtype\":\"tf32\"", "\"layout\":\"A@B\"").isEmpty());

        Run i8 = tessera(args("bench", "matmul", "--device", "cpu", "--dtype", "i8", "--shapes", "64x32x48", "--tune", "--tune-rep-ms", "1",
                "--tune-warmup-ms", "0", "--no-log"));
        assertEquals(0, i8.code(), i8.out() + i8.err());
        assertTrue(i8.out().contains("(i8, cpu)") && i8.out().contains("tuned: BM="), i8.out());
    }

    @Test
    void badOptionsStopWithOneLineAndExitCode2() {
        String[][] cases = {
                {"--dtype i8 is for matmul only", "bench", "softmax", "--dtype", "i8"},
                {"bad matmul shape '64x64': write MxNxK", "bench", "matmul", "--shapes", "64x64"},
                {"--config fixes the blocking; leave out --tune", "bench", "matmul", "--config", "BM=64,BN=64,BK=32", "--tune"},
                {"--shapes is for matmul and the quantized GEMMs only", "bench", "vector-add", "--shapes", "64x64x64"},
                {"the quantized GEMMs always multiply by W.T", "bench", "nf4-gemm", "--b-transposed"},
                {"give --shapes or --sweep, not both", "bench", "matmul", "--shapes", "64x64x64", "--sweep", "llm"},
                {"no matmul sweep named 'big'", "bench", "matmul", "--sweep", "big"},
                {"--tf32 rounds f32 matmul inputs to tf32; it does not apply to --dtype f16", "bench", "matmul", "--dtype", "f16", "--tf32"},
                {"--time-limit takes a positive number of seconds", "bench", "matmul", "--time-limit", "0"},
                {"BM=100 must be a power of 2", "bench", "matmul", "--config", "BM=100,BN=64,BK=32"},
                {"unknown dtype 'f13'", "bench", "matmul", "--dtype", "f13"},
        };
        for (String[] c : cases) {
            Run r = tessera(java.util.Arrays.copyOfRange(c, 1, c.length));
            assertEquals(2, r.code(), String.join(" ", c) + ":\n" + r.out() + r.err());
            assertTrue(r.err().startsWith("tessera bench: ") && r.err().contains(c[0]) && r.err().strip().lines().count() == 1,
                    String.join(" ", c) + ":\n" + r.err());
        }
    }

    @Test
    void measurementsNotStartedWithinTheTimeLimitAreReportedAsNotMeasured() {
        Run r = tessera(args("bench", "matmul", "--device", "cpu", "--shapes", "32x32x32,48x48x48", "--providers", "tessera",
                "--time-limit", "1e-9", "--no-log"));
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("not measured: the time limit of 1.0E-9 s ran out before 48x48x48"), r.err());
    }

    @Test
    void plotWithoutAFileWritesBesideTheResultsLog() {
        Run r = tessera(args("bench", "vector-add", "--sizes", "4096", "--device", "cpu", "--plot"));
        assertEquals(0, r.code(), r.out() + r.err());
        Path results = Path.of(System.getProperty("tessera.results.dir"));
        assertTrue(Files.isRegularFile(results.resolve("vector-add-f32-cpu.png")), r.err());
        assertTrue(Files.isRegularFile(results.resolve("vector-add-f32-cpu.md")), r.err());
    }

    @Test
    void unsupportedProvidersAreLeftOutWithAReason() {
        Run r = tessera(args("bench", "layer-norm", "--sizes", "64", "--rows", "8", "--dtype", "f16", "--device", "cpu", "--no-log"));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("leaving out provider java: the plain Java provider computes in f32 only"), r.err());
    }

    @Test
    void tuneCommandPrintsEveryConfigAndTheWinner() {
        Run r = tessera("tune", "matmul", "--sizes", "48", "--device", "cpu", "--no-cache", "--rep-ms", "3", "--warmup-ms", "1");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("BM=64, BN=64, BK=32, GROUP=8, SPLIT=1, warps=4, stages=3"), r.out());
        assertTrue(r.out().contains("<- best"), r.out());
        assertTrue(r.out().contains("winner: BM="), r.out());
        assertTrue(r.out().contains("pruned by the prune hook"), r.out());
        Run bad = tessera("tune", "vector-add");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("vector-add has no autotuner"), bad.err());
    }

    @Test
    void helpShowsExamples() {
        Run b = tessera("bench", "--help");
        assertTrue(b.out().contains("Examples:") && b.out().contains("tessera bench softmax --plot"), b.out());
        Run t = tessera("help", "tune");
        assertTrue(t.out().contains("Examples:") && t.out().contains("tessera tune matmul"), t.out());
        Run list = tessera("bench", "--list");
        assertTrue(list.out().contains("vector-add") && list.out().contains("java"), list.out());
    }

    @Test
    void sizesParseListsRangesAndPowers() {
        assertArrayEquals(new long[] {256, 512, 1024}, Sizes.parse("256..1024"));
        assertArrayEquals(new long[] {1 << 24}, Sizes.parse("2^24"));
        assertArrayEquals(new long[] {1024, 4096, 16384}, Sizes.parse("1k..16k:x4"));
        assertArrayEquals(new long[] {100, 200, 1 << 20}, Sizes.parse("100, 200,1M"));
        var e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse("abc"));
        assertTrue(e.getMessage().contains("bad size 'abc'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("512..256"));
    }
}
