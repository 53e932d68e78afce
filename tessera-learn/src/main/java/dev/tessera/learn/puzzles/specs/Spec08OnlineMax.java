package dev.tessera.learn.puzzles.specs;

import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle08OnlineMax;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 8: the maximum of each long row, and where it is, in one pass over chunks. */
public final class Spec08OnlineMax extends Puzzle {
    static final int BLOCK = 32;

    public Spec08OnlineMax() {
        super(8, "online-max", "Online maximum", "rowMax", Puzzle08OnlineMax.class,
                dev.tessera.learn.puzzles.solutions.Puzzle08OnlineMax.class);
    }

    @Override
    public String statement() {
        return """
                The maximum of each row, and the column where it first occurs, for rows longer than a
                tile: read each row once, a chunk of BLOCK columns at a time, keeping a running answer.

                    maxOut[i] = max over j < N of x[i, j]
                    argOut[i] = the smallest j with x[i, j] == maxOut[i]
                    x: f32[M, N], rows `stride` elements apart      maxOut: f32[M]      argOut: i32[M]

                Launch: grid(M), one program per row, BLOCK = 32 (N can be much larger).

                The running state (best value, its column) lives in Vars that the run-time loop carries
                from one iteration to the next: for (Tile start : range(0, N, BLOCK)) { ... }.

                Skills: run-time loops, loop-carried Vars, argmax, where on scalars, keeping the first of equal values.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "Var best = var(Double.NEGATIVE_INFINITY); Var index = var(0); then loop over start in range(0, N, BLOCK).",
                "In the loop: cols = start.add(arange(0, BLOCK)); chunk = load(row + cols, cols.lt(N), Double.NEGATIVE_INFINITY); "
                        + "m = max(chunk, 0); at = start.add(argmax(chunk, 0)).",
                "Update only when the chunk's max is strictly greater: better = m.gt(best.get()); "
                        + "index.set(where(better, at, index.get())); best.set(maximum(best.get(), m)).");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("M", 1, "N", 1, "stride", 1), Size.of("M", 3, "N", 31, "stride", 33),
                Size.of("M", 4, "N", 64, "stride", 64), Size.of("M", 6, "N", 1000, "stride", 1007));
    }

    @Override
    public Size pictureSize() { return Size.of("M", 4, "N", 70, "stride", 72); }

    @Override
    public void setUp(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        p.randnRows("x", DType.F32, m, n, p.dim("stride"));
        p.output("maxOut", DType.F32, m);
        p.output("argOut", DType.I32, m);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        kernel.launch(grid(m), p.t("x"), p.t("maxOut"), p.t("argOut"), n, p.dim("stride"), BLOCK);
    }

    @Override
    public void reference(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        double[] x = p.in("x"), max = p.expected("maxOut"), arg = p.expected("argOut");
        for (int i = 0; i < m; i++) {
            int best = 0;
            for (int j = 1; j < n; j++) if (x[i * n + j] > x[i * n + best]) best = j;
            max[i] = x[i * n + best];
            arg[i] = best;
        }
    }

    @Override
    public double atol(Problem p) { return 0; }

    @Override
    public double rtol(Problem p) { return 0; }
}
