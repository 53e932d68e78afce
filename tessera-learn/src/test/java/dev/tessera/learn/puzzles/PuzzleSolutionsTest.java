package dev.tessera.learn.puzzles;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.learn.puzzles.check.Checker;
import dev.tessera.learn.puzzles.check.Checker.Verdict;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Puzzles;
import dev.tessera.runtime.Device;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every reference solution passes its checker; every untouched skeleton is "not solved yet". */
class PuzzleSolutionsTest {
    static Stream<Puzzle> puzzles() { return Puzzles.all().stream(); }

    private static String describe(Checker.Report r) {
        StringBuilder b = new StringBuilder("puzzle " + r.puzzle().number() + " seed " + r.seed() + ":\n");
        for (Checker.SizeResult s : r.sizes()) {
            b.append("  ").append(s.size()).append(": ").append(s.verdict()).append(" ").append(s.summary()).append('\n');
            s.details().forEach(d -> b.append("      ").append(d).append('\n'));
        }
        return b.toString();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("puzzles")
    void solutionPasses(Puzzle p) {
        Checker.Report r = Checker.check(p, p.solution(), 20240601L + p.number(), Device.cpu());
        assertEquals(Verdict.PASS, r.verdict(), () -> describe(r));
        assertEquals(p.sizes().size(), r.sizes().size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("puzzles")
    void untouchedSkeletonIsNotSolvedYet(Puzzle p) {
        Checker.Report r = Checker.check(p, p.skeleton(), 7, Device.cpu());
        assertEquals(Verdict.NOT_SOLVED, r.verdict(), () -> describe(r));
        assertTrue(r.firstFailure().details().getFirst().contains(p.skeleton().getSimpleName() + ".java:"),
                () -> r.firstFailure().details().toString());
    }
}
