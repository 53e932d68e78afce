package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.cdiv;
import static dev.tessera.lang.TL.nextPowerOf2;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle17Conv2d;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 17: a 3×3 convolution of a batch of images. */
public final class Spec17Conv2d extends Puzzle {
    static final int KH = 3, KW = 3, BH = 8;

    public Spec17Conv2d() {
        super(17, "conv2d", "Batched 2-D convolution", "conv2d", Puzzle17Conv2d.class,
                dev.tessera.learn.puzzles.solutions.Puzzle17Conv2d.class);
    }

    @Override
    public String statement() {
        return """
                Convolve each image of a batch with one small kernel (a "valid"-style correlation whose
                window may hang off the bottom and right edges, where x counts as 0).

                    z[n, r, c] = sum over a < KH, b < KW of x[n, r + a, c + b] * k[a, b]
                                 (x[n, r', c'] = 0 when r' >= H or c' >= W)
                    x, z: f32[B, H, W] contiguous, k: f32[KH, KW], KH = KW = 3

                Launch: grid(B, cdiv(H, BH)) with BH = 8 and BW = nextPowerOf2(W): program
                (programId(0), programId(1)) = (n, p) computes rows p*BH ... p*BH+BH-1 of image n,
                all columns at once.

                KH and KW are constexprs: a plain Java for loop over them runs while the kernel is
                traced, producing KH*KW shifted loads (Triton's static_range).

                Skills: 3-D indexing with a 2-D grid, trace-time loops, shifted masked loads, scalar loads.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "Image n starts at x + n*H*W. r = programId(1)*BH + arange(0, BH), c = arange(0, BW).",
                "for (int a = 0; a < KH; a++) for (int b = 0; b < KW; b++): rows r.add(a).col(), columns c.add(b).row(), "
                        + "masked to < H and < W with 0 as the other value; multiply by load(k.add(a * KW + b)), a scalar.",
                "Accumulate in a plain Java Tile variable (acc = acc.add(...)): a trace-time loop needs no Var.");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("B", 1, "H", 1, "W", 1), Size.of("B", 2, "H", 8, "W", 8), Size.of("B", 3, "H", 13, "W", 10),
                Size.of("B", 2, "H", 33, "W", 20));
    }

    @Override
    public Size pictureSize() { return Size.of("B", 2, "H", 12, "W", 10); }

    @Override
    public void setUp(Problem p) {
        int b = p.dim("B"), h = p.dim("H"), w = p.dim("W");
        p.randn("x", DType.F32, b, h, w);
        p.randn("k", DType.F32, KH, KW);
        p.output("z", DType.F32, b, h, w);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int b = p.dim("B"), h = p.dim("H"), w = p.dim("W");
        kernel.launch(grid(b, cdiv(h, BH)), p.t("x"), p.t("k"), p.t("z"), h, w, KH, KW, BH, nextPowerOf2(w));
    }

    @Override
    public void reference(Problem p) {
        int bs = p.dim("B"), h = p.dim("H"), w = p.dim("W");
        double[] x = p.in("x"), k = p.in("k"), z = p.expected("z");
        for (int n = 0; n < bs; n++) {
            for (int r = 0; r < h; r++) {
                for (int c = 0; c < w; c++) {
                    double s = 0;
                    for (int a = 0; a < KH; a++) {
                        for (int b = 0; b < KW; b++) {
                            if (r + a < h && c + b < w) s += x[(n * h + r + a) * w + c + b] * k[a * KW + b];
                        }
                    }
                    z[(n * h + r) * w + c] = s;
                }
            }
        }
    }
}
