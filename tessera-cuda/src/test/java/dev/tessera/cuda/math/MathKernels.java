package dev.tessera.cuda.math;

import static dev.tessera.lang.TL.*;

import dev.tessera.ir.Op;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.semantic.Semantic;

/** One math function over a vector, for measuring its error on a GPU. */
final class MathKernels {
    private MathKernels() {}

    @Kernel
    static void unary(Tile x, Tile out, Tile n, @Constexpr Op.Unary.Fn FN, @Constexpr int BLOCK) {
        Tile o = programId(0).mul(BLOCK).add(arange(0, BLOCK)), m = o.lt(n);
        store(out.add(o), Tile.wrap(Semantic.unary(FN, load(x.add(o), m).value())), m);
    }

    @Kernel
    static void binary(Tile x, Tile y, Tile out, Tile n, @Constexpr Op.Binary.Fn FN, @Constexpr int BLOCK) {
        Tile o = programId(0).mul(BLOCK).add(arange(0, BLOCK)), m = o.lt(n);
        store(out.add(o), Tile.wrap(Semantic.binary(FN, load(x.add(o), m).value(), load(y.add(o), m).value())), m);
    }
}
