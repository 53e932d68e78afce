package dev.tessera.learn.puzzles;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.learn.puzzles.check.Checker;
import dev.tessera.learn.puzzles.check.Checker.Verdict;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Puzzles;
import dev.tessera.learn.puzzles.check.Skeletons;
import dev.tessera.runtime.Device;
import dev.tessera.testing.TestDevices;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
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
    void everySkeletonHasAShippedHash(Puzzle p) {
        assertNotNull(Skeletons.shipped(p), () -> "skeletons.sha256 lists no hash for " + p.skeleton().getSimpleName() + ".java");
    }

    /** Every puzzle on every device: the CPU here, and each GPU backend's first device where one is present (the GPU suite). */
    static Stream<Arguments> devicesAndPuzzles() {
        return TestDevices.all().flatMap(d -> Puzzles.all().stream().map(p -> Arguments.of(d, p)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("devicesAndPuzzles")
    void solutionPasses(Device device, Puzzle p) {
        Checker.Report r = Checker.check(p, p.solution(), 20240601L + p.number(), TestDevices.require(device));
        assertEquals(Verdict.PASS, r.verdict(), () -> describe(r));
        assertEquals(p.sizes().size(), r.sizes().size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("puzzles")
    void untouchedSkeletonIsNotSolvedYet(Puzzle p) {
        String line = Skeletons.hash(p) + "  " + p.skeleton().getSimpleName() + ".java";
        if (System.getenv("TESSERA_CI") != null) { // a clean checkout: every skeleton is as shipped
            assertTrue(Skeletons.isUntouched(p), () -> p.skeletonPath() + " differs from the shipped skeleton; if that is intended, put\n  "
                    + line + "\ninto tessera-learn/src/main/resources/dev/tessera/learn/puzzles/check/skeletons.sha256");
        }
        Assumptions.assumeTrue(Skeletons.isUntouched(p), () -> p.skeleton().getSimpleName()
                + ".java has been edited (a learner's work): the untouched-skeleton check applies to the shipped file");
        Checker.Report r = Checker.check(p, p.skeleton(), 7, Device.cpu());
        assertEquals(Verdict.NOT_SOLVED, r.verdict(), () -> describe(r));
        assertTrue(r.firstFailure().details().getFirst().contains(p.skeleton().getSimpleName() + ".java:"),
                () -> r.firstFailure().details().toString());
    }
}
