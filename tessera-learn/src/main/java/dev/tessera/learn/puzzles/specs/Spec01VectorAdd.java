package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.cdiv;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle01VectorAdd;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 1: z = x + y. */
public final class Spec01VectorAdd extends Puzzle {
    static final int BLOCK = 32;

    public Spec01VectorAdd() {
        super(1, "vector-add", "Vector addition", "add", Puzzle01VectorAdd.class,
                dev.tessera.learn.puzzles.solutions.Puzzle01VectorAdd.class);
    }

    @Override
    public String statement() {
        return """
                Add two vectors, elementwise.

                    z[i] = x[i] + y[i]            for 0 <= i < N
                    x, y, z: f32[N]

                Launch: grid(cdiv(N, BLOCK)) programs with BLOCK = 32. Program p owns the elements
                p*BLOCK, ..., p*BLOCK + BLOCK - 1. When N is not a multiple of BLOCK the last program's
                block runs past the end of the vectors: those lanes must not be loaded or stored.

                Skills: programId, arange, pointer arithmetic (pointer + offsets), masks.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "programId(0) is this program's number p; arange(0, BLOCK) is the tile [0, 1, ..., BLOCK-1].",
                "Offsets: programId(0).mul(BLOCK).add(arange(0, BLOCK)). Pointers: x.add(offsets).",
                "mask = offsets.lt(N); load(x.add(offsets), mask) and store(z.add(offsets), value, mask).");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("N", 1), Size.of("N", 31), Size.of("N", 32), Size.of("N", 100), Size.of("N", 1000), Size.of("N", 4097));
    }

    @Override
    public Size pictureSize() { return Size.of("N", 70); }

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
        for (int i = 0; i < z.length; i++) z[i] = x[i] + y[i];
    }
}
