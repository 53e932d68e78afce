package dev.tessera.kernels.activation;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.autotune.Autotuner;
import dev.tessera.autotune.Config;
import dev.tessera.autotune.Heuristics;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Row-wise softmax, fused: each program reads its row once, keeps it in registers, and writes the
 * result once — one read and one write of the tensor instead of the five passes of the naive
 * formulation. Rows are computed in f32 whatever the storage dtype.
 *
 * <p>e^x is computed as 2^(x log2 e), as Triton's {@code tl.exp} compiles it and as flash
 * attention kernels write it: one multiply and the hardware's exp2, where Tessera's {@code exp}
 * also corrects for the rounding of x log2 e (about 2.6e-6 relative at x = -88, which rounds
 * away in every storage type but f32, and there stays within softmax's tolerance).
 */
public final class Softmax {
    private Softmax() {}

    /** log2(e), rounded to f32 by the multiply. */
    static final double LOG2_E = 1.4426950408889634;

    @Kernel
    static void softmax(Tile x, Tile out, Tile rowStride, Tile n, @Constexpr int BLOCK) {
        Tile row = programId(0).to(I64);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile v = load(x.add(row.mul(rowStride)).add(cols), mask, Double.NEGATIVE_INFINITY).to(F32);
        Tile e = exp2(v.sub(max(v, 0)).mul(LOG2_E));
        store(out.add(row.mul(rowStride)).add(cols), e.div(sum(e, 0)), mask);
    }

    public static final JitKernel KERNEL = Jit.kernel(Softmax.class, "softmax");

    /** Softmax over the last dimension of a contiguous 2-D tensor, into out. */
    public static void softmax(Tensor x, Tensor out) {
        int rows = Math.toIntExact(x.shape(0)), n = Math.toIntExact(x.shape(1));
        int block = nextPowerOf2(n);
        int warps = block >= 8192 ? 16 : block >= 2048 ? 8 : 4;
        KERNEL.withOptions(warps, 1).launch(grid(rows), x, out, x.stride(0), n, block);
    }

    public static Tensor softmax(Tensor x) {
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        softmax(x, out);
        return out;
    }

    // ------------------------------------------------------------------ autotuned

    /**
     * The same softmax, ROWS rows per program as one [ROWS, BLOCK] tile: fewer, larger programs
     * for short rows (on a GPU, more rows per block keep the warps busy; on the CPU, less
     * per-program overhead). ROWS and the warps are tuned; BLOCK is the next power of two of n.
     */
    @Kernel
    static void softmaxRows(Tile x, Tile out, Tile rows, Tile rowStride, Tile n, @Constexpr int ROWS, @Constexpr int BLOCK) {
        if (ROWS == 1) {   // trace-time choice: one row is the 1-D kernel above, with no [1, BLOCK] tile
            softmax(x, out, rowStride, n, BLOCK);
            return;
        }
        Tile r = programId(0).to(I64).mul(ROWS).add(arange(0, ROWS).to(I64));
        Tile cols = arange(0, BLOCK);
        Tile mask = r.col().lt(rows).and(cols.row().lt(n));
        Tile offsets = r.col().mul(rowStride).add(cols.row());
        Tile v = load(x.add(offsets), mask, Double.NEGATIVE_INFINITY).to(F32);
        Tile e = exp2(v.sub(max(v, 1).col()).mul(LOG2_E));
        store(out.add(offsets), e.div(sum(e, 1).col()), mask);
    }

    public static final JitKernel ROWS_KERNEL = Jit.kernel(Softmax.class, "softmaxRows");

    /** Largest tile a config may use, in elements (keeps register use sane on a GPU). */
    static final int MAX_TILE = 1 << 16;

    /** ROWS in {1, 2, 4, 8, 16} with 4, 8 or 16 warps (the CPU backend times each ROWS once). */
    public static final List<Config> CONFIGS = configs();

    private static List<Config> configs() {
        List<Config> cs = new ArrayList<>();
        for (int rows : new int[] {1, 2, 4, 8, 16}) {
            for (int warps : new int[] {4, 8, 16}) cs.add(Config.of("ROWS", rows).warps(warps).stages(1));
        }
        return List.copyOf(cs);
    }

    /**
     * The autotuner: keyed by the row count and length (and dtypes); prunes tiles larger than
     * {@link #MAX_TILE} elements and ROWS beyond the row count; BLOCK by heuristic.
     */
    public static final Autotuner TUNER = Autotuner.builder(ROWS_KERNEL)
            .configs(CONFIGS)
            .key("rows", "n")
            .heuristic("BLOCK", a -> Heuristics.nextPowerOf2(a.longValue("n")))
            .prune(Softmax::prune)
            .build();

    static List<Config> prune(List<Config> configs, dev.tessera.autotune.Args a) {
        int block = Heuristics.nextPowerOf2(a.longValue("n"));
        long rows = a.longValue("rows");
        List<Config> kept = configs.stream().filter(c -> {
            int r = c.intValue("ROWS");
            return (r == 1 || r <= rows) && (r == 1 || (long) r * block <= MAX_TILE);
        }).toList();
        return kept.isEmpty() ? configs.stream().filter(c -> c.intValue("ROWS") == 1).toList() : kept;
    }

    /** Softmax over the last dimension of a contiguous 2-D tensor into out, with tuned ROWS and warps. */
    public static void tuned(Tensor x, Tensor out) { tuned(TUNER, x, out); }

    /** As {@link #tuned(Tensor, Tensor)} with another tuner of {@link #ROWS_KERNEL} (e.g. {@code TUNER.toBuilder()...build()}). */
    public static void tuned(Autotuner tuner, Tensor x, Tensor out) {
        int rows = Math.toIntExact(x.shape(0)), n = Math.toIntExact(x.shape(1));
        if (out.shape(0) != rows || out.shape(1) != n || x.stride(0) != out.stride(0)) {
            throw new IllegalArgumentException("softmax: out " + out + " must match x " + x);
        }
        tuner.launch(meta -> new int[] {cdiv(rows, (int) meta.get("ROWS"))}, x, out, rows, x.stride(0), n);
    }

    public static Tensor tuned(Tensor x) {
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        tuned(x, out);
        return out;
    }
}
