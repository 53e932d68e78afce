package dev.tessera.kernels;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.autotune.Args;
import dev.tessera.autotune.Autotuner;
import dev.tessera.autotune.Heuristics;
import dev.tessera.ir.Op;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import java.util.List;
import java.util.Map;

/**
 * C = A·B for row-major or strided A [M, K] and B [K, N] (B given as Wᵀ of a row-major W [N, K], as
 * {@code x @ W.T} in a linear layer, is B with strides (1, K)). Programs walk the output in groups
 * of GROUP rows of tiles, so programs running at the same time share rows of A and columns of B in
 * cache; each accumulates its [BM, BN] tile over K in steps of BK, in f32 for floating-point inputs
 * (f16, bf16, f32 as tf32 or in full precision) and in i32 for i8 inputs, and stores it converted
 * to C's dtype.
 */
public final class Matmul {
    private Matmul() {}

    @Kernel
    static void matmul(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K,
                       Tile sam, Tile sak, Tile sbk, Tile sbn, Tile scm, Tile scn,
                       @Constexpr int BM, @Constexpr int BN, @Constexpr int BK, @Constexpr int GROUP,
                       @Constexpr boolean IEEE) {
        Tile pid = programId(0), tilesN = cdiv(N, BN), perGroup = tilesN.mul(GROUP);
        Tile first = pid.div(perGroup).mul(GROUP);
        Tile groupRows = minimum(cdiv(M, BM).sub(first), (long) GROUP);
        Tile pm = first.add(pid.rem(perGroup).rem(groupRows)), pn = pid.rem(perGroup).div(groupRows);

        Tile rm = pm.mul(BM).add(arange(0, BM)), rn = pn.mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Var aPtr = var(a.add(rm.col().mul(sam)).add(rk.row().mul(sak)));
        Var bPtr = var(b.add(rk.col().mul(sbk)).add(rn.row().mul(sbn)));
        // trace-time choice: integer dots are exact in i32 (i8 products summed over K < 2^17 cannot overflow)
        Var acc = var(zeros(a.elementType().isFloat() ? F32 : I32, BM, BN));
        for (Tile k : range(0, cdiv(K, BK))) {
            Tile left = K.sub(k.mul(BK));
            Tile at = load(aPtr.get(), rm.col().lt(M).and(rk.row().lt(left)), 0);
            Tile bt = load(bPtr.get(), rk.col().lt(left).and(rn.row().lt(N)), 0);
            acc.set(dot(at, bt, acc.get(), IEEE ? Op.Dot.Precision.IEEE : null));
            aPtr.set(aPtr.get().add(sak.mul(BK)));
            bPtr.set(bPtr.get().add(sbk.mul(BK)));
        }
        store(c.add(rm.col().mul(scm)).add(rn.row().mul(scn)), acc.get(), rm.col().lt(M).and(rn.row().lt(N)));
    }

    public static final JitKernel KERNEL = Jit.kernel(Matmul.class, "matmul");

    /** Block sizes and grouping for one launch. */
    public record Config(int bm, int bn, int bk, int group, int warps, int stages) {
        public static final Config DEFAULT = new Config(64, 64, 32, 8, 4, 3);

