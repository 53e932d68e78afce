package dev.tessera.kernels.matmul;

import static dev.tessera.lang.TL.cdiv;

import dev.tessera.autotune.Args;
import dev.tessera.autotune.Autotuner;
import dev.tessera.autotune.Config;
import dev.tessera.autotune.Heuristics;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.runtime.TensorDescriptor;
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
            new MatmulConfig(32, 128, 64, 8, 4, 3).toTuned(),
            // split K for outputs of a few tiles (M = 64 or 128 rows of a linear layer; see splitWorthTrying),
            // none of them spilling on sm_90a (ptxas: 64x256 on 4 warps, split, spills 208 bytes)
            new MatmulConfig(64, 128, 64, 8, 4, 4, 2).toTuned(),
            new MatmulConfig(64, 128, 64, 8, 4, 4, 4).toTuned(),
            new MatmulConfig(64, 128, 64, 8, 4, 4, 8).toTuned(),
            new MatmulConfig(64, 64, 64, 8, 4, 4, 2).toTuned(),
            new MatmulConfig(64, 64, 64, 8, 4, 4, 4).toTuned(),
            new MatmulConfig(128, 128, 64, 8, 8, 4, 2).toTuned(),
            new MatmulConfig(128, 128, 64, 8, 8, 4, 4).toTuned(),
            // and for the few rows of a GEMV run as a matmul (3-16 tokens: Gemv's tensor-core route), whose
            // 64-128 column tiles of W are too few for 132 SMs without a split (H200, 8 x 4096 x 4096 on
            // 32x128 unsplit: 32 programs, W read at 900 GB/s)
            new MatmulConfig(16, 64, 128, 8, 4, 3, 4).toTuned(),
            new MatmulConfig(16, 64, 128, 8, 4, 3, 8).toTuned(),
            new MatmulConfig(32, 64, 64, 8, 4, 4, 4).toTuned(),
            new MatmulConfig(32, 64, 64, 8, 4, 4, 8).toTuned(),
            new MatmulConfig(32, 128, 64, 8, 4, 4, 4).toTuned());

    /**
     * SMs of the GPUs the split configs are meant for (H100 SXM and H200: 132): a split is worth a
     * trial only where the tiles alone fill less than one wave of them.
     */
    static final int SPLIT_FOR_SMS = 132;

    /**
     * Whether the tuner tries {@code c}'s split on these operands: on a GPU (the CPU backend gains
     * nothing from more programs than its cores), for float operands, where the output has fewer
     * tiles than {@link #SPLIT_FOR_SMS}, the split makes at most four waves of programs, and each
     * slice keeps at least four K steps (the pipeline's depth).
     */
    static boolean splitWorthTrying(MatmulLaunch l, MatmulConfig c) {
        boolean gpu = !l.a().device().backend().equals("cpu");
        return gpu && l.a().dtype().isFloat() && splitWorthTrying(l.tiles(c.bm(), c.bn()), cdiv(l.k(), c.bk()), c.split());
    }

    /** The rule of {@link #splitWorthTrying(MatmulLaunch, MatmulConfig)} on a GPU for float operands, by numbers. */
    static boolean splitWorthTrying(long tiles, int kSteps, int split) {
        return split > 1 && tiles < SPLIT_FOR_SMS && tiles * split <= 4L * SPLIT_FOR_SMS && kSteps >= 4 * split;
    }

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
            .configs(CONFIGS.stream().filter(c -> c.intValue("SPLIT") == 1).toList())
            .key("M", "N", "K", "sak", "sbk", "sbn")
            .prune(MatmulTuning::prune)
            .resources(MatmulTuning::sharedMemory)
            .restoreValue("c")
            .build();

    /**
     * The matmul through descriptors' autotuner: the unsplit candidates whose tiles a descriptor's
     * box holds, keyed by M, N, K, the dtypes and B's layout; each config's launch gets a and B as
     * descriptors in blocks of its own tile (the tuner is given the tensors), and the same
     * shared-memory limit.
     */
    public static final Autotuner DESCRIPTOR_TUNER = descriptorTuner(MatmulKernel.DESCRIPTORS);

    /**
     * Blockings the persistent kernel also tries with stream-K, where the last wave of whole tiles
     * would leave multiprocessors idle ({@link #streamKWorthTrying}): the persistent kernel's
     * winners of the LLM sweep on an H100 (128×128×64 on one warpgroup from M 128 to 512, 128×256 and
     * 256×128 on two at M 4096), and 64-row tiles for the fewest rows (M 128 × N 4096 is 32 tiles of
     * 128 rows, whose runs are then about 16 K steps: mostly the pipeline's fill and drain; 64 tiles
     * of 64 rows run about 31). All assemble without spills (ptxas, sm_90a).
     */
    static final List<MatmulConfig> STREAM_K_CONFIGS = List.of(
            new MatmulConfig(128, 128, 64, 8, 4, 5).withStreamK(true),
            new MatmulConfig(128, 128, 64, 8, 8, 4).withStreamK(true),
            new MatmulConfig(128, 256, 64, 8, 8, 4).withStreamK(true),
            new MatmulConfig(256, 128, 64, 8, 8, 4).withStreamK(true),
            new MatmulConfig(64, 128, 64, 8, 4, 6).withStreamK(true),
            new MatmulConfig(64, 256, 64, 8, 8, 4).withStreamK(true));

    /**
     * As {@link #DESCRIPTOR_TUNER}, of the persistent kernel ({@link MatmulKernel#PERSISTENT_DESCRIPTORS}):
     * its candidates without stream-K and {@link #STREAM_K_CONFIGS}.
     */
    public static final Autotuner PERSISTENT_TUNER = Autotuner.builder(MatmulKernel.PERSISTENT_DESCRIPTORS)
            .configs(java.util.stream.Stream.concat(
                    CONFIGS.stream().filter(c -> c.intValue("SPLIT") == 1).map(c -> withoutSplit(c).with("STREAM_K", false)),
                    STREAM_K_CONFIGS.stream().map(c -> withoutSplit(c.toTuned()).with("STREAM_K", true))).toList())
            .key("M", "N", "K", "B_TRANSPOSED")
            .arguments(MatmulTuning::descriptorArguments)
            .prune(MatmulTuning::prunePersistent)
            .resources(MatmulTuning::sharedMemory)
            .build();

    private static Autotuner descriptorTuner(dev.tessera.runtime.JitKernel kernel) {
        return Autotuner.builder(kernel)
                .configs(CONFIGS.stream().filter(c -> c.intValue("SPLIT") == 1).map(MatmulTuning::withoutSplit).toList())
                .key("M", "N", "K", "B_TRANSPOSED")
                .arguments(MatmulTuning::descriptorArguments)
                .prune(MatmulTuning::pruneBySize)
                .resources(MatmulTuning::sharedMemory)
                .build();
    }

    /** {@link #pruneBySize}, and stream-K only where {@link #streamKWorthTrying(Device, long, long, MatmulConfig)} says so. */
    private static List<Config> prunePersistent(List<Config> configs, Args a) {
        Device d = a.tensor("a").device();
        long m = a.longValue("M"), n = a.longValue("N");
        return pruneBySize(configs.stream().filter(c -> streamKWorthTrying(d, m, n, MatmulConfig.of(c))).toList(), a);
    }

    /**
     * Whether the persistent tuner tries {@code c} on an M × N output on {@code d}: always without
     * stream-K; with it on a GPU (the CPU backend's programs are its few cores) where whole tiles
     * would leave multiprocessors idle ({@link #streamKWorthTrying(long, int)}).
     */
    static boolean streamKWorthTrying(Device d, long m, long n, MatmulConfig c) {
        if (!c.streamK()) return true;
        return !d.backend().equals("cpu") && streamKWorthTrying(cdiv(m, (long) c.bm()) * cdiv(n, (long) c.bn()), d.info().multiprocessors());
    }

    /**
     * Whether stream-K may pay for {@code tiles} output tiles on {@code processors} multiprocessors:
     * where whole tiles leave at least 8 % of the multiprocessor-time of their waves idle (512 ×
     * 11008 in 128 × 128 tiles on 132 SMs: 344 tiles in 3 waves, 13 % idle; 4096 × 11008 in 256 ×
     * 128: 1376 tiles in 11 waves, 5 %).
     */
    static boolean streamKWorthTrying(long tiles, int processors) {
        long waves = cdiv(tiles, (long) processors);
        return (double) (waves * processors - tiles) / (waves * processors) >= 0.08;
    }

    /** The descriptor kernel takes no SPLIT. */
    private static Config withoutSplit(Config c) {
        return Config.of("BM", c.intValue("BM"), "BN", c.intValue("BN"), "BK", c.intValue("BK"), "GROUP", c.intValue("GROUP"))
                .warps(c.numWarps()).stages(c.numStages());
    }

    /** a and B (as given: b, or W for b = Wᵀ) as descriptors in blocks of the launch's tile. */
    static Object[] descriptorArguments(Object[] given, Map<String, Object> cx) {
        Object[] out = given.clone();
        int bm = (int) cx.get("BM"), bn = (int) cx.get("BN"), bk = (int) cx.get("BK");
        out[0] = TensorDescriptor.of((Tensor) given[0], bm, bk);
        out[1] = (boolean) cx.get("B_TRANSPOSED") ? TensorDescriptor.of((Tensor) given[1], bn, bk) : TensorDescriptor.of((Tensor) given[1], bk, bn);
        return out;
    }

    /** Drops tiles much larger than the problem, by M, N and K alone. */
    private static List<Config> pruneBySize(List<Config> configs, Args a) {
        List<Config> kept = configs.stream().filter(fitsProblem(a)).toList();
        return kept.isEmpty() ? configs : kept;
    }

    /** A config's tiles are at most the problem's M, N and K (rounded up to powers of 2, and at least 32). */
    private static java.util.function.Predicate<Config> fitsProblem(Args a) {
        int m = Heuristics.nextPowerOf2(a.longValue("M")), n = Heuristics.nextPowerOf2(a.longValue("N"));
        int k = Heuristics.nextPowerOf2(a.longValue("K"));
        return c -> c.intValue("BM") <= Math.max(32, m) && c.intValue("BN") <= Math.max(32, n) && c.intValue("BK") <= Math.max(32, k);
    }

    static List<Config> prune(List<Config> configs, Args a) {
        MatmulLaunch l = MatmulLaunch.of(a.tensor("a"), a.tensor("b"), a.tensor("c"));
        List<Config> unsplit = configs.stream().filter(c -> c.intValue("SPLIT") == 1).toList();
        List<Config> kept = configs.stream()
                .filter(fitsProblem(a))
                .filter(c -> c.intValue("SPLIT") == 1 || splitWorthTrying(l, MatmulConfig.of(c)))
                .toList();
        return kept.isEmpty() ? unsplit : kept;
    }

    /** Shared memory the pipelined A and B tiles take: (BM·BK + BK·BN) · element size · stages. */
    static Map<String, Long> sharedMemory(Config c, Args a) {
        long elem = a.tensor("a").dtype().byteSize();
        long bytes = ((long) c.intValue("BM") * c.intValue("BK") + (long) c.intValue("BK") * c.intValue("BN")) * elem * c.numStages();
        return Map.of("sharedMemoryPerBlock", bytes);
    }
}
