package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/**
 * Puzzle 10 — outer vector add (one block).
 *
 * <pre>
 *   z[i, j] = y[i] + x[j]        for 0 <= i < M, 0 <= j < N
 *   x: f32[N], y: f32[M], z: f32[M, N] row-major
 *   launched as grid(1): one program, with BM = nextPowerOf2(M), BN = nextPowerOf2(N)
 * </pre>
 *
 * {@code ./tessera puzzles show 10} prints the whole statement, {@code ./tessera puzzles hint 10} a hint,
 * {@code ./tessera puzzles check 10} checks this kernel, {@code ./tessera puzzles visualize 10} draws what it touches.
 */
public final class Puzzle10OuterAdd {
    private Puzzle10OuterAdd() {}

    @Kernel
    static void outerAdd(Tile x, Tile y, Tile z, Tile M, Tile N, @Constexpr int BM, @Constexpr int BN) {
        // YOUR CODE HERE: t.col() is t as a column [B, 1], t.row() as a row [1, B]; column + row broadcasts to a matrix.
        TODO();
    }
}
