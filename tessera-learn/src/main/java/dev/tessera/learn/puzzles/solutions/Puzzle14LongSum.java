package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/** Reference solution of puzzle 14 (long row sum). */
public final class Puzzle14LongSum {
    private Puzzle14LongSum() {}

    @Kernel
    static void longSum(Tile x, Tile out, Tile N, Tile stride, @Constexpr int BLOCK) {
        Tile row = x.add(programId(0).mul(stride));
        Var acc = var(zeros(F32, BLOCK));                      // BLOCK partial sums, one per lane
        for (Tile start : range(0, N, BLOCK)) {
            Tile cols = start.add(arange(0, BLOCK));
            acc.set(acc.get().add(load(row.add(cols), cols.lt(N), 0.0)));
        }
        store(out.add(programId(0)), sum(acc.get(), 0));       // one reduction at the end
    }
}
