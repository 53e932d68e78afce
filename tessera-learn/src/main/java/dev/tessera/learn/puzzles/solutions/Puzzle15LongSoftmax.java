package dev.tessera.learn.puzzles.solutions;

import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/** Reference solution of puzzle 15 (long softmax, online normalizer). */
public final class Puzzle15LongSoftmax {
    private Puzzle15LongSoftmax() {}

    @Kernel
    static void longSoftmax(Tile x, Tile y, Tile N, Tile xStride, Tile yStride, @Constexpr int BLOCK) {
        Tile in = x.add(programId(0).mul(xStride)), out = y.add(programId(0).mul(yStride));
        // pass 1: the max and the sum of exp(x - max) together, rescaling the sum when the max grows
        Var m = var(Double.NEGATIVE_INFINITY), s = var(0.0);
        for (Tile start : range(0, N, BLOCK)) {
            Tile cols = start.add(arange(0, BLOCK));
            Tile v = load(in.add(cols), cols.lt(N), Double.NEGATIVE_INFINITY);
            Tile mNew = maximum(m.get(), max(v, 0));
            s.set(s.get().mul(exp(m.get().sub(mNew))).add(sum(exp(v.sub(mNew)), 0)));
            m.set(mNew);
        }
        // pass 2: normalize
        for (Tile start : range(0, N, BLOCK)) {
            Tile cols = start.add(arange(0, BLOCK));
            Tile v = load(in.add(cols), cols.lt(N), Double.NEGATIVE_INFINITY);
            store(out.add(cols), exp(v.sub(m.get())).div(s.get()), cols.lt(N));
        }
    }
}
