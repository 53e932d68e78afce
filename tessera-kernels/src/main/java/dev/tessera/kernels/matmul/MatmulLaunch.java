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

    /** a, b, c, M, N, K and the six strides. */
    Object[] args() {
        return new Object[] {a, b, c, m, n, k, (int) a.stride(0), (int) a.stride(1), (int) b.stride(0), (int) b.stride(1),
                (int) c.stride(0), (int) c.stride(1)};
    }

    /** The grid, as a {@link dev.tessera.runtime.Grid}: one program per [BM, BN] tile of c. */
    int[] grid(Map<String, Object> meta) { return new int[] {cdiv(m, (int) meta.get("BM")) * cdiv(n, (int) meta.get("BN"))}; }

    /** The constexprs the tuner leaves alone: f32 operands use tf32 unless {@code ieee}. */
    static Map<String, Object> precision(boolean ieee) { return Map.of("IEEE", ieee); }

    /** Every constexpr of a launch with a fixed blocking. */
    static Map<String, Object> constexprs(MatmulConfig cfg, boolean ieee) {
        return Map.of("BM", cfg.bm(), "BN", cfg.bn(), "BK", cfg.bk(), "GROUP", cfg.group(), "IEEE", ieee);
    }
}
