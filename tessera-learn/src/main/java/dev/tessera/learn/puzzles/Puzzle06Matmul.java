package dev.tessera.learn.puzzles;

import static dev.tessera.learn.puzzles.check.Todo.TODO;
import static dev.tessera.lang.TL.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;

/**
 * Puzzle 6 — tiled matrix multiplication.
 *
 * <pre>
 *   c[i, j] = sum over k < K of a[i, k] * b[k, j]
 *   a: f32[M, K], b: f32[K, N], c: f32[M, N], all row-major
 *   launched as grid(cdiv(M, BM), cdiv(N, BN)) with BM = BN = BK = 16:
 *   program (programId(0), programId(1)) computes one [BM, BN] tile of c, walking K in steps of BK
 * </pre>
 *
 * {@code ./tessera puzzles show 6} prints the whole statement, {@code ./tessera puzzles hint 6} a hint,
 * {@code ./tessera puzzles check 6} checks this kernel, {@code ./tessera puzzles visualize 6} draws what it touches.
 */
public final class Puzzle06Matmul {
    private Puzzle06Matmul() {}

    @Kernel
    static void matmul(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K,
                       @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        // YOUR CODE HERE: rows rm and columns rn of c; Var acc = var(zeros(F32, BM, BN));
        // for (Tile k : range(0, K, BK)) { load an a tile and a b tile, acc.set(dot(aTile, bTile, acc.get())); }
        // then store acc.get() with a 2-D mask.
        TODO();
    }
}
