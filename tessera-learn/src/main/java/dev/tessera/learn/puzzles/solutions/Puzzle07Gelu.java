package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/** Reference solution of puzzle 7 (GELU). */
public final class Puzzle07Gelu {
    private Puzzle07Gelu() {}

    @Kernel
    static void gelu(Tile x, Tile y, Tile N, @Constexpr int BLOCK) {
        Tile offsets = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offsets.lt(N);
        Tile v = load(x.add(offsets), mask);
        Tile out = v.mul(0.5).mul(erf(v.mul(1 / Math.sqrt(2))).add(1.0)); // 1/sqrt(2) is a Java constant: computed while tracing
        store(y.add(offsets), out, mask);
    }
}
