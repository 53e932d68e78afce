package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/**
 * Puzzle 16 — scalar flash attention.
 *
 * <pre>
 *   z[i] = sum over j < T of softmax_j(q[i] * k[j]) * v[j]        q, k, v, z: f32[T]
 *   launched as grid(cdiv(T, BQ)) with BQ = BK = 16: program p owns queries p*BQ ... and loops over keys BK at a time,
 *   carrying a running max m, a running sum l and a running weighted sum acc per query
 * </pre>
 *
 * {@code ./tessera puzzles show 16} prints the whole statement, {@code ./tessera puzzles hint 16} a hint,
 * {@code ./tessera puzzles check 16} checks this kernel, {@code ./tessera puzzles visualize 16} draws what it touches.
 */
public final class Puzzle16FlashAttention {
    private Puzzle16FlashAttention() {}

    @Kernel
    static void attention(Tile q, Tile k, Tile v, Tile z, Tile T, @Constexpr int BQ, @Constexpr int BK) {
        // YOUR CODE HERE: three Vars of shape [BQ]; rescale l and acc by exp(m - mNew) each step; z = acc / l.
        TODO();
    }
}
