package dev.tessera.learn.visualize;

import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Draws what a puzzle's kernel touches: for one chosen program an SVG per tensor, and for all
 * programs a page that steps through them.
 */
public final class Visualizer {
    private Visualizer() {}

    /** Pictures of more elements than this are not drawn: they would be unreadable anyway. */
    public static final long MAX_CELLS = 100_000;

    /** What was written. {@code program} is the chosen program's index in launch order (-1 if none ran). */
    public record Output(Path page, List<Path> pictures, Recording recording, int program) {}

    /**
     * Records {@code implementation}'s kernel at the puzzle's picture size and writes
     * {@code dir/index.html} and {@code dir/pid-<x>-<y>-<z>-<tensor>.svg} for the chosen program.
     *
     * @param pid "3" (the fourth program in launch order) or "1,2" / "1,2,0" (programId along each axis)
     */
    public static Output write(Puzzle puzzle, Class<?> implementation, Size size, long seed, String pid, Path dir) {
        Recording rec = Recording.record(puzzle, implementation, size, seed);
        long cells = rec.tensors().stream().mapToLong(Recording.TensorInfo::numel).sum();
        if (cells > MAX_CELLS) {
            throw new IllegalArgumentException("at " + size + " the tensors have " + cells + " elements, too many to draw (at most "
                    + MAX_CELLS + "); choose a smaller --size");
        }
        Picture picture = new Picture(rec);
        String who = implementation == puzzle.solution() ? "reference solution" : implementation == puzzle.skeleton() ? "your kernel"
                : implementation.getSimpleName();
        String title = "Puzzle " + puzzle.number() + " — " + puzzle.title();
        String subtitle = who + " (" + implementation.getSimpleName() + "." + puzzle.kernelName() + ") at " + size + ", seed " + seed
                + ", " + rec.programs().size() + " programs. Hover a cell for its accesses; ← → step.";
        try {
            Files.createDirectories(dir);
            Path page = dir.resolve("index.html");
            Files.writeString(page, HtmlPage.render(picture, title, subtitle));
            List<Path> pictures = new ArrayList<>();
            int index = rec.programs().isEmpty() ? -1 : programIndex(rec, pid);
            if (index >= 0) {
                Recording.Program p = rec.programs().get(index);
                for (Recording.TensorInfo t : rec.tensors()) {
                    Path svg = dir.resolve("pid-" + p.x() + "-" + p.y() + "-" + p.z() + "-" + t.name() + ".svg");
                    Files.writeString(svg, picture.svg(index, t.name()));
                    pictures.add(svg);
                }
            }
            return new Output(page, pictures, rec, index);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The program named by "3" or "1,2" or "1,2,0". */
    public static int programIndex(Recording rec, String pid) {
        String[] parts = pid.trim().split("\\s*,\\s*");
        int[] v = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--pid takes a number (the program's place in launch order) or x,y[,z]; got '" + pid + "'");
            }
        }
        int n = rec.programs().size();
        if (v.length == 1) {
            if (v[0] < 0 || v[0] >= n) throw new IllegalArgumentException("program " + v[0] + " does not exist: this launch has " + n + " (0 to " + (n - 1) + ")");
            return v[0];
        }
        int i = rec.indexOf(v[0], v[1], v.length > 2 ? v[2] : 0);
        if (i < 0) throw new IllegalArgumentException("no program with programId (" + pid + ") in this launch");
        return i;
    }
}
