package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.nextPowerOf2;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle05LayerNorm;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 5: layer normalization of each row. */
public final class Spec05LayerNorm extends Puzzle {
    static final float EPS = 1e-5f;

    public Spec05LayerNorm() {
        super(5, "layer-norm", "Layer normalization", "layerNorm", Puzzle05LayerNorm.class,
                dev.tessera.learn.puzzles.solutions.Puzzle05LayerNorm.class);
    }

    @Override
    public String statement() {
        return """
                Layer normalization of each row, with a weight and a bias per column.

                    mean_i = (1/N) sum_j x[i, j]
                    var_i  = (1/N) sum_j (x[i, j] - mean_i)^2
                    y[i, j] = (x[i, j] - mean_i) / sqrt(var_i + eps) * w[j] + b[j]
                    x: f32[M, N] (rows xStride apart), w, b: f32[N], y: f32[M, N] (rows yStride apart), eps = 1e-5

                Launch: grid(M), one program per row, BLOCK = nextPowerOf2(N).

                Skills: two reductions in one program, keeping masked lanes out of a statistic,
                scalar kernel arguments (eps), rsqrt.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "Load the row with 0 in masked lanes, so sum(v, 0) is the sum of the N real values; divide by N.to(F32).",
                "Careful: in masked lanes v - mean is -mean, not 0. Use where(mask, v.sub(mean), 0.0) before squaring.",
                "rsqrt(variance.add(eps)) is 1/sqrt(var + eps). Load w and b with the column mask.");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("M", 1, "N", 1, "xStride", 1), Size.of("M", 3, "N", 7, "xStride", 10),
                Size.of("M", 8, "N", 128, "xStride", 128), Size.of("M", 5, "N", 300, "xStride", 333));
    }

    @Override
    public Size pictureSize() { return Size.of("M", 6, "N", 12, "xStride", 14); }

    @Override
    public void setUp(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        p.randnRows("x", DType.F32, m, n, p.dim("xStride"));
        p.randn("w", DType.F32, n);
        p.randn("b", DType.F32, n);
        p.output("y", DType.F32, m, n);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        kernel.launch(grid(m), p.t("x"), p.t("w"), p.t("b"), p.t("y"), n, p.dim("xStride"), n, EPS, nextPowerOf2(n));
    }

    @Override
    public void reference(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        double[] x = p.in("x"), w = p.in("w"), b = p.in("b"), y = p.expected("y");
        for (int i = 0; i < m; i++) {
            double mean = 0, var = 0;
            for (int j = 0; j < n; j++) mean += x[i * n + j];
            mean /= n;
            for (int j = 0; j < n; j++) var += (x[i * n + j] - mean) * (x[i * n + j] - mean);
            var /= n;
            double rstd = 1 / Math.sqrt(var + (double) EPS);
            for (int j = 0; j < n; j++) y[i * n + j] = (x[i * n + j] - mean) * rstd * w[j] + b[j];
        }
    }

    @Override
    public double atol(Problem p) { return 1e-4; }
}
