package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/**
 * Puzzle 4 — softmax.
 *
 * <pre>
 *   y[i, j] = exp(x[i, j] - max_k x[i, k]) / sum_k exp(x[i, k] - max_k x[i, k])
 *   x: f32[M, N], rows xStride apart; y: f32[M, N], rows yStride apart
 *   launched as grid(M), one program per row, with BLOCK = nextPowerOf2(N)
 * </pre>
 *
 * {@code ./tessera puzzles show 4} prints the whole statement, {@code ./tessera puzzles hint 4} a hint,
 * {@code ./tessera puzzles check 4} checks this kernel, {@code ./tessera puzzles visualize 4} draws what it touches.
 */
public final class Puzzle04Softmax {
    private Puzzle04Softmax() {}

    @Kernel
    static void softmax(Tile x, Tile y, Tile N, Tile xStride, Tile yStride, @Constexpr int BLOCK) {
        // YOUR CODE HERE: load the row (what should masked lanes hold?), subtract its max,
        // exponentiate, divide by the sum, store.
        TODO();
    }
}
