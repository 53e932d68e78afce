package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.cdiv;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle12OuterMulRelu;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 12: z[i, j] = relu(y[i] * x[j]). */
public final class Spec12OuterMulRelu extends Puzzle {
    static final int BM = 8, BN = 16;

    public Spec12OuterMulRelu() {
        super(12, "outer-mul-relu", "Fused outer multiply + ReLU", "outerMulRelu", Puzzle12OuterMulRelu.class,
                dev.tessera.learn.puzzles.solutions.Puzzle12OuterMulRelu.class);
    }

    @Override
    public String statement() {
        return """
                An outer product followed by a ReLU, fused into one kernel: the M*N products are never
                written to memory before the ReLU.

                    z[i, j] = max(y[i] * x[j], 0)      for 0 <= i < M, 0 <= j < N
                    x: f32[N], y: f32[M], z: f32[M, N] row-major

                Launch: grid(cdiv(M, BM), cdiv(N, BN)) with BM = 8, BN = 16 (as in puzzle 11).

                Skills: fusing elementwise work into a broadcast, 2-D blocks.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "Puzzle 11 with mul instead of add ...",
                "... and maximum(product, 0.0) before the store.");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("M", 1, "N", 1), Size.of("M", 8, "N", 16), Size.of("M", 9, "N", 17), Size.of("M", 100, "N", 37));
    }

    @Override
    public Size pictureSize() { return Size.of("M", 20, "N", 40); }

    @Override
    public void setUp(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        p.randn("x", DType.F32, n);
        p.randn("y", DType.F32, m);
        p.output("z", DType.F32, m, n);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        kernel.launch(grid(cdiv(m, BM), cdiv(n, BN)), p.t("x"), p.t("y"), p.t("z"), m, n, BM, BN);
    }

    @Override
    public void reference(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        double[] x = p.in("x"), y = p.in("y"), z = p.expected("z");
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) z[i * n + j] = Math.max(y[i] * x[j], 0);
    }
}
