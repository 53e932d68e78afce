package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/**
 * Puzzle 12 — fused outer multiply + ReLU.
 *
 * <pre>
 *   z[i, j] = max(y[i] * x[j], 0)        for 0 <= i < M, 0 <= j < N
 *   x: f32[N], y: f32[M], z: f32[M, N] row-major
 *   launched as grid(cdiv(M, BM), cdiv(N, BN)) with BM = 8, BN = 16
 * </pre>
 *
 * {@code ./tessera puzzles show 12} prints the whole statement, {@code ./tessera puzzles hint 12} a hint,
 * {@code ./tessera puzzles check 12} checks this kernel, {@code ./tessera puzzles visualize 12} draws what it touches.
 */
public final class Puzzle12OuterMulRelu {
    private Puzzle12OuterMulRelu() {}

    @Kernel
    static void outerMulRelu(Tile x, Tile y, Tile z, Tile M, Tile N, @Constexpr int BM, @Constexpr int BN) {
        // YOUR CODE HERE
        TODO();
    }
}
