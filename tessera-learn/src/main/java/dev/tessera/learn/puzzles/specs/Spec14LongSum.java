package dev.tessera.learn.puzzles.specs;

import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle14LongSum;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 14: the sum of each row, for rows longer than a block. */
public final class Spec14LongSum extends Puzzle {
    static final int BLOCK = 32;

    public Spec14LongSum() {
        super(14, "long-sum", "Long row sum (loop over chunks)", "longSum", Puzzle14LongSum.class,
                dev.tessera.learn.puzzles.solutions.Puzzle14LongSum.class);
    }

    @Override
    public String statement() {
        return """
                Sum each row, when a row is too long for one tile: loop over it a chunk at a time.

                    out[i] = sum over j < N of x[i, j]          for 0 <= i < M
                    x: f32[M, N] (rows `stride` apart, N up to thousands), out: f32[M]

                Launch: grid(M), one program per row, BLOCK = 32.

                Keep a [BLOCK] tile of partial sums in a Var, add each chunk to it, and reduce it once
                after the loop (cheaper than a reduction per chunk).

                Skills: run-time loops over a runtime bound (range(0, N, BLOCK)), loop-carried tiles.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "Var acc = var(zeros(F32, BLOCK)); for (Tile start : range(0, N, BLOCK)) { ... }",
                "cols = start.add(arange(0, BLOCK)); acc.set(acc.get().add(load(row.add(cols), cols.lt(N), 0.0))).",
                "After the loop: store(out.add(programId(0)), sum(acc.get(), 0)).");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("M", 1, "N", 1, "stride", 1), Size.of("M", 3, "N", 31, "stride", 40),
                Size.of("M", 4, "N", 32, "stride", 32), Size.of("M", 5, "N", 1000, "stride", 1000),
                Size.of("M", 2, "N", 4097, "stride", 4100));
    }

    @Override
    public Size pictureSize() { return Size.of("M", 4, "N", 70, "stride", 72); }

    @Override
    public void setUp(Problem p) {
        p.randnRows("x", DType.F32, p.dim("M"), p.dim("N"), p.dim("stride"));
        p.output("out", DType.F32, p.dim("M"));
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        kernel.launch(grid(p.dim("M")), p.t("x"), p.t("out"), p.dim("N"), p.dim("stride"), BLOCK);
    }

    @Override
    public void reference(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        double[] x = p.in("x"), out = p.expected("out");
        for (int i = 0; i < m; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) s += x[i * n + j];
            out[i] = s;
        }
    }

    @Override
    public double atol(Problem p) { return 2e-5 * Math.sqrt(p.dim("N")); }
}
