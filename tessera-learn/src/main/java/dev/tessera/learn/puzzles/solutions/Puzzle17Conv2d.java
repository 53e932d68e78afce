package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/** Reference solution of puzzle 17 (batched 2-D convolution). */
public final class Puzzle17Conv2d {
    private Puzzle17Conv2d() {}

    @Kernel
    static void conv2d(Tile x, Tile k, Tile z, Tile H, Tile W,
                       @Constexpr int KH, @Constexpr int KW, @Constexpr int BH, @Constexpr int BW) {
        Tile image = programId(0).mul(H).mul(W);                  // offset of this program's image
        Tile r = programId(1).mul(BH).add(arange(0, BH)), c = arange(0, BW);
        Tile acc = zeros(F32, BH, BW);
        for (int a = 0; a < KH; a++) {                            // Java loops over constexprs unroll while tracing
            for (int b = 0; b < KW; b++) {
                Tile rr = r.add(a).col(), cc = c.add(b).row();     // the input pixel under kernel tap (a, b)
                Tile pixels = load(x.add(image).add(rr.mul(W)).add(cc), rr.lt(H).and(cc.lt(W)), 0.0);
                acc = acc.add(pixels.mul(load(k.add(a * KW + b))));
            }
        }
        store(z.add(image).add(r.col().mul(W)).add(c.row()), acc, r.col().lt(H).and(c.row().lt(W)));
    }
}
