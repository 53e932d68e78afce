package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.learn.puzzles.check.Puzzles;
import dev.tessera.learn.puzzles.check.Skeletons;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The curriculum's commands, run in-process: what a learner types, and what they see. */
class LearnCommandsTest {
    record Run(int code, String out, String err) {}

    private static synchronized Run tessera(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            CommandLine cl = Main.commandLine(); // with the real error handler: what a learner sees
            cl.setOut(new java.io.PrintWriter(o, true));
            cl.setErr(new java.io.PrintWriter(e, true));
            int code = cl.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void puzzlesListWithoutChecking() {
        Run r = tessera("puzzles", "list", "--no-check");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("19  4-bit quantized matmul"), r.out());
        assertTrue(r.out().contains("Puzzle01VectorAdd.java"), r.out());
    }

    @Test
    void puzzlesListWithTheSolutionsSaysAllSolved() {
        Run r = tessera("puzzles", "list", "--solution", "--seed", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("19 of 19 solved"), r.out());
    }

    @Test
    void checkTheReferenceSolution() {
        Run r = tessera("puzzles", "check", "1", "--solution", "--seed", "12");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("seed 12 (repeat with --seed 12)"), r.out());
        assertTrue(r.out().contains("N=4097  ok"), r.out());
        assertTrue(r.out().contains("PASS: all 6 sizes match the float64 reference."), r.out());
    }

    @Test
    void checkAnUntouchedSkeleton() {
        Assumptions.assumeTrue(Skeletons.isUntouched(Puzzles.get("2")), "Puzzle02AddRelu.java has been edited");
        Run r = tessera("puzzles", "check", "2");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("Not solved yet: TODO() at Puzzle02AddRelu.java:"), r.out());
        assertTrue(r.err().isEmpty(), "no stack trace: " + r.err());
    }

    @Test
    void showHintAndSolution() {
        Run show = tessera("puzzles", "show", "4");
        assertEquals(0, show.code());
        assertTrue(show.out().contains("Puzzle 4 — Softmax"), show.out());
        assertTrue(show.out().contains("public final class Puzzle04Softmax"), show.out());
        Run hint = tessera("puzzles", "hint", "3", "2");
        assertTrue(hint.out().contains("hints 1-2 of 3"), hint.out());
        assertTrue(hint.out().contains("More: tessera puzzles hint 3 3"), hint.out());
        Run sol = tessera("puzzles", "solution", "1");
        assertTrue(sol.out().contains("package dev.tessera.learn.puzzles.solutions;"), sol.out());
        assertTrue(sol.out().contains("store(z.add(offsets), sum, mask);"), sol.out());
    }

    @Test
    void visualizeWritesPicturesAndAPage(@TempDir Path dir) throws Exception {
        Run r = tessera("puzzles", "visualize", "11", "--solution", "--pid", "2,1", "--out", dir.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("program (2, 1, 0):"), r.out());
        assertTrue(Files.exists(dir.resolve("index.html")));
        for (String t : new String[] {"x", "y", "z"}) assertTrue(Files.exists(dir.resolve("pid-2-1-0-" + t + ".svg")), t);
        Run bad = tessera("puzzles", "visualize", "11", "--solution", "--pid", "9,9", "--out", dir.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("no program with programId (9,9)"), bad.err());
    }

    @Test
    void unknownPuzzleIsAMessage() {
        Run r = tessera("puzzles", "check", "99");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("tessera puzzles check: no puzzle '99': there are 1 to 19"), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace: " + r.err());
    }

    @Test
    void basicsAndPatterns() {
        Run list = tessera("basics");
        assertEquals(0, list.code());
        assertTrue(list.out().contains("tessera basics program-ids"), list.out());
        Run masks = tessera("basics", "masks", "--device", "cpu");
        assertEquals(0, masks.code(), masks.err());
        assertTrue(masks.out().contains("KernelFault: Basics03Masks.java:"), masks.out());
        Run patterns = tessera("patterns");
        assertTrue(patterns.out().contains("tessera patterns softmax"), patterns.out());
        Run softmax = tessera("patterns", "softmax", "--quick", "--device", "cpu", "--rows", "16", "--cols", "100");
        assertEquals(0, softmax.code(), softmax.out() + softmax.err());
        assertTrue(softmax.out().contains("all variants match the float64 reference"), softmax.out());
    }

    @Test
    void advancedChapters() {
        Run list = tessera("advanced");
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("tessera advanced quantization"), list.out());
        assertTrue(list.out().contains("tessera advanced flash-attention"), list.out());
        Run source = tessera("advanced", "3", "--readme");
        assertTrue(source.out().contains("public final class Advanced03Quantization"), source.out());
        Run unknown = tessera("advanced", "9");
        assertEquals(2, unknown.code(), "a user error exits 2");
        assertTrue(unknown.err().contains("no advanced chapter '9'"), unknown.err());
    }
}
