package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.cdiv;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle19QuantMatmul;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 19: a matmul whose weights are 4-bit integers, eight to an int32, with per-group scales and offsets. */
public final class Spec19QuantMatmul extends Puzzle {
    static final int BM = 16, BN = 16, GROUP = 32;

    public Spec19QuantMatmul() {
        super(19, "quant-matmul", "4-bit quantized matmul", "quantMatmul", Puzzle19QuantMatmul.class,
                dev.tessera.learn.puzzles.solutions.Puzzle19QuantMatmul.class);
    }

    @Override
    public String statement() {
        return """
                Multiply activations by 4-bit quantized weights, dequantizing them on the fly.

                    q(k, j)    = (w[k / 8, j] >> (4 * (k % 8))) & 15          the 4-bit weight (0..15)
                    W[k, j]    = scales[k / GROUP, j] * (q(k, j) - offsets[k / GROUP, j])
                    c[i, j]    = sum over k < K of a[i, k] * W[k, j]
                    a: f32[M, K], w: i32[K/8, N] (eight weights per int32, weight k in bits 4*(k%8) .. 4*(k%8)+3),
                    scales: f32[K/GROUP, N], offsets: i32[K/GROUP, N] (values 0..15), c: f32[M, N]
                    GROUP = 32; K is a multiple of GROUP.

                Launch: grid(cdiv(M, BM), cdiv(N, BN)) with BM = BN = 16. Walk K one group (GROUP = 32
                rows of W) at a time: unpack a [GROUP, BN] tile of q, dequantize it with that group's
                [BN] scales and offsets, and accumulate dot(aTile, W tile).

                Memory is the point: W in f32 would take 8x the bytes of w.

                Skills: bit manipulation on integer tiles (shr, and), gathering the same int32 for 8
                rows, integer-to-float conversion, broadcasting per-column parameters.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "for (Tile k : range(0, K, GROUP)): rk = k.add(arange(0, GROUP)). Row rk of W lives in row rk.div(8) of w.",
                "packed = load(w.add(rk.div(8).col().mul(N)).add(rn.row()), rn.row().lt(N), 0L) is [GROUP, BN]; "
                        + "q = packed.shr(rk.rem(8).mul(4).col()).and(15).",
                "group = k.div(GROUP); scale and offset are [BN] loads at group*N + rn; "
                        + "W = q.sub(offset.row()).to(F32).mul(scale.row()); acc.set(dot(aTile, W, acc.get())).");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("M", 1, "N", 1, "K", 32), Size.of("M", 16, "N", 16, "K", 64), Size.of("M", 33, "N", 17, "K", 96),
                Size.of("M", 40, "N", 50, "K", 128));
    }

    @Override
    public Size pictureSize() { return Size.of("M", 20, "N", 24, "K", 64); }

    @Override
    public void setUp(Problem p) {
        int m = p.dim("M"), n = p.dim("N"), k = p.dim("K");
        p.randn("a", DType.F32, m, k);
        p.ints("w", DType.I32, Integer.MIN_VALUE, Integer.MAX_VALUE + 1L, k / 8, n);
        p.uniform("scales", DType.F32, 0.01, 0.1, k / GROUP, n);
        p.ints("offsets", DType.I32, 0, 16, k / GROUP, n);
        p.output("c", DType.F32, m, n);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int m = p.dim("M"), n = p.dim("N"), k = p.dim("K");
        kernel.launch(grid(cdiv(m, BM), cdiv(n, BN)), p.t("a"), p.t("w"), p.t("scales"), p.t("offsets"), p.t("c"),
                m, n, k, BM, BN, GROUP);
    }

    @Override
    public void reference(Problem p) {
        int m = p.dim("M"), n = p.dim("N"), k = p.dim("K");
        double[] w = p.in("w"), scales = p.in("scales"), offsets = p.in("offsets"), weights = new double[k * n];
        for (int r = 0; r < k; r++) {
            for (int j = 0; j < n; j++) {
                int packed = (int) w[(r / 8) * n + j];
                int q = (packed >>> (4 * (r % 8))) & 15;
                int g = r / GROUP;
                weights[r * n + j] = scales[g * n + j] * (q - offsets[g * n + j]);
            }
        }
        Refs.matmul(p.in("a"), weights, p.expected("c"), m, n, k);
    }

    @Override
    public double atol(Problem p) { return 2e-3 * Math.sqrt(p.dim("K")); }

    @Override
    public double rtol(Problem p) { return 2e-3; }
}
