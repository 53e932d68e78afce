package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/**
 * Puzzle 7 — GELU.
 *
 * <pre>
 *   y[i] = 0.5 * x[i] * (1 + erf(x[i] / sqrt(2)))      for 0 <= i < N      x, y: f32[N]
 *   launched as grid(cdiv(N, BLOCK)) with BLOCK = 128
 * </pre>
 *
 * {@code ./tessera puzzles show 7} prints the whole statement, {@code ./tessera puzzles hint 7} a hint,
 * {@code ./tessera puzzles check 7} checks this kernel, {@code ./tessera puzzles visualize 7} draws what it touches.
 */
public final class Puzzle07Gelu {
    private Puzzle07Gelu() {}

    @Kernel
    static void gelu(Tile x, Tile y, Tile N, @Constexpr int BLOCK) {
        // YOUR CODE HERE
        TODO();
    }
}
