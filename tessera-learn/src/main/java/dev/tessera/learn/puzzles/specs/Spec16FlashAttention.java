package dev.tessera.learn.puzzles.specs;

import static dev.tessera.lang.TL.cdiv;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.learn.puzzles.Puzzle16FlashAttention;
import dev.tessera.learn.puzzles.check.Problem;
import dev.tessera.learn.puzzles.check.Puzzle;
import dev.tessera.learn.puzzles.check.Size;
import dev.tessera.runtime.JitKernel;
import dev.tessera.types.DType;
import java.util.List;

/** Puzzle 16: attention with scalar queries, keys and values, in flash-attention style. */
public final class Spec16FlashAttention extends Puzzle {
    static final int BQ = 16, BK = 16;

    public Spec16FlashAttention() {
        super(16, "flash-attention", "Scalar flash attention", "attention", Puzzle16FlashAttention.class,
                dev.tessera.learn.puzzles.solutions.Puzzle16FlashAttention.class);
    }

    @Override
    public String statement() {
        return """
                Attention where every query, key and value is a single number: the whole algorithm of
                flash attention without the matrix multiplications.

                    score[i, j] = q[i] * k[j]
                    z[i] = sum over j < T of softmax_j(score[i, :]) * v[j]
                         = sum_j exp(score[i, j] - m_i) * v[j] / sum_j exp(score[i, j] - m_i),   m_i = max_j score[i, j]
                    q, k, v, z: f32[T]

                Launch: grid(cdiv(T, BQ)) with BQ = BK = 16. Program p owns queries p*BQ ... and walks
                the keys BK at a time, never holding more than a [BQ, BK] block of scores. For each query
                it carries three values across the loop: the running max m, the running sum
                l = sum exp(score - m), and acc = sum exp(score - m) * v. When a block raises the max
                from m to m', rescale l and acc by alpha = exp(m - m'). At the end z = acc / l.

                Skills: puzzle 15's online softmax with three carried [BQ] tiles, masking scores with -inf.""";
    }

    @Override
    public List<String> hints() {
        return List.of(
                "Var m = var(full(F32, Double.NEGATIVE_INFINITY, BQ)), l = var(zeros(F32, BQ)), acc = var(zeros(F32, BQ)).",
                "scores = where(j.row().lt(T), qv.col().mul(kv.row()), Double.NEGATIVE_INFINITY): keys past T must get no weight.",
                "mNew = maximum(m, max(scores, 1)); p = exp(scores - mNew.col()); alpha = exp(m - mNew); "
                        + "l = l*alpha + sum(p, 1); acc = acc*alpha + sum(p * vv.row(), 1); m = mNew.");
    }

    @Override
    public List<Size> sizes() {
        return List.of(Size.of("T", 1), Size.of("T", 16), Size.of("T", 17), Size.of("T", 100), Size.of("T", 257));
    }

    @Override
    public Size pictureSize() { return Size.of("T", 40); }

    @Override
    public void setUp(Problem p) {
        int t = p.dim("T");
        p.randn("q", DType.F32, t);
        p.randn("k", DType.F32, t);
        p.randn("v", DType.F32, t);
        p.output("z", DType.F32, t);
    }

    @Override
    public void launch(JitKernel kernel, Problem p) {
        int t = p.dim("T");
        kernel.launch(grid(cdiv(t, BQ)), p.t("q"), p.t("k"), p.t("v"), p.t("z"), t, BQ, BK);
    }

    @Override
    public void reference(Problem p) {
        int t = p.dim("T");
        double[] q = p.in("q"), k = p.in("k"), v = p.in("v"), z = p.expected("z");
        for (int i = 0; i < t; i++) {
            double m = Double.NEGATIVE_INFINITY, l = 0, acc = 0;
            for (int j = 0; j < t; j++) m = Math.max(m, q[i] * k[j]);
            for (int j = 0; j < t; j++) {
                double e = Math.exp(q[i] * k[j] - m);
                l += e;
                acc += e * v[j];
            }
            z[i] = acc / l;
        }
    }
}
