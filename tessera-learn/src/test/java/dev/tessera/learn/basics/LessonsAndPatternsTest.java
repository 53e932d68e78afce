package dev.tessera.learn.basics;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.learn.Sources;
import dev.tessera.learn.patterns.MatmulPatterns;
import dev.tessera.learn.patterns.Pattern;
import dev.tessera.learn.patterns.SoftmaxPatterns;
import dev.tessera.runtime.Device;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every lesson and pattern runs on the CPU and says what it should. */
class LessonsAndPatternsTest {
    static List<Lesson> lessons() { return Lesson.all(); }

    private static String capture(java.util.function.Consumer<PrintStream> body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            body.accept(out);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("lessons")
    void lessonRunsOnTheCpu(Lesson lesson) {
        String out = capture(o -> lesson.run(o, Device.cpu(), true));
        assertFalse(out.isBlank());
        assertNotNull(Sources.of(lesson.source()), "source bundled for --readme");
        switch (lesson.name()) {
            case "program-ids" -> assertTrue(out.contains("  program:  0  0  0  0  1  1  1  1  2"), out);
            case "pointers" -> {
                assertTrue(out.contains("[3, 13, 23, 33, 43]"), out);
                assertTrue(out.contains("pointers is *f32[8]"), out);
                assertTrue(out.contains("[10, 11, 12, 13, 14, 15, 16]"), out);
            }
            case "masks" -> {
                assertTrue(out.contains("KernelFault: Basics03Masks.java:"), out);
                assertTrue(out.contains("[-10, -8, -6, -4, -2, -12, -14, -16, -18, -20]"), out);
                assertTrue(out.contains("[1, 2, 3, 4, 5, -1, -1, -1]"), out);
                assertTrue(out.contains("masked lanes as -inf: -1.0"), out);
            }
            case "block-ops" -> {
                assertTrue(out.contains("sum(x, 1)  one value per row:    [2, -1, -4, 4]"), out);
                assertTrue(out.contains("     2.00  26.00"), out);
            }
            case "profiling" -> {
                assertTrue(out.matches("(?s).*vector add: median [0-9.]+ ms -> [0-9.]+ GB/s achieved.*"), out);
                assertTrue(out.contains("kernel add("), out);
                assertTrue(out.contains("PTX: this device (cpu) compiles no PTX"), out);
            }
            default -> fail("no expectations for lesson " + lesson.name());
        }
    }

    @Test
    void softmaxPatternMeasuresThreeCorrectVariants() {
        List<SoftmaxPatterns.Row> rows = SoftmaxPatterns.measure(Device.cpu(), 33, 300, true);
        assertEquals(3, rows.size());
        for (SoftmaxPatterns.Row r : rows) {
            assertTrue(r.maxError() <= 1e-6, r.toString());
            assertTrue(r.ms() > 0 && r.gbps() > 0, r.toString());
        }
        double mn = 33.0 * 300;
        assertEquals((8 * mn + 4 * 33) * 4, rows.get(0).bytes());
        assertEquals(2 * mn * 4, rows.get(1).bytes());
        assertEquals(3 * mn * 4, rows.get(2).bytes());
        // rows longer than the online kernel's chunk
        List<SoftmaxPatterns.Row> longRows = SoftmaxPatterns.measure(Device.cpu(), 3, 2500, true);
        assertTrue(longRows.get(2).maxError() <= 1e-6, longRows.get(2).toString());
    }

    @Test
    void matmulPatternMeasuresCorrectVariantsAndPicksAConfig() {
        MatmulPatterns.Result r = MatmulPatterns.measure(Device.cpu(), 100, true);
        assertEquals(4, r.rows().size(), "naive, grouped, autotuned, plain Java");
        for (MatmulPatterns.Row row : r.rows()) assertTrue(row.maxError() < 1e-3, row.toString());
        assertEquals(MatmulPatterns.searchSpace(true).size(), r.sweep().size());
        assertTrue(MatmulPatterns.searchSpace(true).contains(r.best()));
    }

    @Test
    void patternsListAndReadmesAreThere() {
        assertEquals(List.of("softmax", "matmul"), Pattern.all().stream().map(Pattern::name).toList());
        for (String section : List.of("basics", "puzzles", "patterns", "visualize")) {
            assertNotNull(Sources.readme(section), section + "/README.md");
        }
    }
}
