package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/**
 * Puzzle 5 — layer normalization.
 *
 * <pre>
 *   y[i, j] = (x[i, j] - mean_i) / sqrt(var_i + eps) * w[j] + b[j]
 *   mean_i = (1/N) sum_j x[i, j],  var_i = (1/N) sum_j (x[i, j] - mean_i)^2
 *   x: f32[M, N] (rows xStride apart), w, b: f32[N], y: f32[M, N] (rows yStride apart), eps: f32 scalar
 *   launched as grid(M), one program per row, with BLOCK = nextPowerOf2(N)
 * </pre>
 *
 * {@code ./tessera puzzles show 5} prints the whole statement, {@code ./tessera puzzles hint 5} a hint,
 * {@code ./tessera puzzles check 5} checks this kernel, {@code ./tessera puzzles visualize 5} draws what it touches.
 */
public final class Puzzle05LayerNorm {
    private Puzzle05LayerNorm() {}

    @Kernel
    static void layerNorm(Tile x, Tile w, Tile b, Tile y, Tile N, Tile xStride, Tile yStride, Tile eps,
                          @Constexpr int BLOCK) {
        // YOUR CODE HERE: mean, then variance (keep the masked lanes out of it!), then normalize,
        // scale by w, shift by b, store.
        TODO();
    }
}
