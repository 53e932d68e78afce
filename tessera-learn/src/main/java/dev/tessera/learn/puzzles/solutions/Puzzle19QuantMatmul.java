package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/** Reference solution of puzzle 19 (4-bit quantized matmul). */
public final class Puzzle19QuantMatmul {
    private Puzzle19QuantMatmul() {}

    @Kernel
    static void quantMatmul(Tile a, Tile w, Tile scales, Tile offsets, Tile c, Tile M, Tile N, Tile K,
                            @Constexpr int BM, @Constexpr int BN, @Constexpr int GROUP) {
        Tile rm = programId(0).mul(BM).add(arange(0, BM)), rn = programId(1).mul(BN).add(arange(0, BN));
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, K, GROUP)) {                     // one quantization group per step
            Tile rk = k.add(arange(0, GROUP));
            Tile at = load(a.add(rm.col().mul(K)).add(rk.row()), rm.col().lt(M), 0.0);          // [BM, GROUP]
            Tile packed = load(w.add(rk.div(8).col().mul(N)).add(rn.row()), rn.row().lt(N), 0L); // [GROUP, BN]: each int32 8 times
            Tile q = packed.shr(rk.rem(8).mul(4).col()).and(15);                               // weight k is nibble k % 8
            Tile group = k.div(GROUP);
            Tile scale = load(scales.add(group.mul(N)).add(rn), rn.lt(N), 0.0);               // [BN]
            Tile offset = load(offsets.add(group.mul(N)).add(rn), rn.lt(N), 0L);              // [BN]
            Tile weights = q.sub(offset.row()).to(F32).mul(scale.row());                       // [GROUP, BN]
            acc.set(dot(at, weights, acc.get()));
        }
        store(c.add(rm.col().mul(N)).add(rn.row()), acc.get(), rm.col().lt(M).and(rn.row().lt(N)));
    }
}
