package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/**
 * Puzzle 13 — fused outer multiply: backward pass.
 *
 * <pre>
 *   forward:  z[i, j] = max(y[i] * x[j], 0)
 *   backward: dx[j] = sum over i < M of dz[i, j] * y[i] * [y[i] * x[j] > 0]
 *   x: f32[N], y: f32[M], dz: f32[M, N] row-major, dx: f32[N]
 *   launched as grid(cdiv(N, BN)) with BN = 16, BM = 8: program p owns dx[p*BN ...] and loops over all rows
 * </pre>
 *
 * {@code ./tessera puzzles show 13} prints the whole statement, {@code ./tessera puzzles hint 13} a hint,
 * {@code ./tessera puzzles check 13} checks this kernel, {@code ./tessera puzzles visualize 13} draws what it touches.
 */
public final class Puzzle13OuterMulBackward {
    private Puzzle13OuterMulBackward() {}

    @Kernel
    static void outerMulBackward(Tile x, Tile y, Tile dz, Tile dx, Tile M, Tile N, @Constexpr int BM, @Constexpr int BN) {
        // YOUR CODE HERE: Var acc = var(zeros(F32, BN)); for (Tile start : range(0, M, BM)) { ... } ; store acc.get().
        TODO();
    }
}
