package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/** Reference solution of puzzle 4 (softmax). */
public final class Puzzle04Softmax {
    private Puzzle04Softmax() {}

    @Kernel
    static void softmax(Tile x, Tile y, Tile N, Tile xStride, Tile yStride, @Constexpr int BLOCK) {
        Tile row = programId(0);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(N);
        // -inf in the masked lanes: they do not change the max, and exp(-inf) = 0 adds nothing to the sum
        Tile v = load(x.add(row.mul(xStride)).add(cols), mask, Double.NEGATIVE_INFINITY);
        Tile e = exp(v.sub(max(v, 0)));   // subtracting the max keeps exp from overflowing
        store(y.add(row.mul(yStride)).add(cols), e.div(sum(e, 0)), mask);
    }
}
