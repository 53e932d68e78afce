package dev.tessera.learn.visualize;

import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Puzzles;
import dev.tessera.learn.visualize.Picture.Shade;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The visualizer's page in a real browser (headless Chromium): it loads, the program id in the
 * address chooses the drawing, and the screenshot has the expected colours in the expected cells.
 * Skipped, with the reason, where Chromium is not installed.
 */
class VisualizerPageTest {
    @TempDir
    Path dir;
    Path chromium;

    /** Puzzle 1 without masks: the last program reads and writes past the end. */
    static final class NoMask {
        @Kernel
        static void add(Tile x, Tile y, Tile z, Tile N, @Constexpr int BLOCK) {
            Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
            store(z.add(offs), load(x.add(offs)).add(load(y.add(offs))));
        }
    }

    @BeforeEach
    void needChromium() {
        chromium = Chromium.find();
        Assumptions.assumeTrue(chromium != null, "no chromium on the PATH (Debian: apt-get install chromium; .ci/run installs it)");
    }

    private BufferedImage shoot(Visualizer.Output out, String fragment) throws Exception {
        Picture picture = new Picture(out.recording());
        return Chromium.screenshot(chromium, out.page().toUri() + fragment, Math.max(1000, picture.width() + 20),
                HtmlPage.HEADER + picture.height() + 20, dir);
    }

    interface ShotCheck { void check(BufferedImage shot); }

    /**
     * Shoots the page and checks the picture, shooting again (up to three times) when the check
     * fails: headless Chromium now and then captures before the bottom of a large SVG is painted.
     * A wrong page fails every attempt.
     */
    private void shootAndCheck(Visualizer.Output out, String fragment, ShotCheck check) throws Exception {
        AssertionError last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                check.check(shoot(out, fragment));
                return;
            } catch (AssertionError e) {
                last = e;
            }
        }
        throw last;
    }

    /** The colour at the centre of a cell, as the browser drew it. */
    private static int colourAt(BufferedImage shot, Picture picture, String tensor, long element) {
        int[] c = picture.cellCenter(tensor, element);
        assertNotNull(c, tensor + "[" + element + "] is not drawn");
        return shot.getRGB(c[0], HtmlPage.HEADER + c[1]) | 0xFF000000;
    }

    private static void assertShade(Shade expected, BufferedImage shot, Picture picture, String tensor, long element) {
        int got = colourAt(shot, picture, tensor, element);
        assertEquals(String.format("#%06x", expected.argb() & 0xFFFFFF), String.format("#%06x", got & 0xFFFFFF),
                tensor + "[" + element + "] should be " + expected.words);
    }

    @Test
    void theProgramIdInTheAddressChoosesTheCellsDrawn() throws Exception {
        Puzzle p = Puzzles.get("1"); // N = 70, BLOCK = 32: programs own 0..31, 32..63, 64..69 (+ 26 masked lanes)
        Visualizer.Output out = Visualizer.write(p, p.solution(), p.pictureSize(), 1, "0", dir.resolve("page"));
        Picture picture = new Picture(out.recording());
        assertEquals(3, out.recording().programs().size());

        shootAndCheck(out, "", first -> {             // no fragment: program 0
            assertShade(Shade.LOADED, first, picture, "x", 0);
            assertShade(Shade.LOADED, first, picture, "y", 31);
            assertShade(Shade.STORED, first, picture, "z", 5);
            assertShade(Shade.UNTOUCHED, first, picture, "x", 32);
        });
        shootAndCheck(out, "#pid=1", second -> {
            assertShade(Shade.UNTOUCHED, second, picture, "x", 0);
            assertShade(Shade.LOADED, second, picture, "x", 32);
            assertShade(Shade.LOADED, second, picture, "x", 63);
            assertShade(Shade.STORED, second, picture, "z", 40);
            assertShade(Shade.UNTOUCHED, second, picture, "z", 64);
        });
        shootAndCheck(out, "#pid=2,0", last -> {      // by programId
            assertShade(Shade.LOADED, last, picture, "x", 69);
            assertShade(Shade.MASKED, last, picture, "x", 70); // masked-off lanes past the end, drawn apart
            assertShade(Shade.MASKED, last, picture, "z", 95);
            assertShade(Shade.UNTOUCHED, last, picture, "x", 63);
        });
    }

    @Test
    void outOfBoundsAccessesAreRed() throws Exception {
        Puzzle p = Puzzles.get("1");
        Visualizer.Output out = Visualizer.write(p, NoMask.class, p.pictureSize(), 1, "2", dir.resolve("oob"));
        assertNull(out.recording().problem(), "recording continues past out-of-bounds lanes");
        Picture picture = new Picture(out.recording());
        shootAndCheck(out, "#pid=2", shot -> {
            assertShade(Shade.LOADED, shot, picture, "x", 64);
            assertShade(Shade.OUT_OF_BOUNDS, shot, picture, "x", 70);
            assertShade(Shade.OUT_OF_BOUNDS, shot, picture, "y", 80);
            assertShade(Shade.OUT_OF_BOUNDS, shot, picture, "z", 95);
            assertShade(Shade.STORED, shot, picture, "z", 69);
        });
        // and the page lists the bad accesses with their source line
        String notes = HtmlPage.notes(out.recording(), out.recording().programs().get(2));
        assertTrue(notes.matches("(?s).*load\\s+x\\s+at VisualizerPageTest\\.java:\\d+\\s+32 lanes: 6 in bounds \\(x\\[64\\] \\.\\. x\\[69\\]\\), "
                + "26 OUT OF BOUNDS \\(x\\[70\\] \\.\\. x\\[95\\]\\).*"), notes);
        assertTrue(Files.readString(out.page()).contains(Picture.esc(notes)));
    }

    @Test
    void aTwoDimensionalGridSteppedToAnEdgeBlock() throws Exception {
        Puzzle p = Puzzles.get("11"); // M = 20, N = 40, BM = 8, BN = 16: a 3 × 3 grid
        Visualizer.Output out = Visualizer.write(p, p.solution(), p.pictureSize(), 1, "2,1", dir.resolve("grid"));
        Picture picture = new Picture(out.recording());
        assertEquals(9, out.recording().programs().size());
        shootAndCheck(out, "#pid=2,1", shot -> {      // rows 16..19 (+4 masked), columns 16..31
            assertShade(Shade.STORED, shot, picture, "z", 16 * 40 + 16);
            assertShade(Shade.STORED, shot, picture, "z", 19 * 40 + 31);
            assertShade(Shade.UNTOUCHED, shot, picture, "z", 15 * 40 + 16);
            assertShade(Shade.UNTOUCHED, shot, picture, "z", 16 * 40 + 32);
            assertShade(Shade.LOADED, shot, picture, "x", 20);
            assertShade(Shade.LOADED, shot, picture, "y", 17);
            assertShade(Shade.UNTOUCHED, shot, picture, "y", 8);
        });
    }
}
