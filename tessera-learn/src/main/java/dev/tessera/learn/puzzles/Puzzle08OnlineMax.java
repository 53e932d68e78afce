package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/**
 * Puzzle 8 — online maximum.
 *
 * <pre>
 *   maxOut[i] = max over j < N of x[i, j];  argOut[i] = the first j where it occurs
 *   x: f32[M, N] (rows `stride` apart, N may be much larger than BLOCK); maxOut: f32[M]; argOut: i32[M]
 *   launched as grid(M), one program per row, with BLOCK = 32: loop over the row a chunk at a time
 * </pre>
 *
 * {@code ./tessera puzzles show 8} prints the whole statement, {@code ./tessera puzzles hint 8} a hint,
 * {@code ./tessera puzzles check 8} checks this kernel, {@code ./tessera puzzles visualize 8} draws what it touches.
 */
public final class Puzzle08OnlineMax {
    private Puzzle08OnlineMax() {}

    @Kernel
    static void rowMax(Tile x, Tile maxOut, Tile argOut, Tile N, Tile stride, @Constexpr int BLOCK) {
        // YOUR CODE HERE: Var best = var(Double.NEGATIVE_INFINITY), Var index = var(0);
        // for (Tile start : range(0, N, BLOCK)) { ... update them from the chunk ... }
        // then store best.get() and index.get().
        TODO();
    }
}
