package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.nextPowerOf2;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle04Softmax;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 4: softmax of each row. */
public final class Spec04Softmax extends Puzzle {
    public Spec04Softmax() {
        super(4, "softmax", "Softmax", "softmax", Puzzle04Softmax.class, dev.tessera.learn.puzzles.solutions.Puzzle04Softmax.class);
    }

    @Override
    public String statement() {
        return """
                Softmax of each row.

                    y[i, j] = exp(x[i, j] - m_i) / sum over k < N of exp(x[i, k] - m_i),   m_i = max over k of x[i, k]
                    x: f32[M, N], rows xStride elements apart      y: f32[M, N], rows yStride apart

                Launch: grid(M), one program per row, with BLOCK = nextPowerOf2(N): a whole row fits in
                one tile.

                Subtracting the row's max changes nothing mathematically but keeps exp from overflowing
                (exp(89) is already infinite in f32). The lanes past N must not disturb the max or the
                sum: load them as -infinity.

                Skills: a whole row in one tile, max and sum reductions, the "other" value of a masked load.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "The row starts at x + programId(0)*xStride; cols = arange(0, BLOCK); mask = cols.lt(N).",
                "load(pointers, mask, Double.NEGATIVE_INFINITY) fills the masked lanes with -inf: max ignores them and exp(-inf) is 0.",
                "e = exp(v.sub(max(v, 0))); store e.div(sum(e, 0)) with the mask, at y + programId(0)*yStride + cols.");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("M", 1, "N", 1, "xStride", 1), Size.of("M", 3, "N", 7, "xStride", 8),
                Size.of("M", 7, "N", 64, "xStride", 64), Size.of("M", 9, "N", 100, "xStride", 130),
                Size.of("M", 4, "N", 1500, "xStride", 1500));
    }

    @Override
    public Size pictureSize() { return Size.of("M", 6, "N", 12, "xStride", 14); }

    @Override
    public void setUp(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        p.randnRows("x", DType.F32, m, n, p.dim("xStride"));
        p.output("y", DType.F32, m, n);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        kernel.launch(grid(m), p.t("x"), p.t("y"), n, p.dim("xStride"), n, nextPowerOf2(n));
    }

    @Override
    public void reference(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        double[] x = p.in("x"), y = p.expected("y");
        for (int i = 0; i < m; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < n; j++) max = Math.max(max, x[i * n + j]);
            for (int j = 0; j < n; j++) sum += Math.exp(x[i * n + j] - max);
            for (int j = 0; j < n; j++) y[i * n + j] = Math.exp(x[i * n + j] - max) / sum;
        }
    }

    @Override
    public double atol(Problem p) { return 1e-6; }
}
