package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;

/**
 * Puzzle 3 — row-wise sum (2-D reduction).
 *
 * <pre>
 *   out[i] = sum over j < N of x[i, j]      for 0 <= i < M
 *   x: f32[M, N] with rows `stride` elements apart (x[i, j] is at x + i*stride + j); out: f32[M]
 *   launched as grid(cdiv(M, BM)) with BM = 4 and BN = nextPowerOf2(N): program p owns rows p*BM ... p*BM+BM-1
 * </pre>
 *
 * {@code ./tessera puzzles show 3} prints the whole statement, {@code ./tessera puzzles hint 3} a hint,
 * {@code ./tessera puzzles check 3} checks this kernel, {@code ./tessera puzzles visualize 3} draws what it touches.
 */
public final class Puzzle03RowSum {
    private Puzzle03RowSum() {}

    @Kernel
    static void rowSum(Tile x, Tile out, Tile M, Tile N, Tile stride, @Constexpr int BM, @Constexpr int BN) {
        // YOUR CODE HERE: a [BM, BN] tile of pointers from rows.col() and cols.row(), a 2-D mask,
        // a masked load, a sum along axis 1, a masked store.
        TODO();
    }
}
