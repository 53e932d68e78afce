package dev.tessera.learn.notebook;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The course notebook runs top to bottom in real Jupyter ({@code jupyter nbconvert --execute}) with
 * the Java kernel over this module's class path: a failing cell fails the test. Skipped, with the
 * reason, where Jupyter is not installed ({@code .ci/run} installs Debian's packages).
 */
class NotebookExecutesTest {
    static final Path NOTEBOOK = Path.of("notebook", "tessera.ipynb");

    @Test
    void everyCellRuns(@TempDir Path dir) throws Exception {
        Optional<Path> jupyter = Jupyter.find();
        Assumptions.assumeTrue(jupyter.isPresent() && Jupyter.has(jupyter.get(), "nbconvert"), Jupyter.MISSING);
        Path kernels = dir.resolve("jupyter");
        KernelSpec.install(kernels, Path.of(System.getProperty("java.home"), "bin", "java"), System.getProperty("java.class.path"));
        Path out = Path.of("target", "notebook", "tessera.ipynb");
        Files.createDirectories(out.getParent());
        Files.deleteIfExists(out);
        long start = System.nanoTime();
        int code = Jupyter.execute(jupyter.get(), NOTEBOOK, out, kernels, 300);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(0, code, "jupyter nbconvert --execute " + NOTEBOOK + " failed (its output above names the cell)");
        String executed = Files.readString(out);
        assertFalse(executed.contains("\"output_type\": \"error\""), "a cell shows an error: " + out);
        assertTrue(executed.contains("PASS: all 6 sizes match the float64 reference."), "the puzzle's last attempt passes");
        assertTrue(executed.contains("\"image/png\"") && executed.contains("\"image/svg+xml\""), "the chart and the visualizer's pictures are there");
        System.out.printf("notebook: every cell ran in %.1f s; executed copy in %s%n", seconds, out);
    }
}
