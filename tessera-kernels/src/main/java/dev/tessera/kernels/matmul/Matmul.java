package dev.tessera.kernels.matmul;

import dev.tessera.autotune.Autotuner;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;

/**
 * C = A·B for row-major or strided A [M, K] and B [K, N] (B given as Wᵀ of a row-major W [N, K], as
 * {@code x @ W.T} in a linear layer, is B with strides (1, K)): with a fixed {@link MatmulConfig},
 * or with the blocking {@link MatmulTuning#TUNER} picks. The kernel is {@link MatmulKernel}.
 */
public final class Matmul {
    private Matmul() {}

    /**
     * c = a·b with the given blocking; f32 operands use tf32 unless {@code ieee}; i8 operands need an
     * i32 {@code c} (and cannot be split along K).
     */
    public static void matmul(Tensor a, Tensor b, Tensor c, MatmulConfig cfg, boolean ieee) {
        MatmulLaunch l = MatmulLaunch.of(a, b, c);
        l.requireSplittable(cfg.split());
        SplitKWorkspace.run(a.device(), l.partialFloats(cfg.bm(), cfg.bn(), cfg.split()), l.tiles(cfg.bm(), cfg.bn()), (partials, arrivals) ->
                MatmulKernel.KERNEL.withOptions(cfg.warps(), cfg.stages()).launch(meta -> l.grid(meta, partials, arrivals),
                        l.args(partials, arrivals), MatmulLaunch.constexprs(cfg, ieee)));
    }

    /**
     * c = a·b with a and b read through tensor descriptors ({@link MatmulKernel#DESCRIPTORS}: on
     * Hopper, TMA copies straight into wgmma's slots): 16-bit a [M, K] with its rows contiguous, b
     * [K, N] with its rows contiguous or b = Wᵀ of a row-major W [N, K]; every row 16-byte aligned (K,
     * and N for a row-major b, multiples of 8). Not split along K (the config's split must be 1).
     */
    public static void throughDescriptors(Tensor a, Tensor b, Tensor c, MatmulConfig cfg) { throughDescriptors(a, b, c, cfg, false); }

    /**
     * As {@link #throughDescriptors(Tensor, Tensor, Tensor, MatmulConfig)}, persistent
     * ({@link MatmulKernel#PERSISTENT_DESCRIPTORS}): one program a multiprocessor, each walking
     * output tiles until none is left.
     */
    public static void persistentThroughDescriptors(Tensor a, Tensor b, Tensor c, MatmulConfig cfg) { throughDescriptors(a, b, c, cfg, true); }

    private static void throughDescriptors(Tensor a, Tensor b, Tensor c, MatmulConfig cfg, boolean persistent) {
        MatmulLaunch l = MatmulLaunch.of(a, b, c);
        throughDescriptors(l, cfg, persistent ? l.persistentPrograms(cfg.bm(), cfg.bn(), cfg.streamK()) : 0);
    }

    /**
     * The matmul through descriptors on {@code programs} programs of the persistent kernel (the
     * tests' way to share K steps among more or fewer programs than the device has multiprocessors).
     */
    static void throughDescriptors(Tensor a, Tensor b, Tensor c, MatmulConfig cfg, int programs) { throughDescriptors(MatmulLaunch.of(a, b, c), cfg, programs); }

    /** The matmul through descriptors: a program a tile ({@code programs} 0), or the persistent kernel on {@code programs} programs. */
    private static void throughDescriptors(MatmulLaunch l, MatmulConfig cfg, int programs) {
        boolean persistent = programs > 0;
        if (cfg.split() != 1) throw new IllegalArgumentException("a matmul through descriptors is not split along K: " + cfg);
        try (Tensor read = l.descriptorOperandB()) {
            if (!persistent) {
                java.util.Map<String, Object> cx = l.descriptorConstexprs(cfg);
                MatmulKernel.DESCRIPTORS.withOptions(cfg.warps(), cfg.stages()).launch(l::tileGrid, MatmulTuning.descriptorArguments(l.descriptorInputs(read), cx), cx);
                return;
            }
            java.util.Map<String, Object> cx = l.persistentConstexprs(cfg);
            SplitKWorkspace.run(l.a().device(), cfg.streamK() ? MatmulLaunch.streamKFloats(cfg.bm(), cfg.bn(), programs) : 0,
                    cfg.streamK() ? MatmulLaunch.streamKTiles(programs) : 0, (partials, arrivals) ->
                    MatmulKernel.PERSISTENT_DESCRIPTORS.withOptions(cfg.warps(), cfg.stages()).launch(meta -> new int[] {programs},
                            MatmulTuning.descriptorArguments(l.persistentInputs(read, partials, arrivals), cx), cx));
        }
    }

    /** As {@link #throughDescriptors(Tensor, Tensor, Tensor, MatmulConfig)} with the blocking {@link MatmulTuning#DESCRIPTOR_TUNER} picks. */
    public static void tunedThroughDescriptors(Tensor a, Tensor b, Tensor c) { tunedThroughDescriptors(MatmulTuning.DESCRIPTOR_TUNER, a, b, c); }

