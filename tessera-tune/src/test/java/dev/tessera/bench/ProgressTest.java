package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void linesArePlainAndNumbered() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Progress p = Progress.create(Progress.Mode.LINES, "sweep", 12, new PrintStream(bytes, true, StandardCharsets.UTF_8))) {
            p.step("N=256 tessera");
            p.step("N=256 java");
        }
        assertEquals("sweep [ 1/12] N=256 tessera\nsweep [ 2/12] N=256 java\n",
                bytes.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n"));
    }

    @Test
    void noneShowsNothing() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Progress p = Progress.create(Progress.Mode.NONE, "sweep", 2, new PrintStream(bytes))) {
            p.step("x");
        }
        assertEquals(0, bytes.size());
    }

    @Test
    void explicitModesAreKeptAndAutoPicksLinesWithoutATerminal() {
        assertEquals(Progress.Mode.BAR, Progress.resolve(Progress.Mode.BAR));
        assertEquals(Progress.Mode.NONE, Progress.resolve(Progress.Mode.NONE));
        if (System.getenv("TESSERA_PROGRESS") == null) {
            // surefire runs tests with standard output redirected, so there is no terminal
            assertEquals(Progress.Mode.LINES, Progress.resolve(Progress.Mode.AUTO));
        }
    }

    @Test
    void theBarRendersThroughTheProgressbarLibrary() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Progress p = Progress.create(Progress.Mode.BAR, "sweep", 2, new PrintStream(bytes, true, StandardCharsets.UTF_8))) {
            p.step("first");
            p.step("second");
        }
        String shown = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(shown.contains("sweep") && shown.contains("2/2"), shown);
    }
}
