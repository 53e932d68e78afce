package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.Color;
import java.awt.GraphicsEnvironment;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class PerfReportTest {

    static final long[] XS = {256, 512, 1024, 2048, 4096};
    static final LocalDate DATE = LocalDate.of(2025, 3, 14);

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    /** Two fake providers with known times: "fast" takes x/10000 ms (as a BenchResult), "slow" x/5000 ms. */
    PerfReport.Builder twoProviders() {
        return PerfReport.builder("copy test").title("Copy test").kernel("copy").dtype("f32")
                .x("N", XS).shape(n -> n + "x" + n)
                .metric(Metric.gbps(n -> 8e3 * n))
                .provider("fast", n -> BenchResult.fromSamples(new double[] {n / 1e4, n / 1e4, n / 2e4}, new double[] {0.2, 0.8}, 3, "fake device"))
                .providerMs("slow", n -> n / 5e3)
                .chartSize(640, 480)
                .date(DATE)
                .progress(Progress.Mode.LINES)
                .out(new PrintStream(out, true, StandardCharsets.UTF_8))
                .err(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void sweepComputesMetricsAndPrintsATable() {
        SweepResult r = twoProviders().build().run();
        assertEquals(List.of("fast", "slow"), r.providerNames());
        assertEquals("fake device", r.device(), "device comes from the first timed result");
        // 8000·N bytes in N/10⁴ ms = 80 GB/s; in N/(5·10³) ms = 40 GB/s
        for (long x : XS) {
            assertEquals(80, r.metric(x, "fast"), 1e-9);
            assertEquals(40, r.metric(x, "slow"), 1e-9);
            assertEquals(x / 1e4, r.result(x, "fast").orElseThrow().medianMs(), 1e-15);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("Copy test: GB/s"), printed);
        assertTrue(printed.contains("   N  fast  slow\n----  ----  ----\n 256    80    40\n"), printed);
        String progress = err.toString(StandardCharsets.UTF_8);
        assertTrue(progress.contains("copy test [ 1/10] N=256 fast: 0.0256 ms, 80 GB/s"), progress);
        assertTrue(progress.contains("copy test [10/10] N=4096 slow"), progress);
        assertFalse(progress.contains("\r") || progress.contains("\u001b"), "no terminal control codes when not a terminal");
    }

    @Test
    void writesMarkdownCsvJsonLinesAndCharts(@TempDir Path dir) throws Exception {
        SweepResult r = twoProviders().build().run();
        List<Path> files = r.save(dir);
        for (String ext : List.of("md", "csv", "jsonl", "png", "svg")) {
            Path f = dir.resolve("copy-test." + ext);
            assertTrue(files.contains(f) && Files.size(f) > 0, f.toString());
        }

        String md = Files.readString(dir.resolve("copy-test.md"));
        assertTrue(md.contains("| N | fast | slow |\n|---:|---:|---:|\n| 256 | 80 | 40 |\n"), md);
        assertTrue(md.startsWith("### Copy test: GB/s"), md);

        List<String> csv = Files.readAllLines(dir.resolve("copy-test.csv"));
        assertEquals("N,shape,fast GB/s,slow GB/s,fast ms,slow ms", csv.get(0));
        assertEquals(XS.length + 1, csv.size());
        assertEquals("1024,1024x1024,80,40,0.1024,0.2048", csv.get(3));

        List<String> jsonl = Files.readAllLines(dir.resolve("copy-test.jsonl"));
        assertEquals(XS.length * 2, jsonl.size());
        assertEquals("{\"kernel\":\"copy\",\"shape\":\"256x256\",\"dtype\":\"f32\",\"provider\":\"fast\",\"ms\":0.0256,"
                + "\"GBps\":80.0,\"device\":\"fake device\",\"date\":\"2025-03-14\"}", jsonl.get(0));
        for (String line : jsonl) {
            Map<String, Object> m = JsonReader.parseObject(line);
            assertEquals(List.of("kernel", "shape", "dtype", "provider", "ms", "GBps", "device", "date"), new ArrayList<>(m.keySet()));
        }

        BufferedImage png = ImageIO.read(dir.resolve("copy-test.png").toFile());
        assertNotNull(png, "PNG decodes");
        assertEquals(640, png.getWidth());
        assertEquals(480, png.getHeight());
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < png.getHeight(); y++) for (int x = 0; x < png.getWidth(); x++) colours.add(png.getRGB(x, y) & 0xffffff);
        assertTrue(colours.size() > 10, "not blank: " + colours.size() + " colours");
        for (int p = 0; p < 2; p++) {
            int rgb = ChartWriter.PALETTE[p].getRGB() & 0xffffff;
            assertTrue(colours.contains(rgb), "provider " + p + " is drawn in its colour " + Integer.toHexString(rgb));
        }

        Document svg = parseSvg(dir.resolve("copy-test.svg"));
        assertEquals("svg", svg.getDocumentElement().getLocalName());
        for (int p = 0; p < 2; p++) {
            List<Element> lines = seriesPaths(svg, ChartWriter.PALETTE[p], XS.length - 1);
            assertEquals(1, lines.size(), "one path through all points for provider " + p);
        }
        assertTrue(GraphicsEnvironment.isHeadless());
    }

    @Test
    void logAxesRenderToo(@TempDir Path dir) throws Exception {
        SweepResult r = twoProviders().logX(true).logY(true).build().run();
        r.writePng(dir.resolve("log.png"));
        r.writeSvg(dir.resolve("log.svg"));
        assertEquals(640, ImageIO.read(dir.resolve("log.png").toFile()).getWidth());
        for (int p = 0; p < 2; p++) assertEquals(1, seriesPaths(parseSvg(dir.resolve("log.svg")), ChartWriter.PALETTE[p], XS.length - 1).size());
        assertEquals("1024", ChartWriter.powerOfTwoLabel(10));
        assertEquals("", ChartWriter.powerOfTwoLabel(10.5));
    }

    @Test
    void aFailingProviderLeavesAGapButTheRestIsReported(@TempDir Path dir) throws Exception {
        SweepResult r = twoProviders()
                .provider("broken", n -> { if (n >= 1024) throw new IllegalStateException("out of memory at " + n); return BenchResult.ofMs(1); })
                .build().run();
        assertEquals(3, r.errors().size());
        assertTrue(r.errors().getFirst().contains("N=1024 broken failed: java.lang.IllegalStateException: out of memory at 1024"));
        assertTrue(Double.isNaN(r.metric(2048, "broken")));
        assertTrue(r.result(2048, "broken").isEmpty());
        assertTrue(r.table().render().contains("1024    80    40       -"), r.table().render());
        assertEquals(XS.length * 2 + 2, r.records().size());
        assertTrue(r.toCsv().lines().anyMatch(l -> l.equals("4096,4096x4096,80,40,,0.4096,0.8192,")), r.toCsv());
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("copy test: N=4096 broken failed"));
        r.save(dir); // the chart still renders with the points that exist
        // two one-segment paths in the third colour: the series (two points) and its legend sample
        assertEquals(2, seriesPaths(parseSvg(dir.resolve("copy-test.svg")), ChartWriter.PALETTE[2], 1).size());

        PerfReport strict = twoProviders().failFast(true)
                .provider("broken", n -> { throw new IllegalStateException("boom"); }).build();
        assertThrows(IllegalStateException.class, strict::run);
    }

    @Test
    void timeMetricAndRealBenchmarks() {
        SweepResult r = PerfReport.builder("spin").x("us", 100, 400)
                .provider("spin", us -> Bench.doBench(() -> BenchTest.spin(us * 1000),
                        BenchOptions.defaults().withWarmupMs(1).withRepMs(5).withFlushCache(false)))
                .progress(Progress.Mode.NONE).printTable(false).build().run();
        assertTrue(r.metric(400, "spin") > r.metric(100, "spin"));
        assertEquals(CpuTimer.shared().deviceName(), r.device());
        assertEquals("us,shape,spin ms", r.toCsv().lines().findFirst().orElseThrow());
        assertFalse(r.toJsonLines().contains("GBps"));
        assertEquals(LocalDate.now(), r.date());
        assertEquals("us=100", r.records().getFirst().shape());
    }

    @Test
    void builderValidation() {
        assertThrows(IllegalStateException.class, () -> PerfReport.builder("r").providerMs("a", x -> 1).build());
        assertThrows(IllegalStateException.class, () -> PerfReport.builder("r").x("N", 1, 2).build());
        IllegalStateException dup = assertThrows(IllegalStateException.class,
                () -> PerfReport.builder("r").x("N", 1).providerMs("a", x -> 1).providerMs("a", x -> 2).build());
        assertTrue(dup.getMessage().contains("two providers named 'a'"));
        IllegalStateException unit = assertThrows(IllegalStateException.class,
                () -> PerfReport.builder("r").x("N", 1).metric(Metric.gbps(x -> x))
                        .provider(Provider.ofMs("a", x -> 1).withMetric(Metric.tflops(x -> x))).build());
        assertTrue(unit.getMessage().contains("TFLOP/s"), unit.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PerfReport.builder("r").x("N"));
        assertThrows(IllegalArgumentException.class, () -> PerfReport.builder(" "));
        assertArrayEquals(new long[] {256, 512, 1024, 2048, 4096, 8192, 16384}, PerfReport.powersOfTwo(256, 16384));
        assertThrows(IllegalArgumentException.class, () -> PerfReport.powersOfTwo(300, 1000));
    }

    static Document parseSvg(Path file) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return f.newDocumentBuilder().parse(file.toFile());
    }

    /** Stroked paths in {@code colour} with at least {@code segments} line segments. */
    static List<Element> seriesPaths(Document svg, Color colour, int segments) {
        String stroke = "stroke:rgb(" + colour.getRed() + "," + colour.getGreen() + "," + colour.getBlue() + ")";
        NodeList paths = svg.getElementsByTagNameNS("http://www.w3.org/2000/svg", "path");
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < paths.getLength(); i++) {
            Element e = (Element) paths.item(i);
            long ls = e.getAttribute("d").chars().filter(c -> c == 'L').count();
            if (e.getAttribute("style").contains(stroke) && ls >= segments) out.add(e);
        }
        return out;
    }
}