    /** As {@link #persistentThroughDescriptors} with the blocking {@link MatmulTuning#PERSISTENT_TUNER} picks. */
    public static void tunedPersistentThroughDescriptors(Tensor a, Tensor b, Tensor c) { tunedThroughDescriptors(MatmulTuning.PERSISTENT_TUNER, a, b, c); }

    /**
     * As {@link #tunedThroughDescriptors(Tensor, Tensor, Tensor)} with another tuner of
     * {@link MatmulKernel#DESCRIPTORS} or of {@link MatmulKernel#PERSISTENT_DESCRIPTORS}.
     */
    public static void tunedThroughDescriptors(Autotuner tuner, Tensor a, Tensor b, Tensor c) {
        MatmulLaunch l = MatmulLaunch.of(a, b, c);
        try (Tensor read = l.descriptorOperandB()) {
            // the tuner's configs make the descriptors in blocks of their tiles (MatmulTuning.DESCRIPTOR_TUNER's arguments)
            descriptorLaunch(tuner, l, read, (grid, inputs) -> tuner.launch(grid, inputs, java.util.Map.of("B_TRANSPOSED", l.bTransposed())));
        }
    }

    /** What a tuner of a descriptor kernel is run with: its grid and its inputs (for the persistent kernel, with the stream-K workspace). */
    private interface DescriptorLaunch {
        void run(dev.tessera.runtime.Grid grid, Object[] inputs);
    }

    /**
     * Runs {@code launch} with the grid and inputs of {@code tuner}'s kernel: a program a tile, or for
     * the persistent kernel a program a multiprocessor (at most one a tile without stream-K) and
     * the workspace its stream-K configs need, under the workspace's lock.
     */
    private static void descriptorLaunch(Autotuner tuner, MatmulLaunch l, Tensor read, DescriptorLaunch launch) {
        if (tuner.kernel() != MatmulKernel.PERSISTENT_DESCRIPTORS) {
            launch.run(l::tileGrid, l.descriptorInputs(read));
            return;
        }
        // a workspace for the stream-K configs the tuner will try on these operands (as withWorkspace's for splits)
        int programs = l.streamKPrograms();
        long floats = 0, tiles = 0;
        for (var config : tuner.configs()) {
            MatmulConfig c = MatmulConfig.of(config);
            if (c.streamK() && MatmulTuning.streamKWorthTrying(l.a().device(), l.m(), l.n(), c)) {
                floats = Math.max(floats, MatmulLaunch.streamKFloats(c.bm(), c.bn(), programs));
                tiles = MatmulLaunch.streamKTiles(programs);
            }
        }
        SplitKWorkspace.run(l.a().device(), floats, tiles, (partials, arrivals) -> launch.run(
                meta -> new int[] {l.persistentPrograms((int) meta.get("BM"), (int) meta.get("BN"), Boolean.TRUE.equals(meta.get("STREAM_K")))},
                l.persistentInputs(read, partials, arrivals)));
    }

    /**
     * c = a·b with the kernel and blocking tuned for these shapes and dtypes; f32 operands use tf32
     * unless {@code ieee}. Where the device copies descriptors' blocks in hardware (TMA) and the
     * operands can be described, the first call for a problem tunes both the pointer kernel (which
     * may split K) and the persistent descriptor kernel and keeps the faster; elsewhere it is the
     * pointer kernel's.
     */
    public static void tuned(Tensor a, Tensor b, Tensor c, boolean ieee) {
        MatmulLaunch l = MatmulLaunch.of(a, b, c);
        if (l.describable() && ROUTES.computeIfAbsent(route(l, ieee), r -> fasterThroughDescriptors(l, ieee))) tunedPersistentThroughDescriptors(a, b, c);
        else tuned(MatmulTuning.TUNER, a, b, c, ieee);
    }

    /** Whether each problem, by {@link #route}, goes through descriptors: decided once, from both tuners' best times. */
    private static final java.util.concurrent.ConcurrentHashMap<String, Boolean> ROUTES = new java.util.concurrent.ConcurrentHashMap<>();

    /** What decides the route: the device, the sizes, the operands' and the output's dtypes, B's layout and the precision. */
    private static String route(MatmulLaunch l, boolean ieee) {
        return l.a().device() + " " + l.m() + "x" + l.n() + "x" + l.k() + " " + l.a().dtype() + "->" + l.c().dtype() + (l.bTransposed() ? " Wt" : "")
                + (ieee ? " ieee" : "");
    }

