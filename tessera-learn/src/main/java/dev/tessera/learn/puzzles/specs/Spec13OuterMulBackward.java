package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.cdiv;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle13OuterMulBackward;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 13: the gradient of puzzle 12 with respect to x. */
public final class Spec13OuterMulBackward extends Puzzle {
    static final int BM = 8, BN = 16;

    public Spec13OuterMulBackward() {
        super(13, "outer-mul-backward", "Fused outer multiply: backward pass", "outerMulBackward", Puzzle13OuterMulBackward.class,
                dev.tessera.learn.puzzles.solutions.Puzzle13OuterMulBackward.class);
    }

    @Override
    public String statement() {
        return """
                The backward pass of puzzle 12: given dz = dLoss/dz, compute dx = dLoss/dx.

                    forward:   z[i, j] = max(y[i] * x[j], 0)
                    backward:  dx[j] = sum over i < M of dz[i, j] * y[i] * [y[i] * x[j] > 0]
                    x: f32[N], y: f32[M], dz: f32[M, N] row-major, dx: f32[N]

                ([c] is 1 where c holds, else 0: the ReLU passes the gradient only where its input was positive.)

                Launch: grid(cdiv(N, BN)) with BN = 16, BM = 8. Program p owns dx[p*BN ... p*BN+BN-1]
                and must walk ALL M rows of dz, BM rows at a time: x[j] was broadcast along i in the
                forward pass, so its gradient sums along i.

                Skills: the backward of a broadcast is a sum; a run-time loop with a [BN] accumulator;
                where() for the ReLU's derivative.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "j = programId(0)*BN + arange(0, BN); load x at j once. Var acc = var(zeros(F32, BN)).",
                "for (Tile start : range(0, M, BM)): i = start.add(arange(0, BM)); load y at i (0 when masked) and the [BM, BN] "
                        + "block of dz (mask on both i and j, 0 when masked).",
                "active = yv.col().mul(xv.row()).gt(0.0); acc += sum(where(active, dzBlock.mul(yv.col()), 0.0), 0).");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("M", 1, "N", 1), Size.of("M", 8, "N", 16), Size.of("M", 37, "N", 21), Size.of("M", 100, "N", 70));
    }

    @Override
    public Size pictureSize() { return Size.of("M", 20, "N", 40); }

    @Override
    public void setUp(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        p.randn("x", DType.F32, n);
        p.randn("y", DType.F32, m);
        p.randn("dz", DType.F32, m, n);
        p.output("dx", DType.F32, n);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        kernel.launch(grid(cdiv(n, BN)), p.t("x"), p.t("y"), p.t("dz"), p.t("dx"), m, n, BM, BN);
    }

    @Override
    public void reference(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        double[] x = p.in("x"), y = p.in("y"), dz = p.in("dz"), dx = p.expected("dx");
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int i = 0; i < m; i++) if (y[i] * x[j] > 0) s += dz[i * n + j] * y[i];
            dx[j] = s;
        }
    }

    @Override
    public double atol(Problem p) { return 1e-5 * Math.sqrt(p.dim("M")); }
}
