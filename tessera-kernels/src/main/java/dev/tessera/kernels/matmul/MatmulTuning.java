package dev.tessera.kernels.matmul;

import dev.tessera.autotune.Args;
import dev.tessera.autotune.Autotuner;
import dev.tessera.autotune.Config;
import dev.tessera.autotune.Heuristics;
import java.util.List;
import java.util.Map;

/** What the matmul autotuner chooses among, what it prunes, and the shared memory a config takes. */
public final class MatmulTuning {
    private MatmulTuning() {}

    /**
     * Candidate blockings: the classic Triton set for GPUs (large tiles, deep pipelines; the first
     * four are the H100/H200 configs bench/peers/peers.py times Triton's matmul with) plus the
     * smaller tiles that suit the CPU backend.
     */
    public static final List<Config> CONFIGS = List.of(
            new MatmulConfig(128, 256, 64, 8, 8, 3).toTuned(),
            new MatmulConfig(128, 256, 64, 8, 8, 4).toTuned(),
            new MatmulConfig(256, 128, 64, 8, 8, 3).toTuned(),
            new MatmulConfig(128, 256, 64, 8, 16, 3).toTuned(),
            // wgmma on an H200 (bf16 4096^3, fixed blockings): 128x256x64 with 4 stages 675 TFLOP/s, these two
            // 665 and 586 (one wgmma group stays in flight, so they want a stage more than mma.sync)
            new MatmulConfig(256, 128, 64, 8, 8, 4).toTuned(),
            new MatmulConfig(128, 128, 64, 8, 4, 5).toTuned(),
            new MatmulConfig(128, 256, 128, 8, 8, 2).toTuned(),
            new MatmulConfig(128, 128, 128, 8, 4, 3).toTuned(),
            new MatmulConfig(256, 128, 64, 8, 16, 3).toTuned(),
            new MatmulConfig(128, 256, 32, 8, 8, 4).toTuned(),
            new MatmulConfig(256, 128, 32, 8, 8, 4).toTuned(),
            new MatmulConfig(128, 128, 64, 8, 4, 3).toTuned(),
            new MatmulConfig(128, 128, 32, 8, 8, 4).toTuned(),
            new MatmulConfig(128, 128, 64, 8, 4, 4).toTuned(),
            new MatmulConfig(64, 256, 32, 8, 4, 4).toTuned(),
            new MatmulConfig(128, 128, 32, 8, 4, 4).toTuned(),
            new MatmulConfig(128, 64, 32, 8, 4, 4).toTuned(),
            new MatmulConfig(64, 128, 32, 8, 4, 4).toTuned(),
            new MatmulConfig(128, 32, 32, 8, 4, 4).toTuned(),
            new MatmulConfig(64, 32, 32, 8, 2, 5).toTuned(),
            new MatmulConfig(32, 64, 32, 8, 2, 5).toTuned(),
            MatmulConfig.DEFAULT.toTuned(),
            new MatmulConfig(32, 32, 32, 8, 4, 3).toTuned(),
            new MatmulConfig(64, 64, 64, 8, 4, 3).toTuned(),
            new MatmulConfig(32, 128, 64, 8, 4, 3).toTuned());

    /**
     * The autotuner: keyed by M, N, K and the strides of A's rows and of B (so B given as Wᵀ tunes
     * apart from a row-major B), the dtypes and the precision flag; drops tiles much larger than the
     * problem; on a device that reports {@code sharedMemoryPerBlock}, skips configs whose pipelined A
     * and B tiles do not fit.
     */
    public static final Autotuner TUNER = Autotuner.builder(MatmulKernel.KERNEL)
            .configs(CONFIGS)
            .key("M", "N", "K", "sak", "sbk", "sbn")
            .prune(MatmulTuning::prune)
            .resources(MatmulTuning::sharedMemory)
            .build();

    /**
     * The fused kernel's autotuner: the same candidates, key and limits, keyed also by its
     * epilogue's constexprs; C is put back after each trial, since an accumulating one adds into it.
     */
    public static final Autotuner FUSED_TUNER = Autotuner.builder(MatmulKernel.FUSED)
            .configs(CONFIGS)
            .key("M", "N", "K", "sak", "sbk", "sbn")
            .prune(MatmulTuning::prune)
            .resources(MatmulTuning::sharedMemory)
            .restoreValue("c")
            .build();

    static List<Config> prune(List<Config> configs, Args a) {
        int m = Heuristics.nextPowerOf2(a.longValue("M")), n = Heuristics.nextPowerOf2(a.longValue("N"));
        int k = Heuristics.nextPowerOf2(a.longValue("K"));
        List<Config> kept = configs.stream()
                .filter(c -> c.intValue("BM") <= Math.max(32, m) && c.intValue("BN") <= Math.max(32, n) && c.intValue("BK") <= Math.max(32, k))
                .toList();
        return kept.isEmpty() ? configs : kept;
    }

    /** Shared memory the pipelined A and B tiles take: (BM·BK + BK·BN) · element size · stages. */
    static Map<String, Long> sharedMemory(Config c, Args a) {
        long elem = a.tensor("a").dtype().byteSize();
        long bytes = ((long) c.intValue("BM") * c.intValue("BK") + (long) c.intValue("BK") * c.intValue("BN")) * elem * c.numStages();
        return Map.of("sharedMemoryPerBlock", bytes);
    }
}
