package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/** Reference solution of puzzle 3 (row-wise sum). */
public final class Puzzle03RowSum {
    private Puzzle03RowSum() {}

    @Kernel
    static void rowSum(Tile x, Tile out, Tile M, Tile N, Tile stride, @Constexpr int BM, @Constexpr int BN) {
        Tile rows = programId(0).mul(BM).add(arange(0, BM)); // [BM]
        Tile cols = arange(0, BN);                            // [BN]
        Tile pointers = x.add(rows.col().mul(stride)).add(cols.row()); // [BM, BN]: row r, column c
        Tile mask = rows.col().lt(M).and(cols.row().lt(N));
        Tile tile = load(pointers, mask, 0.0);                // masked lanes add nothing
        store(out.add(rows), sum(tile, 1), rows.lt(M));       // reduce along the columns (axis 1)
    }
}
