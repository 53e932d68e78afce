package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/** Reference solution of puzzle 10 (outer vector add, one block). */
public final class Puzzle10OuterAdd {
    private Puzzle10OuterAdd() {}

    @Kernel
    static void outerAdd(Tile x, Tile y, Tile z, Tile M, Tile N, @Constexpr int BM, @Constexpr int BN) {
        Tile i = arange(0, BM), j = arange(0, BN);
        Tile yv = load(y.add(i), i.lt(M));                     // [BM]
        Tile xv = load(x.add(j), j.lt(N));                     // [BN]
        Tile sum = yv.col().add(xv.row());                     // [BM, 1] + [1, BN] broadcasts to [BM, BN]
        store(z.add(i.col().mul(N)).add(j.row()), sum, i.col().lt(M).and(j.row().lt(N)));
    }
}
