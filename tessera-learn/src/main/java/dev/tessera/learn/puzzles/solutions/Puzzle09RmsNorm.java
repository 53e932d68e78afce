package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/** Reference solution of puzzle 9 (RMSNorm). */
public final class Puzzle09RmsNorm {
    private Puzzle09RmsNorm() {}

    @Kernel
    static void rmsNorm(Tile x, Tile w, Tile y, Tile N, Tile xStride, Tile yStride, Tile eps, @Constexpr int BLOCK) {
        Tile row = programId(0);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(N);
        Tile v = load(x.add(row.mul(xStride)).add(cols), mask, 0.0); // zeros add nothing to the sum of squares
        Tile meanSquare = sum(v.mul(v), 0).div(N.to(F32));
        Tile out = v.mul(rsqrt(meanSquare.add(eps))).mul(load(w.add(cols), mask));
        store(y.add(row.mul(yStride)).add(cols), out, mask);
    }
}
