package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/** Reference solution of puzzle 6 (tiled matrix multiplication). */
public final class Puzzle06Matmul {
    private Puzzle06Matmul() {}

    @Kernel
    static void matmul(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K,
                       @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile rm = programId(0).mul(BM).add(arange(0, BM)); // rows of C this program computes
        Tile rn = programId(1).mul(BN).add(arange(0, BN)); // columns of C
        Tile rk = arange(0, BK);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, K, BK)) {                   // a run-time loop over K in steps of BK
            Tile ks = k.add(rk);
            Tile at = load(a.add(rm.col().mul(K)).add(ks.row()), rm.col().lt(M).and(ks.row().lt(K)), 0.0); // [BM, BK]
            Tile bt = load(b.add(ks.col().mul(N)).add(rn.row()), ks.col().lt(K).and(rn.row().lt(N)), 0.0); // [BK, BN]
            acc.set(dot(at, bt, acc.get()));
        }
        store(c.add(rm.col().mul(N)).add(rn.row()), acc.get(), rm.col().lt(M).and(rn.row().lt(N)));
    }
}
