package dev.tessera.kernels.matmul;

import java.util.List;
import java.util.Map;

/**
 * Block sizes, grouping, warps and pipeline stages for one matmul launch, and the number of
 * programs that share each output tile's K steps ({@code split}, 1 for none; see {@link MatmulKernel}).
 */
public record MatmulConfig(int bm, int bn, int bk, int group, int warps, int stages, int split) {
    public static final MatmulConfig DEFAULT = new MatmulConfig(64, 64, 32, 8, 4, 3);

    public MatmulConfig {
        if (split < 1) throw new IllegalArgumentException("matmul split must be at least 1, got " + split);
    }

    /** A blocking whose programs each take a whole tile's K (no split). */
    public MatmulConfig(int bm, int bn, int bk, int group, int warps, int stages) { this(bm, bn, bk, group, warps, stages, 1); }

    /**
     * A config written as {@code BM=128,BN=256,BK=64,GROUP=8,warps=8,stages=3} (commas or spaces
     * between; GROUP, warps, stages and SPLIT default to 8, 4, 3 and 1), as {@code tessera bench --config}
     * takes it and {@link #toTuned()} prints it.
     */
    public static MatmulConfig parse(String text) {
        Map<String, Integer> v = new java.util.LinkedHashMap<>();
        for (String item : text.strip().split("[,\\s]+")) {
            if (item.isEmpty()) continue;
            int eq = item.indexOf('=');
            String name = eq < 0 ? "" : item.substring(0, eq).strip();
            String key = switch (name.toUpperCase(java.util.Locale.ROOT)) {
                case "BM", "BN", "BK", "GROUP", "SPLIT" -> name.toUpperCase(java.util.Locale.ROOT);
                case "WARPS", "NUM_WARPS" -> "warps";
                case "STAGES", "NUM_STAGES" -> "stages";
                default -> throw new IllegalArgumentException("bad matmul config item '" + item
                        + "': write BM=128,BN=256,BK=64 and optionally GROUP=8,warps=8,stages=3,SPLIT=1");
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
        int split = v.getOrDefault("SPLIT", 1);
        if (split < 1) throw new IllegalArgumentException("matmul config '" + text + "': SPLIT must be at least 1");
        new dev.tessera.backend.LaunchOptions(warps, stages);   // checks warps and stages with their own messages
        return new MatmulConfig(v.get("BM"), v.get("BN"), v.get("BK"), group, warps, stages, split);
    }

    /** This blocking as an autotuner config. */
    public dev.tessera.autotune.Config toTuned() {
        return dev.tessera.autotune.Config.of("BM", bm, "BN", bn, "BK", bk, "GROUP", group, "SPLIT", split).warps(warps).stages(stages);
    }

    /** The blocking of an autotuner config (BM, BN, BK, GROUP, SPLIT, warps, stages). */
    public static MatmulConfig of(dev.tessera.autotune.Config c) {
        return new MatmulConfig(c.intValue("BM"), c.intValue("BN"), c.intValue("BK"), c.intValue("GROUP"), c.numWarps(), c.numStages(),
                c.intValue("SPLIT"));
    }
}
