package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/**
 * Puzzle 9 — RMSNorm.
 *
 * <pre>
 *   y[i, j] = x[i, j] / sqrt((1/N) sum_k x[i, k]^2 + eps) * w[j]
 *   x: f32[M, N] (rows xStride apart), w: f32[N], y: f32[M, N] (rows yStride apart), eps: f32 scalar
 *   launched as grid(M), one program per row, with BLOCK = nextPowerOf2(N)
 * </pre>
 *
 * {@code ./tessera puzzles show 9} prints the whole statement, {@code ./tessera puzzles hint 9} a hint,
 * {@code ./tessera puzzles check 9} checks this kernel, {@code ./tessera puzzles visualize 9} draws what it touches.
 */
public final class Puzzle09RmsNorm {
    private Puzzle09RmsNorm() {}

    @Kernel
    static void rmsNorm(Tile x, Tile w, Tile y, Tile N, Tile xStride, Tile yStride, Tile eps, @Constexpr int BLOCK) {
        // YOUR CODE HERE
        TODO();
    }
}
