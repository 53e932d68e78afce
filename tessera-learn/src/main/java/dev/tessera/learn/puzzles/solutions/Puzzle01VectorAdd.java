package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/** Reference solution of puzzle 1 (vector addition). */
public final class Puzzle01VectorAdd {
    private Puzzle01VectorAdd() {}

    @Kernel
    static void add(Tile x, Tile y, Tile z, Tile N, @Constexpr int BLOCK) {
        Tile offsets = programId(0).mul(BLOCK).add(arange(0, BLOCK)); // this program's elements
        Tile mask = offsets.lt(N);                                     // the last program runs past N
        Tile sum = load(x.add(offsets), mask).add(load(y.add(offsets), mask));
        store(z.add(offsets), sum, mask);
    }
}
