package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/**
 * Puzzle 1 — vector addition.
 *
 * <pre>
 *   z[i] = x[i] + y[i]          for 0 <= i < N            x, y, z: f32[N]
 *   launched as grid(cdiv(N, BLOCK)) with BLOCK = 32: program p owns elements p*BLOCK ... p*BLOCK + BLOCK-1
 * </pre>
 *
 * {@code ./tessera puzzles show 1} prints the whole statement, {@code ./tessera puzzles hint 1} a hint,
 * {@code ./tessera puzzles check 1} checks this kernel, {@code ./tessera puzzles visualize 1} draws what it touches.
 */
public final class Puzzle01VectorAdd {
    private Puzzle01VectorAdd() {}

    @Kernel
    static void add(Tile x, Tile y, Tile z, Tile N, @Constexpr int BLOCK) {
        // YOUR CODE HERE: the offsets this program owns, a mask for the ones below N,
        // two masked loads and a masked store.
        TODO();
    }
}
