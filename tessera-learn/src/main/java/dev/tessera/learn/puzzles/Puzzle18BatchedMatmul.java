package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/**
 * Puzzle 18 — blocked batched matmul.
 *
 * <pre>
 *   c[n, i, j] = sum over k < K of a[n, i, k] * b[n, k, j]
 *   a: f32[B, M, K], b: f32[B, K, N], c: f32[B, M, N], contiguous
 *   launched as grid(cdiv(M, BM), cdiv(N, BN), B) with BM = BN = BK = 16: programId(2) is the batch
 * </pre>
 *
 * {@code ./tessera puzzles show 18} prints the whole statement, {@code ./tessera puzzles hint 18} a hint,
 * {@code ./tessera puzzles check 18} checks this kernel, {@code ./tessera puzzles visualize 18} draws what it touches.
 */
public final class Puzzle18BatchedMatmul {
    private Puzzle18BatchedMatmul() {}

    @Kernel
    static void bmm(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K,
                    @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        // YOUR CODE HERE
        TODO();
    }
}
