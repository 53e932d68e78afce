package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/** Reference solution of puzzle 16 (scalar flash attention). */
public final class Puzzle16FlashAttention {
    private Puzzle16FlashAttention() {}

    @Kernel
    static void attention(Tile q, Tile k, Tile v, Tile z, Tile T, @Constexpr int BQ, @Constexpr int BK) {
        Tile i = programId(0).mul(BQ).add(arange(0, BQ));
        Tile qv = load(q.add(i), i.lt(T), 0.0);                                // [BQ]
        Var m = var(full(F32, Double.NEGATIVE_INFINITY, BQ));                  // running max of each query's scores
        Var l = var(zeros(F32, BQ));                                           // running sum of exp(score - m)
        Var acc = var(zeros(F32, BQ));                                         // running sum of exp(score - m) * v
        for (Tile start : range(0, T, BK)) {
            Tile j = start.add(arange(0, BK));
            Tile kv = load(k.add(j), j.lt(T), 0.0), vv = load(v.add(j), j.lt(T), 0.0);
            Tile scores = where(j.row().lt(T), qv.col().mul(kv.row()), Double.NEGATIVE_INFINITY); // [BQ, BK]
            Tile mNew = maximum(m.get(), max(scores, 1));
            Tile p = exp(scores.sub(mNew.col()));
            Tile alpha = exp(m.get().sub(mNew));                               // rescales what was summed with the old max
            l.set(l.get().mul(alpha).add(sum(p, 1)));
            acc.set(acc.get().mul(alpha).add(sum(p.mul(vv.row()), 1)));
            m.set(mNew);
        }
        store(z.add(i), acc.get().div(l.get()), i.lt(T));
    }
}
