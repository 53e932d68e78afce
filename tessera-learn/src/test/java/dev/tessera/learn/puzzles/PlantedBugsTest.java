package dev.tessera.learn.puzzles;

import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.learn.puzzles.check.Checker;
import dev.tessera.learn.puzzles.check.Checker.Verdict;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Puzzles;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import org.junit.jupiter.api.Test;

/** The checker catches the mistakes learners make: each planted wrong solution fails, and says why. */
class PlantedBugsTest {

    private static Checker.Report check(int puzzle, Class<?> impl) {
        Puzzle p = Puzzles.get(String.valueOf(puzzle));
        return Checker.check(p, impl, 99, Device.cpu());
    }

    private static String text(Checker.Report r) {
        StringBuilder b = new StringBuilder();
        for (Checker.SizeResult s : r.sizes()) {
            b.append(s.size()).append(": ").append(s.verdict()).append(' ').append(s.summary()).append('\n');
            s.details().forEach(d -> b.append("    ").append(d).append('\n'));
        }
        return b.toString();
    }

    /** Off by one in the mask (<= N): the lane at N reads past the end. */
    static final class MaskLe {
        @Kernel
        static void add(Tile x, Tile y, Tile z, Tile N, @Constexpr int BLOCK) {
            Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
            Tile mask = offs.le(N);
            store(z.add(offs), load(x.add(offs), mask).add(load(y.add(offs), mask)), mask);
        }
    }

    /** Off by one the other way (< N - 1): the last element is never written. */
    static final class MaskShort {
        @Kernel
        static void add(Tile x, Tile y, Tile z, Tile N, @Constexpr int BLOCK) {
            Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
            Tile mask = offs.lt(N.sub(1));
            store(z.add(offs), load(x.add(offs), mask).add(load(y.add(offs), mask)), mask);
        }
    }

    /** No mask at all: fine when N is a multiple of BLOCK, out of bounds otherwise. */
    static final class NoMask {
        @Kernel
        static void add(Tile x, Tile y, Tile z, Tile N, @Constexpr int BLOCK) {
            Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
            store(z.add(offs), load(x.add(offs)).add(load(y.add(offs))));
        }
    }

    /** Walks rows with the width N instead of the row stride. */
    static final class WrongStride {
        @Kernel
        static void rowSum(Tile x, Tile out, Tile M, Tile N, Tile stride, @Constexpr int BM, @Constexpr int BN) {
            Tile rows = programId(0).mul(BM).add(arange(0, BM));
            Tile cols = arange(0, BN);
            Tile mask = rows.col().lt(M).and(cols.row().lt(N));
            Tile tile = load(x.add(rows.col().mul(N)).add(cols.row()), mask, 0.0);
            store(out.add(rows), sum(tile, 1), rows.lt(M));
        }
    }

    /** Reduces a [BM, BN] tile along axis 0 where the rows were meant: the result has the wrong shape. */
    static final class WrongAxisShape {
        @Kernel
        static void rowSum(Tile x, Tile out, Tile M, Tile N, Tile stride, @Constexpr int BM, @Constexpr int BN) {
            Tile rows = programId(0).mul(BM).add(arange(0, BM));
            Tile cols = arange(0, BN);
            Tile mask = rows.col().lt(M).and(cols.row().lt(N));
            Tile tile = load(x.add(rows.col().mul(stride)).add(cols.row()), mask, 0.0);
            store(out.add(rows), sum(tile, 0), rows.lt(M));
        }
    }

    /** Forgets the store. */
    static final class NoStore {
        @Kernel
        static void add(Tile x, Tile y, Tile z, Tile N, @Constexpr int BLOCK) {
            Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
            load(x.add(offs), offs.lt(N));
        }
    }

    @Test
    void maskOffByOneReadsOutOfBoundsAndSaysWhere() {
        Checker.Report r = check(1, MaskLe.class);
        assertEquals(Verdict.OUT_OF_BOUNDS, r.verdict(), text(r));
        String fault = r.firstFailure().details().getFirst();
        assertTrue(fault.contains("PlantedBugsTest.java:"), fault);
        assertTrue(fault.contains("out of bounds"), fault);
        assertTrue(fault.contains("program"), fault);
    }

    @Test
    void maskTooShortLeavesTheLastElementUnwritten() {
        Checker.Report r = check(1, MaskShort.class);
        assertEquals(Verdict.WRONG, r.verdict(), text(r));
        Checker.SizeResult first = r.firstFailure();
        assertEquals("N=1", first.size().toString());
        assertTrue(first.summary().contains("z: 1 of 1 elements wrong"), first.summary());
        assertTrue(first.details().getFirst().startsWith("z[0]: expected "), first.details().toString());
        assertTrue(first.details().getFirst().contains("never written"), first.details().toString());
        // every size is reported, each naming its last element
        Checker.SizeResult n100 = r.sizes().stream().filter(s -> s.size().toString().equals("N=100")).findFirst().orElseThrow();
        assertTrue(n100.details().getFirst().startsWith("z[99]"), n100.details().toString());
    }

    @Test
    void missingMaskIsCaughtAtTheFirstRaggedSize() {
        Checker.Report r = check(1, NoMask.class);
        assertEquals(Verdict.OUT_OF_BOUNDS, r.verdict(), text(r));
        assertEquals("N=1", r.firstFailure().size().toString());
        String fault = r.firstFailure().details().getFirst();
        assertTrue(fault.matches("(?s)PlantedBugsTest\\.java:\\d+: add \\(program 0, 0, 0\\): load out of bounds.*"), fault);
        // N = 32 is a multiple of the block: passes there
        assertEquals(Verdict.PASS, r.sizes().stream().filter(s -> s.size().toString().equals("N=32")).findFirst().orElseThrow().verdict());
    }

    @Test
    void wrongStrideGivesWrongValuesWhereStrideDiffersFromWidth() {
        Checker.Report r = check(3, WrongStride.class);
        assertEquals(Verdict.WRONG, r.verdict(), text(r));
        for (Checker.SizeResult s : r.sizes()) {
            boolean padded = s.size().get("stride") != s.size().get("N");
            boolean singleRow = s.size().get("M") == 1;
            assertEquals(padded && !singleRow ? Verdict.WRONG : Verdict.PASS, s.verdict(), s.size() + "\n" + text(r));
        }
        assertTrue(r.firstFailure().details().getFirst().matches("out\\[\\d+\\]: expected -?\\d.*, got -?\\d.*"),
                r.firstFailure().details().toString());
    }

    @Test
    void reductionOverTheWrongAxisIsCaught() {
        Checker.Report r = check(3, WrongAxisShape.class);
        // where the tile happens to be square the sums are simply wrong ...
        assertEquals(Verdict.WRONG, r.verdict(), text(r));
        assertEquals("M=6 N=3 stride=5", r.firstFailure().size().toString());
        // ... elsewhere the column sums have the wrong shape for the rows, and tracing says where
        Checker.SizeResult last = r.sizes().getLast();
        assertEquals(Verdict.DOES_NOT_TRACE, last.verdict(), text(r));
        assertTrue(last.details().getFirst().contains("PlantedBugsTest.java:"), last.details().getFirst());
    }

    @Test
    void forgettingTheStoreLeavesEverythingUnwritten() {
        Checker.Report r = check(1, NoStore.class);
        assertEquals(Verdict.WRONG, r.verdict(), text(r));
        assertTrue(r.firstFailure().summary().contains("none of them written"), r.firstFailure().summary());
    }
}
