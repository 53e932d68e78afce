package dev.tessera.kernels.matmul;

import static dev.tessera.lang.TL.cdiv;

import dev.tessera.runtime.Tensor;
import java.util.Map;

/**
 * The one place a matmul launch is checked and its arguments laid out: c [M, N] = a [M, K] · b [K, N]
 * with any strides, the run-time arguments in {@link MatmulKernel}'s order.
 */
record MatmulLaunch(Tensor a, Tensor b, Tensor c, int m, int n, int k) {

    /** Checks that the shapes chain (a 2-D [M, K], b [K, N], c [M, N]). */
    static MatmulLaunch of(Tensor a, Tensor b, Tensor c) {
        if (a.rank() != 2 || b.rank() != 2 || c.rank() != 2) {
            throw new IllegalArgumentException("matmul takes 2-D tensors: " + a + " · " + b + " -> " + c);
        }
        int m = Math.toIntExact(a.shape(0)), k = Math.toIntExact(a.shape(1)), n = Math.toIntExact(b.shape(1));
        if (b.shape(0) != k || c.shape(0) != m || c.shape(1) != n) {
            throw new IllegalArgumentException("matmul shapes: " + a + " · " + b + " -> " + c);
        }
        return new MatmulLaunch(a, b, c, m, n, k);
    }

    /** Output tiles of a [bm, bn] blocking. */
    long tiles(int bm, int bn) { return (long) cdiv(m, bm) * cdiv(n, bn); }

    /** The f32 partial values a blocking needs in the split-K workspace (none without a split). */
    long partialFloats(int bm, int bn, int split) { return split == 1 ? 0 : tiles(bm, bn) * split * bm * bn; }

    /** Checks that a split can be run: its partial tiles are f32, which holds float products only. */
    void requireSplittable(int split) {
        if (split > 1 && !a.dtype().isFloat()) {
            throw new IllegalArgumentException("matmul SPLIT=" + split + " takes float operands, not " + a.dtype()
                    + " (its partial tiles are f32)");
        }
    }

    /** a, b, c, M, N, K, the six strides, and the split-K workspace. */
    Object[] args(Tensor partials, Tensor arrivals) {
        return new Object[] {a, b, c, m, n, k, (int) a.stride(0), (int) a.stride(1), (int) b.stride(0), (int) b.stride(1),
                (int) c.stride(0), (int) c.stride(1), partials, arrivals};
    }

    /**
     * The grid, as a {@link dev.tessera.runtime.Grid}: one program per [BM, BN] tile of c and per
     * slice of its K steps; a split the workspace was not made for is refused.
     */
    int[] grid(Map<String, Object> meta, Tensor partials, Tensor arrivals) {
        int bm = (int) meta.get("BM"), bn = (int) meta.get("BN"), split = (int) meta.get("SPLIT");
        requireSplittable(split);
        long tiles = tiles(bm, bn);
        if (split > 1 && (partialFloats(bm, bn, split) > partials.numel() || tiles > arrivals.numel())) {
            throw new IllegalArgumentException("matmul " + meta + " needs " + partialFloats(bm, bn, split)
                    + " partial values, the workspace holds " + partials.numel());
        }
        return new int[] {Math.toIntExact(tiles), split};
    }

    /** The constexprs the tuner leaves alone: f32 operands use tf32 unless {@code ieee}. */
    static Map<String, Object> precision(boolean ieee) { return Map.of("IEEE", ieee); }

    /** Every constexpr of a launch with a fixed blocking. */
    static Map<String, Object> constexprs(MatmulConfig cfg, boolean ieee) {
        return Map.of("BM", cfg.bm(), "BN", cfg.bn(), "BK", cfg.bk(), "GROUP", cfg.group(), "SPLIT", cfg.split(), "IEEE", ieee);
    }
}
