package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.cdiv;
import static dev.tessera.lang.TL.nextPowerOf2;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle03RowSum;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 3: the sum of each row of a matrix. */
public final class Spec03RowSum extends Puzzle {
    static final int BM = 4;

    public Spec03RowSum() {
        super(3, "row-sum", "Row-wise sum (2-D reduction)", "rowSum", Puzzle03RowSum.class,
                dev.tessera.learn.puzzles.solutions.Puzzle03RowSum.class);
    }

    @Override
    public String statement() {
        return """
                Sum each row of a matrix.

                    out[i] = sum over j < N of x[i, j]        for 0 <= i < M
                    x: f32[M, N], rows `stride` elements apart (stride >= N)      out: f32[M]

                Launch: grid(cdiv(M, BM)) with BM = 4 and BN = nextPowerOf2(N). Program p owns rows
                p*BM ... p*BM + BM-1, and holds them whole as one [BM, BN] tile.

                Element x[i, j] is at x + i*stride + j. The rows of x are part of a wider matrix: the
                stride is not always N.

                Skills: 2-D tiles from 1-D ones (col() and row() broadcasting), 2-D masks, sum along an axis.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "rows = programId(0)*BM + arange(0, BM) and cols = arange(0, BN). rows.col() is a [BM, 1] column, "
                        + "cols.row() a [1, BN] row; adding them broadcasts to [BM, BN].",
                "Pointers: x.add(rows.col().mul(stride)).add(cols.row()). Mask: rows.col().lt(M).and(cols.row().lt(N)).",
                "Load masked lanes as 0 (load(ptrs, mask, 0.0)) so they add nothing, then sum(tile, 1) sums "
                        + "along axis 1, the columns, giving one value per row. Store it with the mask rows.lt(M).");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("M", 1, "N", 1, "stride", 1), Size.of("M", 6, "N", 3, "stride", 5),
                Size.of("M", 5, "N", 7, "stride", 9),
                Size.of("M", 16, "N", 32, "stride", 32), Size.of("M", 33, "N", 100, "stride", 128),
                Size.of("M", 10, "N", 1000, "stride", 1003));
    }

    @Override
    public Size pictureSize() { return Size.of("M", 10, "N", 12, "stride", 14); }

    @Override
    public void setUp(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        p.randnRows("x", DType.F32, m, n, p.dim("stride"));
        p.output("out", DType.F32, m);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        kernel.launch(grid(cdiv(m, BM)), p.t("x"), p.t("out"), m, n, p.dim("stride"), BM, nextPowerOf2(n));
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
    public double atol(Problem p) { return 1e-5 * Math.sqrt(p.dim("N")); }
}
