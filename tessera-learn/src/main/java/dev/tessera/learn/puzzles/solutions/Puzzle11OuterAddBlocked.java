package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/** Reference solution of puzzle 11 (outer vector add, blocked over a 2-D grid). */
public final class Puzzle11OuterAddBlocked {
    private Puzzle11OuterAddBlocked() {}

    @Kernel
    static void outerAdd(Tile x, Tile y, Tile z, Tile M, Tile N, @Constexpr int BM, @Constexpr int BN) {
        Tile i = programId(0).mul(BM).add(arange(0, BM));      // this program's rows
        Tile j = programId(1).mul(BN).add(arange(0, BN));      // and columns
        Tile sum = load(y.add(i), i.lt(M)).col().add(load(x.add(j), j.lt(N)).row());
        store(z.add(i.col().mul(N)).add(j.row()), sum, i.col().lt(M).and(j.row().lt(N)));
    }
}
