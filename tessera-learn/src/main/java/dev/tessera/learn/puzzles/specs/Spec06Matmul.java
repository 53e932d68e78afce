package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.cdiv;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle06Matmul;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 6: C = A·B, one output tile per program. */
public final class Spec06Matmul extends Puzzle {
    static final int BM = 16, BN = 16, BK = 16;

    public Spec06Matmul() {
        super(6, "matmul", "Tiled matrix multiplication", "matmul", Puzzle06Matmul.class,
                dev.tessera.learn.puzzles.solutions.Puzzle06Matmul.class);
    }

    @Override
    public String statement() {
        return """
                Multiply two matrices, one [BM, BN] tile of the result per program.

                    c[i, j] = sum over k < K of a[i, k] * b[k, j]
                    a: f32[M, K], b: f32[K, N], c: f32[M, N], all contiguous (row-major)

                Launch: grid(cdiv(M, BM), cdiv(N, BN)) with BM = BN = BK = 16. Program (pm, pn) =
                (programId(0), programId(1)) computes rows pm*BM.. and columns pn*BN.. of c, walking K in
                steps of BK: load an [BM, BK] tile of a and a [BK, BN] tile of b, and accumulate their
                product with dot(aTile, bTile, acc).

                f32 inputs to dot are rounded to tf32 (as on a GPU's tensor cores); the check allows for it.

                Skills: 2-D program ids, a run-time loop (for (Tile k : range(0, K, BK))) with a
                loop-carried accumulator (Var), dot, masks on two dimensions.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "rm = programId(0)*BM + arange(0, BM), rn = programId(1)*BN + arange(0, BN), rk = arange(0, BK).",
                "Var acc = var(zeros(F32, BM, BN)); in the loop: acc.set(dot(aTile, bTile, acc.get())); after it: acc.get().",
                "Inside for (Tile k : range(0, K, BK)): ks = k.add(rk). aTile = load(a + rm.col()*K + ks.row(), "
                        + "rm.col() < M and ks.row() < K, 0.0); bTile = load(b + ks.col()*N + rn.row(), ks.col() < K and rn.row() < N, 0.0).");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("M", 1, "N", 1, "K", 1), Size.of("M", 16, "N", 16, "K", 16), Size.of("M", 33, "N", 17, "K", 40),
                Size.of("M", 64, "N", 48, "K", 100), Size.of("M", 70, "N", 50, "K", 9));
    }

    @Override
    public Size pictureSize() { return Size.of("M", 24, "N", 24, "K", 20); }

    @Override
    public void setUp(Problem p) {
        int m = p.dim("M"), n = p.dim("N"), k = p.dim("K");
        p.randn("a", DType.F32, m, k);
        p.randn("b", DType.F32, k, n);
        p.output("c", DType.F32, m, n);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int m = p.dim("M"), n = p.dim("N"), k = p.dim("K");
        kernel.launch(grid(cdiv(m, BM), cdiv(n, BN)), p.t("a"), p.t("b"), p.t("c"), m, n, k, BM, BN, BK);
    }

    @Override
    public void reference(Problem p) {
        Refs.matmul(p.in("a"), p.in("b"), p.expected("c"), p.dim("M"), p.dim("N"), p.dim("K"));
    }

    @Override
    public double atol(Problem p) { return 2e-3 * Math.sqrt(p.dim("K")); }

    @Override
    public double rtol(Problem p) { return 2e-3; }
}
