package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/**
 * Puzzle 19 — 4-bit quantized matmul.
 *
 * <pre>
 *   q(k, j) = (w[k / 8, j] >> (4 * (k % 8))) & 15;   W[k, j] = scales[k / GROUP, j] * (q(k, j) - offsets[k / GROUP, j])
 *   c[i, j] = sum over k < K of a[i, k] * W[k, j]
 *   a: f32[M, K], w: i32[K/8, N], scales: f32[K/GROUP, N], offsets: i32[K/GROUP, N], c: f32[M, N]; GROUP = 32 divides K
 *   launched as grid(cdiv(M, BM), cdiv(N, BN)) with BM = BN = 16; walk K one group at a time
 * </pre>
 *
 * {@code ./tessera puzzles show 19} prints the whole statement, {@code ./tessera puzzles hint 19} a hint,
 * {@code ./tessera puzzles check 19} checks this kernel, {@code ./tessera puzzles visualize 19} draws what it touches.
 */
public final class Puzzle19QuantMatmul {
    private Puzzle19QuantMatmul() {}

    @Kernel
    static void quantMatmul(Tile a, Tile w, Tile scales, Tile offsets, Tile c, Tile M, Tile N, Tile K,
                            @Constexpr int BM, @Constexpr int BN, @Constexpr int GROUP) {
        // YOUR CODE HERE
        TODO();
    }
}
