package dev.tessera.learn.puzzles.specs;

import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle15LongSoftmax;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 15: softmax of rows longer than a block, in two passes with an online normalizer. */
public final class Spec15LongSoftmax extends Puzzle {
    static final int BLOCK = 32;

    public Spec15LongSoftmax() {
        super(15, "long-softmax", "Long softmax (two passes, online normalizer)", "longSoftmax", Puzzle15LongSoftmax.class,
                dev.tessera.learn.puzzles.solutions.Puzzle15LongSoftmax.class);
    }

    @Override
    public String statement() {
        return """
                Softmax of rows too long for one tile (puzzle 4's formula), reading each row twice:

                    pass 1: the row's max m and the sum s of exp(x - m), together, one chunk at a time.
                            When a chunk raises the max from m to m', the sum so far was taken against
                            the old max: rescale it, s' = s * exp(m - m') + sum over the chunk of exp(x - m').
                    pass 2: y = exp(x - m) / s, one chunk at a time.

                    x: f32[M, N] (rows xStride apart), y: f32[M, N] (rows yStride apart)

                Launch: grid(M), one program per row, BLOCK = 32.

                The naive way takes three passes (max, then sum, then normalize); the online normalizer
                (Milakov & Gimelshein, 2018) saves one read of the row. Flash attention is built on it.

                Skills: two loop-carried scalars updated together, exp(-inf) = 0 at the start.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "Var m = var(Double.NEGATIVE_INFINITY), s = var(0.0). Load chunks with -inf in masked lanes.",
                "mNew = maximum(m.get(), max(chunk, 0)); s.set(s.get().mul(exp(m.get().sub(mNew))).add(sum(exp(chunk.sub(mNew)), 0))); m.set(mNew).",
                "Second loop over the same chunks: store(exp(chunk.sub(m.get())).div(s.get())) with the mask.");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("M", 1, "N", 1, "xStride", 1), Size.of("M", 3, "N", 31, "xStride", 40),
                Size.of("M", 4, "N", 32, "xStride", 32), Size.of("M", 5, "N", 1000, "xStride", 1001),
                Size.of("M", 2, "N", 4097, "xStride", 4097));
    }

    @Override
    public Size pictureSize() { return Size.of("M", 4, "N", 70, "xStride", 72); }

    @Override
    public void setUp(Problem p) {
        p.randnRows("x", DType.F32, p.dim("M"), p.dim("N"), p.dim("xStride"));
        p.output("y", DType.F32, p.dim("M"), p.dim("N"));
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int n = p.dim("N");
        kernel.launch(grid(p.dim("M")), p.t("x"), p.t("y"), n, p.dim("xStride"), n, BLOCK);
    }

    @Override
    public void reference(Problem p) {
        new Spec04Softmax().reference(p);
    }

    @Override
    public double atol(Problem p) { return 1e-6; }
}