    /** Tunes both kernels on these operands (each keeps its result) and says whether the persistent descriptor kernel's best is faster. */
    private static boolean fasterThroughDescriptors(MatmulLaunch l, boolean ieee) {
        double[] pointer = new double[1];
        withWorkspace(MatmulTuning.TUNER, l, (partials, arrivals) -> pointer[0] = MatmulTuning.TUNER.tune(
                meta -> l.grid(meta, partials, arrivals), l.args(partials, arrivals), MatmulLaunch.precision(ieee)).bestMs());
        try (Tensor read = l.descriptorOperandB()) {
            Autotuner tuner = MatmulTuning.PERSISTENT_TUNER;
            double[] descriptors = new double[1];
            descriptorLaunch(tuner, l, read, (grid, inputs) -> descriptors[0] = tuner.tune(grid, inputs, java.util.Map.of("B_TRANSPOSED", l.bTransposed())).bestMs());
            return descriptors[0] < pointer[0];
        }
    }

    /** As {@link #tuned(Tensor, Tensor, Tensor, boolean)} with another tuner of {@link MatmulKernel#KERNEL}. */
    public static void tuned(Autotuner tuner, Tensor a, Tensor b, Tensor c, boolean ieee) {
        MatmulLaunch l = MatmulLaunch.of(a, b, c);
        withWorkspace(tuner, l, (partials, arrivals) ->
                tuner.launch(meta -> l.grid(meta, partials, arrivals), l.args(partials, arrivals), MatmulLaunch.precision(ieee)));
    }

    /**
     * What the fused matmul adds to A·B: C = α·A·B + (β·P)·Q (+ C when {@code accumulate}), P [M, R]
     * and Q [R, N] a low-rank term of rank R ≤ {@link #MAX_RANK} (LoRA's X·A and B), or none.
     */
    public record Epilogue(double alpha, Tensor p, Tensor q, double beta, boolean accumulate) {
        /** The largest rank of a low-rank term (its [BM, R] tile of P stays in registers beside the accumulator). */
        public static final int MAX_RANK = 128;

        public Epilogue {
            if ((p == null) != (q == null)) throw new IllegalArgumentException("a low-rank term needs both p and q, not " + p + " and " + q);
            if (!Double.isFinite(alpha) || !Double.isFinite(beta)) throw new IllegalArgumentException("alpha and beta must be finite, not " + alpha + " and " + beta);
        }

        /** C = α·A·B. */
        public static Epilogue scale(double alpha) { return new Epilogue(alpha, null, null, 0, false); }

        /** C = A·B + (β·P)·Q. */
        public static Epilogue lowRank(Tensor p, Tensor q, double beta) { return new Epilogue(1, p, q, beta, false); }

        /** C += A·B. */
        public static Epilogue accumulating() { return new Epilogue(1, null, null, 0, true); }

        /** This epilogue adding C's old values. */
        public Epilogue accumulate(boolean on) { return new Epilogue(alpha, p, q, beta, on); }
    }

    /** c = α·a·b + (β·p)·q (+ c) with the given blocking: {@link MatmulKernel}'s fused kernel (float operands). */
    public static void fused(Tensor a, Tensor b, Tensor c, Epilogue e, MatmulConfig cfg, boolean ieee) {
        MatmulLaunch l = MatmulLaunch.of(a, b, c);
        MatmulKernel.FUSED.withOptions(cfg.warps(), cfg.stages()).launch(l::tileGrid, l.fusedArgs(e), MatmulLaunch.fusedConstexprs(cfg, e, ieee));
    }

    /** As {@link #fused(Tensor, Tensor, Tensor, Epilogue, MatmulConfig, boolean)} with the blocking {@link MatmulTuning#FUSED_TUNER} picks. */
    public static void fusedTuned(Tensor a, Tensor b, Tensor c, Epilogue e, boolean ieee) {
        MatmulLaunch l = MatmulLaunch.of(a, b, c);
        MatmulTuning.FUSED_TUNER.launch(l::tileGrid, l.fusedArgs(e), MatmulLaunch.fusedPrecision(e, ieee));
    }

    /** The blocking the autotuner picks for these operands (tuning on them if their key is new). */
    public static MatmulConfig tunedConfig(Tensor a, Tensor b, Tensor c, boolean ieee) {
        MatmulLaunch l = MatmulLaunch.of(a, b, c);
        MatmulConfig[] best = new MatmulConfig[1];
        withWorkspace(MatmulTuning.TUNER, l, (partials, arrivals) -> best[0] = MatmulConfig.of(MatmulTuning.TUNER.bestConfig(
                meta -> l.grid(meta, partials, arrivals), l.args(partials, arrivals), MatmulLaunch.precision(ieee))));
        return best[0];
    }

    /** Runs a tuner's launch with a split-K workspace for every split its configs may try on these operands. */
    private static void withWorkspace(Autotuner tuner, MatmulLaunch l, SplitKWorkspace.Launch launch) {
        long floats = 0, tiles = 0;
        for (var config : tuner.configs()) {
            MatmulConfig c = MatmulConfig.of(config);
            if (MatmulTuning.splitWorthTrying(l, c)) {
                floats = Math.max(floats, l.partialFloats(c.bm(), c.bn(), c.split()));
                tiles = Math.max(tiles, l.tiles(c.bm(), c.bn()));
            }
        }
        SplitKWorkspace.run(l.a().device(), floats, tiles, launch);
    }
}
