package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/** Reference solution of puzzle 2 (fused add + ReLU). */
public final class Puzzle02AddRelu {
    private Puzzle02AddRelu() {}

    @Kernel
    static void addRelu(Tile x, Tile y, Tile z, Tile N, @Constexpr int BLOCK) {
        Tile offsets = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offsets.lt(N);
        Tile sum = load(x.add(offsets), mask).add(load(y.add(offsets), mask));
        store(z.add(offsets), maximum(sum, 0.0), mask); // the ReLU happens in registers: no extra pass over memory
    }
}
