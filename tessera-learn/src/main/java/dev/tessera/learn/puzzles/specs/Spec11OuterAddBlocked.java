package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.cdiv;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle11OuterAddBlocked;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 11: z[i, j] = y[i] + x[j] on a 2-D grid of programs. */
public final class Spec11OuterAddBlocked extends Puzzle {
    static final int BM = 8, BN = 16;

    public Spec11OuterAddBlocked() {
        super(11, "outer-add-blocked", "Outer vector add (blocked, 2-D program ids)", "outerAdd", Puzzle11OuterAddBlocked.class,
                dev.tessera.learn.puzzles.solutions.Puzzle11OuterAddBlocked.class);
    }

    @Override
    public String statement() {
        return """
                Puzzle 10 for sizes too big for one program: a 2-D grid of programs, each computing one
                [BM, BN] block of z.

                    z[i, j] = y[i] + x[j]          for 0 <= i < M, 0 <= j < N
                    x: f32[N], y: f32[M], z: f32[M, N] row-major

                Launch: grid(cdiv(M, BM), cdiv(N, BN)) with BM = 8, BN = 16. Program
                (programId(0), programId(1)) = (pm, pn) owns rows pm*BM ... and columns pn*BN ... of z.

                Skills: 2-D program ids, blocks at the bottom and right edges that are only partly inside.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "i = programId(0).mul(BM).add(arange(0, BM)); j = programId(1).mul(BN).add(arange(0, BN)).",
                "The rest is your puzzle 10 kernel: the masks i.lt(M) and j.lt(N) now matter for the edge blocks.");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("M", 1, "N", 1), Size.of("M", 8, "N", 16), Size.of("M", 9, "N", 17), Size.of("M", 100, "N", 37),
                Size.of("M", 3, "N", 200));
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
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) z[i * n + j] = y[i] + x[j];
    }
}
