package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/** Reference solution of puzzle 12 (fused outer multiply + ReLU). */
public final class Puzzle12OuterMulRelu {
    private Puzzle12OuterMulRelu() {}

    @Kernel
    static void outerMulRelu(Tile x, Tile y, Tile z, Tile M, Tile N, @Constexpr int BM, @Constexpr int BN) {
        Tile i = programId(0).mul(BM).add(arange(0, BM));
        Tile j = programId(1).mul(BN).add(arange(0, BN));
        Tile product = load(y.add(i), i.lt(M)).col().mul(load(x.add(j), j.lt(N)).row());
        store(z.add(i.col().mul(N)).add(j.row()), maximum(product, 0.0), i.col().lt(M).and(j.row().lt(N)));
    }
}
