package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.nextPowerOf2;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle10OuterAdd;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 10: z[i, j] = y[i] + x[j] in a single program. */
public final class Spec10OuterAdd extends Puzzle {
    public Spec10OuterAdd() {
        super(10, "outer-add", "Outer vector add (one block)", "outerAdd", Puzzle10OuterAdd.class,
                dev.tessera.learn.puzzles.solutions.Puzzle10OuterAdd.class);
    }

    @Override
    public String statement() {
        return """
                Add every element of x to every element of y: an "outer" sum, the first 2-D result.

                    z[i, j] = y[i] + x[j]          for 0 <= i < M, 0 <= j < N
                    x: f32[N], y: f32[M], z: f32[M, N] (row-major: z[i, j] is at z + i*N + j)

                Launch: grid(1): one program does everything, with BM = nextPowerOf2(M), BN = nextPowerOf2(N).

                Broadcasting: a [BM, 1] tile plus a [1, BN] tile is a [BM, BN] tile. t.col() turns a
                [B] tile into [B, 1] (Triton's t[:, None]); t.row() into [1, B] (t[None, :]).

                Skills: col()/row() and broadcasting, 2-D pointer tiles, 2-D masks.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "i = arange(0, BM), j = arange(0, BN); load y at i (mask i.lt(M)) and x at j (mask j.lt(N)).",
                "yv.col().add(xv.row()) is the [BM, BN] sum. Pointers: z.add(i.col().mul(N)).add(j.row()).",
                "Store with the mask i.col().lt(M).and(j.row().lt(N)).");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("M", 1, "N", 1), Size.of("M", 4, "N", 8), Size.of("M", 5, "N", 13), Size.of("M", 32, "N", 32),
                Size.of("M", 3, "N", 100));
    }

    @Override
    public Size pictureSize() { return Size.of("M", 6, "N", 13); }

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
        kernel.launch(grid(1), p.t("x"), p.t("y"), p.t("z"), m, n, nextPowerOf2(m), nextPowerOf2(n));
    }

    @Override
    public void reference(Problem p) {
        int m = p.dim("M"), n = p.dim("N");
        double[] x = p.in("x"), y = p.in("y"), z = p.expected("z");
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) z[i * n + j] = y[i] + x[j];
    }
}