        /**
         * A config written as {@code BM=128,BN=256,BK=64,GROUP=8,warps=8,stages=3} (commas or spaces
         * between; GROUP, warps and stages default to 8, 4 and 3), as {@code tessera bench --config}
         * takes it and {@link #toTuned()} prints it.
         */
        public static Config parse(String text) {
            Map<String, Integer> v = new java.util.LinkedHashMap<>();
            for (String item : text.strip().split("[,\\s]+")) {
                if (item.isEmpty()) continue;
                int eq = item.indexOf('=');
                String name = eq < 0 ? "" : item.substring(0, eq).strip();
                String key = switch (name.toUpperCase(java.util.Locale.ROOT)) {
                    case "BM", "BN", "BK", "GROUP" -> name.toUpperCase(java.util.Locale.ROOT);
                    case "WARPS", "NUM_WARPS" -> "warps";
                    case "STAGES", "NUM_STAGES" -> "stages";
                    default -> throw new IllegalArgumentException("bad matmul config item '" + item
                            + "': write BM=128,BN=256,BK=64 and optionally GROUP=8,warps=8,stages=3");
                };
                try {
                    v.put(key, Integer.parseInt(item.substring(eq + 1).strip()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad matmul config item '" + item + "': " + name + " takes a whole number");
                }
            }
            for (String needed : List.of("BM", "BN", "BK")) {
                if (!v.containsKey(needed)) throw new IllegalArgumentException("matmul config '" + text + "' lacks " + needed
                        + "; write BM=128,BN=256,BK=64 and optionally GROUP=8,warps=8,stages=3");
            }
            for (String pow : List.of("BM", "BN", "BK")) {
                int b = v.get(pow);
                if (b < 16 || Integer.bitCount(b) != 1) {
                    throw new IllegalArgumentException("matmul config '" + text + "': " + pow + "=" + b
                            + " must be a power of 2 of at least 16 (dot multiplies 16x16 pieces)");
                }
            }
            int group = v.getOrDefault("GROUP", 8), warps = v.getOrDefault("warps", 4), stages = v.getOrDefault("stages", 3);
            if (group < 1) throw new IllegalArgumentException("matmul config '" + text + "': GROUP must be at least 1");
            new dev.tessera.backend.LaunchOptions(warps, stages);   // checks warps and stages with their own messages
            return new Config(v.get("BM"), v.get("BN"), v.get("BK"), group, warps, stages);
        }

        /** This blocking as an autotuner config. */
        public dev.tessera.autotune.Config toTuned() {
            return dev.tessera.autotune.Config.of("BM", bm, "BN", bn, "BK", bk, "GROUP", group).warps(warps).stages(stages);
        }

        /** The blocking of an autotuner config (BM, BN, BK, GROUP, warps, stages). */
        public static Config of(dev.tessera.autotune.Config c) {
            return new Config(c.intValue("BM"), c.intValue("BN"), c.intValue("BK"), c.intValue("GROUP"), c.numWarps(), c.numStages());
        }
    }

    /** c = a·b with the given blocking; f32 operands use tf32 unless {@code ieee}; i8 operands need an i32 {@code c}. */
    public static void matmul(Tensor a, Tensor b, Tensor c, Config cfg, boolean ieee) {
        int m = Math.toIntExact(a.shape(0)), k = Math.toIntExact(a.shape(1)), n = Math.toIntExact(b.shape(1));
        if (b.shape(0) != k || c.shape(0) != m || c.shape(1) != n) {
            throw new IllegalArgumentException("matmul shapes: " + a + " · " + b + " -> " + c);
        }
        int programs = cdiv(m, cfg.bm()) * cdiv(n, cfg.bn());
        KERNEL.withOptions(cfg.warps(), cfg.stages()).launch(grid(programs), a, b, c, m, n, k,
                (int) a.stride(0), (int) a.stride(1), (int) b.stride(0), (int) b.stride(1), (int) c.stride(0), (int) c.stride(1),
                cfg.bm(), cfg.bn(), cfg.bk(), cfg.group(), ieee);
    }

    // ------------------------------------------------------------------ autotuned

    /**
     * Candidate blockings: the classic Triton set for GPUs (large tiles, deep pipelines; the first
     * four are the H100/H200 configs bench/peers/peers.py times Triton's matmul with) plus the
     * smaller tiles that suit the CPU backend.
     */
    public static final List<dev.tessera.autotune.Config> CONFIGS = List.of(
            new Config(128, 256, 64, 8, 8, 3).toTuned(),
            new Config(128, 256, 64, 8, 8, 4).toTuned(),
            new Config(256, 128, 64, 8, 8, 3).toTuned(),
            new Config(128, 256, 64, 8, 16, 3).toTuned(),
            new Config(128, 256, 128, 8, 8, 2).toTuned(),
            new Config(128, 128, 128, 8, 4, 3).toTuned(),
            new Config(256, 128, 64, 8, 16, 3).toTuned(),
            new Config(128, 256, 32, 8, 8, 4).toTuned(),
            new Config(256, 128, 32, 8, 8, 4).toTuned(),
            new Config(128, 128, 64, 8, 4, 3).toTuned(),
            new Config(128, 128, 32, 8, 8, 4).toTuned(),
            new Config(128, 128, 64, 8, 4, 4).toTuned(),
            new Config(64, 256, 32, 8, 4, 4).toTuned(),
            new Config(128, 128, 32, 8, 4, 4).toTuned(),
            new Config(128, 64, 32, 8, 4, 4).toTuned(),
            new Config(64, 128, 32, 8, 4, 4).toTuned(),
            new Config(128, 32, 32, 8, 4, 4).toTuned(),
            new Config(64, 32, 32, 8, 2, 5).toTuned(),
            new Config(32, 64, 32, 8, 2, 5).toTuned(),
            Config.DEFAULT.toTuned(),
            new Config(32, 32, 32, 8, 4, 3).toTuned(),
            new Config(64, 64, 64, 8, 4, 3).toTuned(),
            new Config(32, 128, 64, 8, 4, 3).toTuned());

    /**
     * The autotuner: keyed by M, N, K and the strides of A's rows and of B (so B given as Wᵀ tunes
     * apart from a row-major B), the dtypes and the precision flag; drops tiles much larger than the
     * problem; on a device that reports {@code sharedMemoryPerBlock}, skips configs whose pipelined A
     * and B tiles do not fit.
     */
    public static final Autotuner TUNER = Autotuner.builder(KERNEL)
            .configs(CONFIGS)
            .key("M", "N", "K", "sak", "sbk", "sbn")
            .prune(Matmul::prune)
            .resources(Matmul::sharedMemory)
            .build();

    static List<dev.tessera.autotune.Config> prune(List<dev.tessera.autotune.Config> configs, Args a) {
        int m = Heuristics.nextPowerOf2(a.longValue("M")), n = Heuristics.nextPowerOf2(a.longValue("N"));
        int k = Heuristics.nextPowerOf2(a.longValue("K"));
        List<dev.tessera.autotune.Config> kept = configs.stream()
                .filter(c -> c.intValue("BM") <= Math.max(32, m) && c.intValue("BN") <= Math.max(32, n) && c.intValue("BK") <= Math.max(32, k))
                .toList();
        return kept.isEmpty() ? configs : kept;
    }

    /** Shared memory the pipelined A and B tiles take: (BM·BK + BK·BN) · element size · stages. */
    static Map<String, Long> sharedMemory(dev.tessera.autotune.Config c, Args a) {
        long elem = a.tensor("a").dtype().byteSize();
        long bytes = ((long) c.intValue("BM") * c.intValue("BK") + (long) c.intValue("BK") * c.intValue("BN")) * elem * c.numStages();
        return Map.of("sharedMemoryPerBlock", bytes);
    }

    /** c = a·b with the blocking tuned for these shapes and dtypes; f32 operands use tf32 unless {@code ieee}. */
    public static void tuned(Tensor a, Tensor b, Tensor c, boolean ieee) { tuned(TUNER, a, b, c, ieee); }

    /** As {@link #tuned(Tensor, Tensor, Tensor, boolean)} with another tuner of {@link #KERNEL}. */
    public static void tuned(Autotuner tuner, Tensor a, Tensor b, Tensor c, boolean ieee) {
        int m = Math.toIntExact(a.shape(0)), k = Math.toIntExact(a.shape(1)), n = Math.toIntExact(b.shape(1));
        if (b.shape(0) != k || c.shape(0) != m || c.shape(1) != n) {
            throw new IllegalArgumentException("matmul shapes: " + a + " · " + b + " -> " + c);
        }
        tuner.launch(meta -> new int[] {cdiv(m, (int) meta.get("BM")) * cdiv(n, (int) meta.get("BN"))},
                new Object[] {a, b, c, m, n, k, (int) a.stride(0), (int) a.stride(1), (int) b.stride(0), (int) b.stride(1),
                        (int) c.stride(0), (int) c.stride(1)},
                Map.of("IEEE", ieee));
    }

    /** The blocking the autotuner picks for these operands (tuning on them if their key is new). */
    public static Config tunedConfig(Tensor a, Tensor b, Tensor c, boolean ieee) {
        int m = Math.toIntExact(a.shape(0)), k = Math.toIntExact(a.shape(1)), n = Math.toIntExact(b.shape(1));
        return Config.of(TUNER.bestConfig(meta -> new int[] {cdiv(m, (int) meta.get("BM")) * cdiv(n, (int) meta.get("BN"))},
                new Object[] {a, b, c, m, n, k, (int) a.stride(0), (int) a.stride(1), (int) b.stride(0), (int) b.stride(1),
                        (int) c.stride(0), (int) c.stride(1)},
                Map.of("IEEE", ieee)));
    }
}
