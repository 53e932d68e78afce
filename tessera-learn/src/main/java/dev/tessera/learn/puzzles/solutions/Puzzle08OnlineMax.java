package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/** Reference solution of puzzle 8 (online maximum). */
public final class Puzzle08OnlineMax {
    private Puzzle08OnlineMax() {}

    @Kernel
    static void rowMax(Tile x, Tile maxOut, Tile argOut, Tile N, Tile stride, @Constexpr int BLOCK) {
        Tile row = x.add(programId(0).mul(stride));
        Var best = var(Double.NEGATIVE_INFINITY); // the largest value so far
        Var index = var(0);                       // and its column
        for (Tile start : range(0, N, BLOCK)) {
            Tile cols = start.add(arange(0, BLOCK));
            Tile chunk = load(row.add(cols), cols.lt(N), Double.NEGATIVE_INFINITY);
            Tile m = max(chunk, 0);
            Tile at = start.add(argmax(chunk, 0));  // the first position of the chunk's max
            Tile better = m.gt(best.get());         // strictly greater: ties keep the earlier column
            index.set(where(better, at, index.get()));
            best.set(maximum(best.get(), m));
        }
        store(maxOut.add(programId(0)), best.get());
        store(argOut.add(programId(0)), index.get());
    }
}
