package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/**
 * Puzzle 15 — long softmax (two passes, online normalizer).
 *
 * <pre>
 *   y[i, j] = exp(x[i, j] - m_i) / s_i,   m_i = max_j x[i, j],   s_i = sum_j exp(x[i, j] - m_i)
 *   pass 1 finds m and s together (rescale s by exp(m - m') when the max grows to m'); pass 2 writes y
 *   x: f32[M, N] (rows xStride apart), y: f32[M, N] (rows yStride apart)
 *   launched as grid(M), one program per row, with BLOCK = 32
 * </pre>
 *
 * {@code ./tessera puzzles show 15} prints the whole statement, {@code ./tessera puzzles hint 15} a hint,
 * {@code ./tessera puzzles check 15} checks this kernel, {@code ./tessera puzzles visualize 15} draws what it touches.
 */
public final class Puzzle15LongSoftmax {
    private Puzzle15LongSoftmax() {}

    @Kernel
    static void longSoftmax(Tile x, Tile y, Tile N, Tile xStride, Tile yStride, @Constexpr int BLOCK) {
        // YOUR CODE HERE: Var m = var(Double.NEGATIVE_INFINITY), s = var(0.0); two loops over range(0, N, BLOCK).
        TODO();
    }
}
