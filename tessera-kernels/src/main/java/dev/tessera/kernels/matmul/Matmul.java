package dev.tessera.kernels.matmul;

import dev.tessera.autotune.Autotuner;
import dev.tessera.runtime.Tensor;

/**
 * C = A·B for row-major or strided A [M, K] and B [K, N] (B given as Wᵀ of a row-major W [N, K], as
 * {@code x @ W.T} in a linear layer, is B with strides (1, K)): with a fixed {@link MatmulConfig},
 * or with the blocking {@link MatmulTuning#TUNER} picks. The kernel is {@link MatmulKernel}.
 */
public final class Matmul {
    private Matmul() {}

    /** c = a·b with the given blocking; f32 operands use tf32 unless {@code ieee}; i8 operands need an i32 {@code c}. */
    public static void matmul(Tensor a, Tensor b, Tensor c, MatmulConfig cfg, boolean ieee) {
        MatmulLaunch l = MatmulLaunch.of(a, b, c);
        MatmulKernel.KERNEL.withOptions(cfg.warps(), cfg.stages()).launch(l::grid, l.args(), MatmulLaunch.constexprs(cfg, ieee));
    }

    /** c = a·b with the blocking tuned for these shapes and dtypes; f32 operands use tf32 unless {@code ieee}. */
    public static void tuned(Tensor a, Tensor b, Tensor c, boolean ieee) { tuned(MatmulTuning.TUNER, a, b, c, ieee); }

    /** As {@link #tuned(Tensor, Tensor, Tensor, boolean)} with another tuner of {@link MatmulKernel#KERNEL}. */
    public static void tuned(Autotuner tuner, Tensor a, Tensor b, Tensor c, boolean ieee) {
        MatmulLaunch l = MatmulLaunch.of(a, b, c);
        tuner.launch(l::grid, l.args(), MatmulLaunch.precision(ieee));
    }

    /** The blocking the autotuner picks for these operands (tuning on them if their key is new). */
    public static MatmulConfig tunedConfig(Tensor a, Tensor b, Tensor c, boolean ieee) {
        MatmulLaunch l = MatmulLaunch.of(a, b, c);
        return MatmulConfig.of(MatmulTuning.TUNER.bestConfig(l::grid, l.args(), MatmulLaunch.precision(ieee)));
    }
}
