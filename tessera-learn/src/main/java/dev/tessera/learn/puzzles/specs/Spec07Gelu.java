package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.cdiv;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle07Gelu;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 7: GELU, the exact (erf) form. */
public final class Spec07Gelu extends Puzzle {
    static final int BLOCK = 128;

    public Spec07Gelu() {
        super(7, "gelu", "GELU", "gelu", Puzzle07Gelu.class, dev.tessera.learn.puzzles.solutions.Puzzle07Gelu.class);
    }

    @Override
    public String statement() {
        return """
                The GELU activation (the exact form, with the error function).

                    y[i] = 0.5 * x[i] * (1 + erf(x[i] / sqrt(2)))        for 0 <= i < N
                    x, y: f32[N]

                Launch: grid(cdiv(N, BLOCK)) with BLOCK = 128.

                Java arithmetic on constants (Math.sqrt(2)) runs while the kernel is traced: the kernel
                only sees the resulting number.

                Skills: elementwise math (erf), constants computed at trace time.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "The memory side is puzzle 1's: offsets, mask, one load, one store.",
                "erf(v.mul(1 / Math.sqrt(2))) is erf(x/sqrt(2)); then .add(1.0), then multiply by v.mul(0.5).");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("N", 1), Size.of("N", 127), Size.of("N", 128), Size.of("N", 129), Size.of("N", 3000));
    }

    @Override
    public Size pictureSize() { return Size.of("N", 300); }

    @Override
    public void setUp(Problem p) {
        int n = p.dim("N");
        p.uniform("x", DType.F32, -5, 5, n);
        p.output("y", DType.F32, n);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int n = p.dim("N");
        kernel.launch(grid(cdiv(n, BLOCK)), p.t("x"), p.t("y"), n, BLOCK);
    }

    @Override
    public void reference(Problem p) {
        double[] x = p.in("x"), y = p.expected("y");
        for (int i = 0; i < y.length; i++) y[i] = 0.5 * x[i] * (1 + erf(x[i] / Math.sqrt(2)));
    }

    /** erf to about 1e-15, from its Taylor series for small |x| and a continued fraction for the tail. */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 2.5) {
            double term = x, sum = x, x2 = x * x;
            for (int n = 1; n < 100; n++) {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz would be overkill here)
        double f = 0;
        for (int n = 60; n >= 1; n--) f = (n / 2.0) / (ax + f);
        double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
        return Math.copySign(1 - erfc, x);
    }
}
