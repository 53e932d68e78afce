package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/**
 * Puzzle 11 — outer vector add (blocked, 2-D program ids).
 *
 * <pre>
 *   z[i, j] = y[i] + x[j]        for 0 <= i < M, 0 <= j < N
 *   x: f32[N], y: f32[M], z: f32[M, N] row-major
 *   launched as grid(cdiv(M, BM), cdiv(N, BN)) with BM = 8, BN = 16:
 *   program (programId(0), programId(1)) owns one [BM, BN] block of z
 * </pre>
 *
 * {@code ./tessera puzzles show 11} prints the whole statement, {@code ./tessera puzzles hint 11} a hint,
 * {@code ./tessera puzzles check 11} checks this kernel, {@code ./tessera puzzles visualize 11} draws what it touches.
 */
public final class Puzzle11OuterAddBlocked {
    private Puzzle11OuterAddBlocked() {}

    @Kernel
    static void outerAdd(Tile x, Tile y, Tile z, Tile M, Tile N, @Constexpr int BM, @Constexpr int BN) {
        // YOUR CODE HERE
        TODO();
    }
}
