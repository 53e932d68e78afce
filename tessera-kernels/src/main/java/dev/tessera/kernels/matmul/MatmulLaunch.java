package dev.tessera.kernels.matmul;

import static dev.tessera.lang.TL.cdiv;

import dev.tessera.runtime.Tensor;
import dev.tessera.runtime.TensorDescriptor;
import dev.tessera.types.DType;
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

    /**
     * a, b, c, p, q, M, N, K, R, the ten strides, α and β: {@link MatmulKernel}'s fused kernel
     * (without a low-rank term p and q are a and b, never read).
     */
    Object[] fusedArgs(Matmul.Epilogue e) {
        DType t = a.dtype();
        if (!t.isFloat()) throw new IllegalArgumentException("a fused matmul takes float operands, not " + t);
        if (b.dtype() != t) throw new IllegalArgumentException("fused matmul operands must share a dtype: " + a + " · " + b);
        Tensor p = e.p() == null ? a : e.p(), q = e.q() == null ? b : e.q();
        int r = 0;
        if (e.p() != null) {
            r = Math.toIntExact(p.shape(1));
            if (p.rank() != 2 || q.rank() != 2 || p.shape(0) != m || q.shape(0) != r || q.shape(1) != n) {
                throw new IllegalArgumentException("the low-rank term must be p [" + m + ", R] · q [R, " + n + "] beside " + a + " · " + b + ", not " + p + " · " + q);
            }
            if (p.dtype() != t || q.dtype() != t) throw new IllegalArgumentException("the low-rank term must be " + t + " as a and b, not " + p + " · " + q);
            if (r < 1 || r > Matmul.Epilogue.MAX_RANK) throw new IllegalArgumentException("the low-rank term's rank must be in [1, " + Matmul.Epilogue.MAX_RANK + "], not " + r);
        }
        return new Object[] {a, b, c, p, q, m, n, k, r, (int) a.stride(0), (int) a.stride(1), (int) b.stride(0), (int) b.stride(1),
                (int) c.stride(0), (int) c.stride(1), (int) p.stride(0), (int) p.stride(1), (int) q.stride(0), (int) q.stride(1),
                (float) e.alpha(), (float) e.beta()};
    }

    /** The fused kernel's constexprs the tuner leaves alone: the low-rank term's padded rank, accumulation and precision. */
    static Map<String, Object> fusedPrecision(Matmul.Epilogue e, boolean ieee) {
        int rank = e.p() == null ? 0 : Math.max(16, dev.tessera.lang.TL.nextPowerOf2((int) e.p().shape(1)));
        // ordered: the tuner's cache key lists them in this map's order
        return new java.util.TreeMap<>(Map.of("RANK", rank, "ACCUMULATE", e.accumulate(), "IEEE", ieee));
    }

    /** Every constexpr of a fused launch with a fixed blocking. */
    static Map<String, Object> fusedConstexprs(MatmulConfig cfg, Matmul.Epilogue e, boolean ieee) {
        Map<String, Object> m = fusedPrecision(e, ieee);
        if (cfg.split() != 1) throw new IllegalArgumentException("a fused matmul is not split along K: " + cfg);
        m.putAll(Map.of("BM", cfg.bm(), "BN", cfg.bn(), "BK", cfg.bk(), "GROUP", cfg.group(), "SPLIT", 1));
        return m;
    }

    /** The grid of the unsplit kernels (fused, through descriptors): one program per [BM, BN] tile of c. */
    int[] tileGrid(Map<String, Object> meta) { return new int[] {Math.toIntExact(tiles((int) meta.get("BM"), (int) meta.get("BN")))}; }

    /** Whether b is Wᵀ of a row-major W [N, K] (strides (1, K)), which the descriptor kernel reads as W. */
    boolean bTransposed() { return b.stride(1) != 1 && b.stride(0) == 1; }

    /**
     * B as the descriptor kernel reads it, a view to close after the launch: b, row-major [K, N],
     * or W [N, K] when b is Wᵀ. The operands must be 16-bit floats of one dtype.
     */
    Tensor descriptorOperandB() {
        if (!sixteenBitFloats()) {
            throw new IllegalArgumentException("a matmul through descriptors takes f16 or bf16 operands of one dtype, not " + a + " · " + b);
        }
        return bTransposed() ? b.transpose(0, 1) : b.slice(0, 0, b.shape(0));   // W, or a view of b itself
    }

    /**
     * Whether the matmul can go through descriptors with its blocks copied in hardware: a device
     * that copies descriptors' blocks (TMA), 16-bit float operands of one dtype, and A and B (as
     * {@link #descriptorOperandB} reads it) keeping a descriptor's rules (rows 16-byte aligned).
     */
    boolean describable() {
        if (!a.device().info().tensorCopies() || !sixteenBitFloats()) return false;
        try (Tensor read = descriptorOperandB()) {
            return TensorDescriptor.of(a, 64, 64).valid() && TensorDescriptor.of(read, 64, 64).valid();
        }
    }

    /** Whether a and b are 16-bit floats of one dtype, as the descriptor kernel takes them. */
    private boolean sixteenBitFloats() { return a.dtype().byteSize() == 2 && a.dtype().isFloat() && b.dtype() == a.dtype(); }

    /** The descriptor kernel's runtime arguments as the tuner is given them: a and B ({@link #descriptorOperandB}) as tensors. */
    Object[] descriptorInputs(Tensor read) { return new Object[] {a, read, c, m, n, k, (int) c.stride(0), (int) c.stride(1)}; }

    /** The persistent descriptor kernel's: {@link #descriptorInputs} and the stream-K workspace. */
    Object[] persistentInputs(Tensor read, Tensor partials, Tensor arrivals) {
        return new Object[] {a, read, c, m, n, k, (int) c.stride(0), (int) c.stride(1), partials, arrivals};
    }

    /** The descriptor kernel's constexprs for a fixed blocking. */
    Map<String, Object> descriptorConstexprs(MatmulConfig cfg) {
        if (cfg.streamK()) throw new IllegalArgumentException("stream-K is the persistent kernel's: " + cfg);
        return Map.of("BM", cfg.bm(), "BN", cfg.bn(), "BK", cfg.bk(), "GROUP", cfg.group(), "B_TRANSPOSED", bTransposed());
    }

    /** The persistent descriptor kernel's constexprs for a fixed blocking. */
    Map<String, Object> persistentConstexprs(MatmulConfig cfg) {
        return Map.of("BM", cfg.bm(), "BN", cfg.bn(), "BK", cfg.bk(), "GROUP", cfg.group(), "B_TRANSPOSED", bTransposed(), "STREAM_K", cfg.streamK());
    }

    /**
     * The persistent kernel's programs: one a multiprocessor, at most one a tile unless stream-K
     * shares K steps out (then every multiprocessor takes a run of them).
     */
    int persistentPrograms(int bm, int bn, boolean streamK) {
        return streamK ? streamKPrograms() : (int) Math.min(tiles(bm, bn), streamKPrograms());
    }

    /** The programs stream-K shares K steps among: one a multiprocessor. */
    int streamKPrograms() { return a.device().info().multiprocessors(); }

    /** The f32 partial values stream-K's {@code programs} write: two tiles a program (the first and the last of its run). */
    static long streamKFloats(int bm, int bn, int programs) { return 2L * programs * bm * bn; }

    /** The arrival counters stream-K on {@code programs} programs needs: one a shared tile, fewer than two waves of them. */
    static long streamKTiles(int programs) { return 2L * programs; }

    /** The constexprs the tuner leaves alone: f32 operands use tf32 unless {@code ieee}. */
    static Map<String, Object> precision(boolean ieee) { return Map.of("IEEE", ieee); }

    /** Every constexpr of a launch with a fixed blocking. */
    static Map<String, Object> constexprs(MatmulConfig cfg, boolean ieee) {
        return Map.of("BM", cfg.bm(), "BN", cfg.bn(), "BK", cfg.bk(), "GROUP", cfg.group(), "SPLIT", cfg.split(), "IEEE", ieee);
    }
}
