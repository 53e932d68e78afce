package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/**
 * Puzzle 2 — fused add + ReLU.
 *
 * <pre>
 *   z[i] = max(x[i] + y[i], 0)      for 0 <= i < N           x, y, z: f32[N]
 *   launched as grid(cdiv(N, BLOCK)) with BLOCK = 64
 * </pre>
 *
 * {@code ./tessera puzzles show 2} prints the whole statement, {@code ./tessera puzzles hint 2} a hint,
 * {@code ./tessera puzzles check 2} checks this kernel, {@code ./tessera puzzles visualize 2} draws what it touches.
 */
public final class Puzzle02AddRelu {
    private Puzzle02AddRelu() {}

    @Kernel
    static void addRelu(Tile x, Tile y, Tile z, Tile N, @Constexpr int BLOCK) {
        // YOUR CODE HERE: puzzle 1, plus the ReLU before the store.
        TODO();
    }
}
