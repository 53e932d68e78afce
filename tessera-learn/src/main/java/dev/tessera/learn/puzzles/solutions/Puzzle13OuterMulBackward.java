package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/** Reference solution of puzzle 13 (backward pass of the fused outer multiply). */
public final class Puzzle13OuterMulBackward {
    private Puzzle13OuterMulBackward() {}

    @Kernel
    static void outerMulBackward(Tile x, Tile y, Tile dz, Tile dx, Tile M, Tile N, @Constexpr int BM, @Constexpr int BN) {
        Tile j = programId(0).mul(BN).add(arange(0, BN));      // this program's columns (elements of x)
        Tile xv = load(x.add(j), j.lt(N));
        Var acc = var(zeros(F32, BN));
        for (Tile start : range(0, M, BM)) {                  // x[j] was used by every row: sum over them all
            Tile i = start.add(arange(0, BM));
            Tile yv = load(y.add(i), i.lt(M), 0.0);
            Tile mask = i.col().lt(M).and(j.row().lt(N));
            Tile g = load(dz.add(i.col().mul(N)).add(j.row()), mask, 0.0);          // [BM, BN]
            Tile active = yv.col().mul(xv.row()).gt(0.0);                          // where the ReLU let the gradient through
            acc.set(acc.get().add(sum(where(active, g.mul(yv.col()), 0.0), 0)));    // sum over the rows
        }
        store(dx.add(j), acc.get(), j.lt(N));
    }
}
