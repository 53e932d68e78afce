package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/** Reference solution of puzzle 5 (layer normalization). */
public final class Puzzle05LayerNorm {
    private Puzzle05LayerNorm() {}

    @Kernel
    static void layerNorm(Tile x, Tile w, Tile b, Tile y, Tile N, Tile xStride, Tile yStride, Tile eps,
                          @Constexpr int BLOCK) {
        Tile row = programId(0);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(N);
        Tile v = load(x.add(row.mul(xStride)).add(cols), mask, 0.0);
        Tile mean = sum(v, 0).div(N.to(F32));
        Tile centered = where(mask, v.sub(mean), 0.0);  // masked lanes would add mean² to the variance
        Tile variance = sum(centered.mul(centered), 0).div(N.to(F32));
        Tile rstd = rsqrt(variance.add(eps));
        Tile out = centered.mul(rstd).mul(load(w.add(cols), mask)).add(load(b.add(cols), mask));
        store(y.add(row.mul(yStride)).add(cols), out, mask);
    }
}
