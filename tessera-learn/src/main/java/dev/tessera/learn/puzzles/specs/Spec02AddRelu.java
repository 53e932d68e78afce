package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.cdiv;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle02AddRelu;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 2: z = relu(x + y). */
public final class Spec02AddRelu extends Puzzle {
    static final int BLOCK = 64;

    public Spec02AddRelu() {
        super(2, "add-relu", "Fused add + ReLU", "addRelu", Puzzle02AddRelu.class,
                dev.tessera.learn.puzzles.solutions.Puzzle02AddRelu.class);
    }

    @Override
    public String statement() {
        return """
                Add two vectors and apply ReLU, in one kernel.

                    z[i] = max(x[i] + y[i], 0)     for 0 <= i < N
                    x, y, z: f32[N]

                Launch: grid(cdiv(N, BLOCK)) with BLOCK = 64.

                Two separate kernels (add, then relu) would write x + y to memory and read it back:
                fusing them keeps the sum in registers, so the kernel moves 3N floats instead of 5N.

                Skills: elementwise math on tiles (maximum), fusion.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "Start from your puzzle 1 kernel.",
                "maximum(t, 0.0) is the elementwise max of a tile and a number.");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("N", 1), Size.of("N", 63), Size.of("N", 64), Size.of("N", 65), Size.of("N", 1000));
    }

    @Override
    public Size pictureSize() { return Size.of("N", 150); }

    @Override
    public void setUp(Problem p) {
        int n = p.dim("N");
        p.randn("x", DType.F32, n);
        p.randn("y", DType.F32, n);
        p.output("z", DType.F32, n);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int n = p.dim("N");
        kernel.launch(grid(cdiv(n, BLOCK)), p.t("x"), p.t("y"), p.t("z"), n, BLOCK);
    }

    @Override
    public void reference(Problem p) {
        double[] x = p.in("x"), y = p.in("y"), z = p.expected("z");
        for (int i = 0; i < z.length; i++) z[i] = Math.max(x[i] + y[i], 0);
    }
}
