package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/**
 * Puzzle 17 — batched 2-D convolution.
 *
 * <pre>
 *   z[n, r, c] = sum over a < KH, b < KW of x[n, r + a, c + b] * k[a, b]     (x is 0 past the bottom and right edges)
 *   x, z: f32[B, H, W] contiguous, k: f32[KH, KW] with KH = KW = 3
 *   launched as grid(B, cdiv(H, BH)) with BH = 8, BW = nextPowerOf2(W): program (n, p) computes rows p*BH ... of image n
 * </pre>
 *
 * {@code ./tessera puzzles show 17} prints the whole statement, {@code ./tessera puzzles hint 17} a hint,
 * {@code ./tessera puzzles check 17} checks this kernel, {@code ./tessera puzzles visualize 17} draws what it touches.
 */
public final class Puzzle17Conv2d {
    private Puzzle17Conv2d() {}

    @Kernel
    static void conv2d(Tile x, Tile k, Tile z, Tile H, Tile W,
                       @Constexpr int KH, @Constexpr int KW, @Constexpr int BH, @Constexpr int BW) {
        // YOUR CODE HERE: plain Java loops over the constexprs KH and KW unroll while the kernel is traced.
        TODO();
    }
}
