package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/** Reference solution of puzzle 18 (blocked batched matmul). */
public final class Puzzle18BatchedMatmul {
    private Puzzle18BatchedMatmul() {}

    @Kernel
    static void bmm(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K,
                    @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile batch = programId(2);
        Tile aBatch = a.add(batch.mul(M).mul(K)), bBatch = b.add(batch.mul(K).mul(N)), cBatch = c.add(batch.mul(M).mul(N));
        Tile rm = programId(0).mul(BM).add(arange(0, BM)), rn = programId(1).mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, K, BK)) {
            Tile ks = k.add(rk);
            Tile at = load(aBatch.add(rm.col().mul(K)).add(ks.row()), rm.col().lt(M).and(ks.row().lt(K)), 0.0);
            Tile bt = load(bBatch.add(ks.col().mul(N)).add(rn.row()), ks.col().lt(K).and(rn.row().lt(N)), 0.0);
            acc.set(dot(at, bt, acc.get()));
        }
        store(cBatch.add(rm.col().mul(N)).add(rn.row()), acc.get(), rm.col().lt(M).and(rn.row().lt(N)));
    }
}
