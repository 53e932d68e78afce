package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/**
 * Puzzle 14 — long row sum (loop over chunks).
 *
 * <pre>
 *   out[i] = sum over j < N of x[i, j]
 *   x: f32[M, N] (rows `stride` apart; N may be thousands), out: f32[M]
 *   launched as grid(M), one program per row, with BLOCK = 32
 * </pre>
 *
 * {@code ./tessera puzzles show 14} prints the whole statement, {@code ./tessera puzzles hint 14} a hint,
 * {@code ./tessera puzzles check 14} checks this kernel, {@code ./tessera puzzles visualize 14} draws what it touches.
 */
public final class Puzzle14LongSum {
    private Puzzle14LongSum() {}

    @Kernel
    static void longSum(Tile x, Tile out, Tile N, Tile stride, @Constexpr int BLOCK) {
        // YOUR CODE HERE: Var acc = var(zeros(F32, BLOCK)); for (Tile start : range(0, N, BLOCK)) { ... }
        TODO();
    }
}
