package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.nextPowerOf2;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle09RmsNorm;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 9: RMSNorm of each row. */
public final class Spec09RmsNorm extends Puzzle {
    static final float EPS = 1e-6f;

    public Spec09RmsNorm() {
        super(9, "rms-norm", "RMSNorm", "rmsNorm", Puzzle09RmsNorm.class, dev.tessera.learn.puzzles.solutions.Puzzle09RmsNorm.class);
    }

    @Override
    public String statement() {
        return """
                RMSNorm of each row (layer norm without the mean and the bias, as in Llama).

                    rms_i   = sqrt((1/N) sum_j x[i, j]^2 + eps)
                    y[i, j] = x[i, j] / rms_i * w[j]
                    x: f32[M, N] (rows xStride apart), w: f32[N], y: f32[M, N] (rows yStride apart), eps = 1e-6

                Launch: grid(M), one program per row, BLOCK = nextPowerOf2(N).

                Skills: a reduction feeding an elementwise update; masked lanes as zeros.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "Like puzzle 5 with less to do: masked lanes loaded as 0 add nothing to the sum of squares.",
                "v.mul(rsqrt(sum(v.mul(v), 0).div(N.to(F32)).add(eps))).mul(w tile).");
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
        p.output("y", DType.F32, m, n);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        kernel.launch(grid(m), p.t("x"), p.t("w"), p.t("y"), n, p.dim("xStride"), n, EPS, nextPowerOf2(n));
    }

    @Override
    public void reference(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        double[] x = p.in("x"), w = p.in("w"), y = p.expected("y");
        for (int i = 0; i < m; i++) {
            double ss = 0;
            for (int j = 0; j < n; j++) ss += x[i * n + j] * x[i * n + j];
            double r = 1 / Math.sqrt(ss / n + (double) EPS);
            for (int j = 0; j < n; j++) y[i * n + j] = x[i * n + j] * r * w[j];
        }
    }

    @Override
    public double atol(Problem p) { return 1e-4; }
}
