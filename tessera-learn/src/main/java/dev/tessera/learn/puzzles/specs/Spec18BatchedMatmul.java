package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.cdiv;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle18BatchedMatmul;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 18: a batch of matrix products, blocked. */
public final class Spec18BatchedMatmul extends Puzzle {
    static final int BM = 16, BN = 16, BK = 16;

    public Spec18BatchedMatmul() {
        super(18, "batched-matmul", "Blocked batched matmul", "bmm", Puzzle18BatchedMatmul.class,
                dev.tessera.learn.puzzles.solutions.Puzzle18BatchedMatmul.class);
    }

    @Override
    public String statement() {
        return """
                A batch of independent matrix products.

                    c[n, i, j] = sum over k < K of a[n, i, k] * b[n, k, j]
                    a: f32[B, M, K], b: f32[B, K, N], c: f32[B, M, N], all contiguous

                Launch: grid(cdiv(M, BM), cdiv(N, BN), B) with BM = BN = BK = 16: the third grid axis,
                programId(2), is the batch index. Matrix n of a starts at a + n*M*K.

                Skills: 3-D grids, per-batch base pointers, puzzle 6's K loop.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "Move the three base pointers to batch programId(2) first: a.add(batch.mul(M).mul(K)), and likewise for b and c.",
                "Then it is puzzle 6 on those pointers.");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("B", 1, "M", 1, "N", 1, "K", 1), Size.of("B", 2, "M", 16, "N", 16, "K", 16),
                Size.of("B", 3, "M", 33, "N", 17, "K", 40), Size.of("B", 2, "M", 20, "N", 50, "K", 70));
    }

    @Override
    public Size pictureSize() { return Size.of("B", 2, "M", 20, "N", 20, "K", 20); }

    @Override
    public void setUp(Problem p) {
        int b = p.dim("B"), m = p.dim("M"), n = p.dim("N"), k = p.dim("K");
        p.randn("a", DType.F32, b, m, k);
        p.randn("b", DType.F32, b, k, n);
        p.output("c", DType.F32, b, m, n);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int b = p.dim("B"), m = p.dim("M"), n = p.dim("N"), k = p.dim("K");
        kernel.launch(grid(cdiv(m, BM), cdiv(n, BN), b), p.t("a"), p.t("b"), p.t("c"), m, n, k, BM, BN, BK);
    }

    @Override
    public void reference(Problem p) {
        int b = p.dim("B"), m = p.dim("M"), n = p.dim("N"), k = p.dim("K");
        for (int i = 0; i < b; i++) Refs.matmul(p.in("a"), i * m * k, p.in("b"), i * k * n, p.expected("c"), i * m * n, m, n, k);
    }

    @Override
    public double atol(Problem p) { return 2e-3 * Math.sqrt(p.dim("K")); }

    @Override
    public double rtol(Problem p) { return 2e-3; }
}
