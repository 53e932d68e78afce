package dev.tessera.kernels.matmul;

import java.util.List;
import java.util.Map;

/**
 * Block sizes, grouping, warps and pipeline stages for one matmul launch, the number of programs
 * that share each output tile's K steps ({@code split}, 1 for none), and for the persistent kernel
 * through descriptors whether its last waves' K steps are shared out evenly ({@code streamK}); see
 * {@link MatmulKernel}.
 */
public record MatmulConfig(int bm, int bn, int bk, int group, int warps, int stages, int split, boolean streamK) {
    public static final MatmulConfig DEFAULT = new MatmulConfig(64, 64, 32, 8, 4, 3);

    public MatmulConfig {
        if (split < 1) throw new IllegalArgumentException("matmul split must be at least 1, got " + split);
        if (streamK && split != 1) throw new IllegalArgumentException("matmul STREAM_K shares K steps out itself: SPLIT must be 1, got " + split);
    }

    /** A blocking whose programs each take a whole tile's K (no split). */
    public MatmulConfig(int bm, int bn, int bk, int group, int warps, int stages) { this(bm, bn, bk, group, warps, stages, 1); }

    /** A blocking with a split along K and no stream-K. */
    public MatmulConfig(int bm, int bn, int bk, int group, int warps, int stages, int split) { this(bm, bn, bk, group, warps, stages, split, false); }

    /** This blocking with stream-K on or off. */
    public MatmulConfig withStreamK(boolean on) { return new MatmulConfig(bm, bn, bk, group, warps, stages, split, on); }

    /**
     * A config written as {@code BM=128,BN=256,BK=64,GROUP=8,warps=8,stages=3} (commas or spaces
     * between; GROUP, warps, stages, SPLIT and STREAM_K default to 8, 4, 3, 1 and 0), as
     * {@code tessera bench --config} takes it and {@link #toTuned()} prints it.
     */
    public static MatmulConfig parse(String text) {
        Map<String, Integer> v = new java.util.LinkedHashMap<>();
        for (String item : text.strip().split("[,\\s]+")) {
            if (item.isEmpty()) continue;
            int eq = item.indexOf('=');
            String name = eq < 0 ? "" : item.substring(0, eq).strip();
            String key = switch (name.toUpperCase(java.util.Locale.ROOT)) {
                case "BM", "BN", "BK", "GROUP", "SPLIT", "STREAM_K" -> name.toUpperCase(java.util.Locale.ROOT);
                case "WARPS", "NUM_WARPS" -> "warps";
                case "STAGES", "NUM_STAGES" -> "stages";
                default -> throw new IllegalArgumentException("bad matmul config item '" + item
                        + "': write BM=128,BN=256,BK=64 and optionally GROUP=8,warps=8,stages=3,SPLIT=1,STREAM_K=0");
            };
            String value = item.substring(eq + 1).strip();
            // STREAM_K as the tuner prints it, too
            if (key.equals("STREAM_K") && (value.equals("true") || value.equals("false"))) value = value.equals("true") ? "1" : "0";
            try {
                v.put(key, Integer.parseInt(value));
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
        int streamK = v.getOrDefault("STREAM_K", 0);
        if (streamK != 0 && streamK != 1) throw new IllegalArgumentException("matmul config '" + text + "': STREAM_K is 0 or 1");
        if (streamK == 1 && split != 1) throw new IllegalArgumentException("matmul config '" + text + "': STREAM_K=1 takes no SPLIT");
        new dev.tessera.backend.LaunchOptions(warps, stages);   // checks warps and stages with their own messages
        return new MatmulConfig(v.get("BM"), v.get("BN"), v.get("BK"), group, warps, stages, split, streamK == 1);
    }

    /** This blocking as an autotuner config (STREAM_K named only when on: the pointer kernels take none). */
    public dev.tessera.autotune.Config toTuned() {
        var c = dev.tessera.autotune.Config.of("BM", bm, "BN", bn, "BK", bk, "GROUP", group, "SPLIT", split).warps(warps).stages(stages);
        return streamK ? c.with("STREAM_K", true) : c;
    }

    /** The blocking of an autotuner config (BM, BN, BK, GROUP, SPLIT (1 when absent), STREAM_K (off when absent), warps, stages). */
    public static MatmulConfig of(dev.tessera.autotune.Config c) {
        int split = c.meta().containsKey("SPLIT") ? c.intValue("SPLIT") : 1;
        return new MatmulConfig(c.intValue("BM"), c.intValue("BN"), c.intValue("BK"), c.intValue("GROUP"), c.numWarps(), c.numStages(),
                split, Boolean.TRUE.equals(c.meta().get("STREAM_K")));
    }
}
