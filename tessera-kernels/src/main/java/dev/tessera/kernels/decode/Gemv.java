package dev.tessera.kernels.decode;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.autotune.Autotuner;
import dev.tessera.autotune.Config;
import dev.tessera.kernels.matmul.Matmul;
import dev.tessera.kernels.matmul.Matmul.Epilogue;
import dev.tessera.kernels.matmul.MatmulConfig;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * y = W·x (+ bias) (+ residual) for W row-major [M, K] and 1 to 16 tokens x [T, K], y [T, M]: the
 * projections of a decoding step. Each program owns BM rows of W and streams them once, in BK
 * columns at a time, for all T tokens (the tokens are unrolled at trace time, so the weights,
 * which dominate the traffic, are read once however many tokens there are).
 */
public final class Gemv {
    private Gemv() {}

    /** The most tokens one launch takes (each is unrolled into the kernel). */
    public static final int MAX_TOKENS = 16;

    @Kernel
    static void gemv(Tile w, Tile x, Tile y, Tile bias, Tile residual, Tile m, Tile k, Tile xStride, Tile yStride,
                     @Constexpr int T, @Constexpr int BM, @Constexpr int BK, @Constexpr boolean HAS_BIAS, @Constexpr boolean HAS_RESIDUAL) {
        Tile rows = programId(0).mul(BM).add(arange(0, BM)).to(I64);
        Tile rowMask = rows.lt(m);
        Tile cols = arange(0, BK);
        // up to two tokens keep a product per element and reduce once at the end (the fewest
        // instructions); more reduce each step's products to a row sum, since T tile-wide f32
        // accumulators spill (16 tokens at 16x256 were 512 registers a thread: 78 GB/s on an H200)
        boolean perStep = T > 2;
        Var[] acc = new Var[T];
        for (int t = 0; t < T; t++) acc[t] = var(perStep ? zeros(F32, BM) : zeros(F32, BM, BK));
        for (Tile k0 : range(0, k, BK)) {
            Tile ks = cols.add(k0);
            Tile kMask = ks.lt(k);
            Tile wTile = load(w.add(rows.col().mul(k).add(ks.row())), rowMask.col().and(kMask.row()), 0.0).to(F32);
            for (int t = 0; t < T; t++) {
                Tile xs = load(x.add(xStride.mul(t)).add(ks), kMask, 0.0).to(F32);
                Tile products = wTile.mul(xs.row());
                acc[t].set(acc[t].get().add(perStep ? sum(products, 1) : products));
            }
        }
        Tile extra = zeros(F32, BM);
        if (HAS_BIAS) extra = load(bias.add(rows), rowMask, 0.0).to(F32);
        for (int t = 0; t < T; t++) {
            Tile out = (perStep ? acc[t].get() : sum(acc[t].get(), 1)).add(extra);
            if (HAS_RESIDUAL) out = out.add(load(residual.add(yStride.mul(t)).add(rows), rowMask, 0.0).to(F32));
            store(y.add(yStride.mul(t)).add(rows), out, rowMask);
        }
    }

    public static final JitKernel KERNEL = Jit.kernel(Gemv.class, "gemv");

    /** y = W·x for W [M, K] and x [K] → y [M], or x [T, K] → y [T, M] with 1 ≤ T ≤ 16. */
    public static void gemv(Tensor w, Tensor x, Tensor y) { gemv(w, x, null, null, y); }

    /**
     * y = W·x + bias + residual; {@code bias} [M] and {@code residual} (shaped as y; it may be y
     * itself, for an in-place residual add) may each be null. Rows of x and y must be contiguous.
     */
    public static void gemv(Tensor w, Tensor x, Tensor bias, Tensor residual, Tensor y) {
        Object[] args = args(w, x, bias, residual, y);
        if (runsAsMatmul(w, x, bias, residual, y)) {
            asMatmul(w, x, residual, y, false);
            return;
        }
        boolean gpu = !w.device().backend().equals("cpu");
        // GPUs: 16 rows of 256 columns per program (4 warps) keeps enough loads in flight; the CPU
        // wants fewer, longer programs, each a fixed cost
        int bm = gpu ? 16 : 32, bk = gpu ? 256 : 512;
        KERNEL.withOptions(4, 1).launch(grid(cdiv(Math.toIntExact(w.shape(0)), bm)), args,
                Map.of("T", tokens(x), "BM", bm, "BK", bk, "HAS_BIAS", bias != null, "HAS_RESIDUAL", residual != null));
    }

    /** y = W·x with the blocking {@link #TUNER} picks for these shapes (tuning on them if their key is new). */
    public static void tuned(Tensor w, Tensor x, Tensor y) { tuned(TUNER, w, x, null, null, y); }

    /** As {@link #gemv(Tensor, Tensor, Tensor, Tensor, Tensor)} with the blocking {@code tuner} (of {@link #KERNEL}) picks. */
    public static void tuned(Autotuner tuner, Tensor w, Tensor x, Tensor bias, Tensor residual, Tensor y) {
        Object[] args = args(w, x, bias, residual, y);
        if (runsAsMatmul(w, x, bias, residual, y)) {
            asMatmul(w, x, residual, y, true);
            return;
        }
        int m = Math.toIntExact(w.shape(0));
        tuner.launch(meta -> new int[] {cdiv(m, (int) meta.get("BM"))}, args,
                Map.of("T", tokens(x), "HAS_BIAS", bias != null, "HAS_RESIDUAL", residual != null));
    }

    /**
     * Candidate blockings: BM rows of BK columns per program on 4 or 8 warps, the GEMV search space
     * of Triton users (few rows, long column steps), with at most 64 f32 accumulators a thread.
     */
    public static final List<Config> CONFIGS = configs();

    private static List<Config> configs() {
        List<Config> cs = new ArrayList<>();
        for (int bm : new int[] {4, 8, 16, 32, 64}) {
            for (int bk : new int[] {128, 256, 512, 1024}) {
                for (int warps : new int[] {4, 8}) {
                    if (bm * bk / (32 * warps) <= 64 && bm * bk >= 32 * warps) cs.add(Config.of("BM", bm, "BK", bk).warps(warps).stages(1));
                }
            }
        }
        return List.copyOf(cs);
    }

    /** The autotuner: keyed by the dtypes, the matrix's shape and the tokens. */
    public static final Autotuner TUNER = Autotuner.builder(KERNEL).configs(CONFIGS).key("m", "k", "T").build();

    private static int tokens(Tensor x) { return x.rank() == 1 ? 1 : Math.toIntExact(x.shape(0)); }

    /**
     * The fewest tokens whose 16-bit GEMV a GPU runs as the matmul x·Wᵀ on its tensor cores (with a
     * residual in place as the accumulating epilogue): from 3 tokens the CUDA cores' per-token
     * multiply-and-sum is the limit, not the weights' bytes (H200, bf16, this kernel tuned: 8 × 4096²
     * 458 GB/s and 16 × 128256 × 4096 335 GB/s, where cuBLAS reads the weights at 1790 and 4020).
     */
    static final int TENSOR_CORE_TOKENS = 3;

    /** y = x·Wᵀ (+ y when {@code residual} is given: it is y) on the tensor cores, with the default or the tuned blocking. */
    private static void asMatmul(Tensor w, Tensor x, Tensor residual, Tensor y, boolean tuned) {
        try (Tensor wt = w.transpose(0, 1)) {   // a view: closed here, so that it holds W's memory no longer than the call
            if (residual != null && tuned) Matmul.fusedTuned(x, wt, y, Epilogue.accumulating(), true);
            else if (residual != null) Matmul.fused(x, wt, y, Epilogue.accumulating(), MatmulConfig.DEFAULT, true);
            else if (tuned) Matmul.tuned(x, wt, y, true);
            else Matmul.matmul(x, wt, y, MatmulConfig.DEFAULT, true);
        }
    }

    /** Whether these operands go to the matmul x·Wᵀ (see {@link #TENSOR_CORE_TOKENS}): f16/bf16 on a GPU, 3 tokens or more, no bias, a residual only in place. */
    public static boolean runsAsMatmul(Tensor w, Tensor x, Tensor bias, Tensor residual, Tensor y) {
        boolean halfs = (w.dtype() == DType.BF16 || w.dtype() == DType.F16) && x.dtype() == w.dtype();
        return !w.device().backend().equals("cpu") && tokens(x) >= TENSOR_CORE_TOKENS && halfs && bias == null && (residual == null || residual == y);
    }

    /** Checks the operands and lays out the run-time arguments in the kernel's order. */
    private static Object[] args(Tensor w, Tensor x, Tensor bias, Tensor residual, Tensor y) {
        if (w.rank() != 2 || !w.isContiguous()) throw new IllegalArgumentException("W must be a contiguous [M, K] matrix, not " + w);
        long m = w.shape(0), k = w.shape(1);
        int tokens = tokens(x);
        if (x.shape(-1) != k || x.stride(-1) != 1 || x.rank() > 2) throw new IllegalArgumentException("x must be [K] or [T, K] with K = " + k + " and contiguous rows, not " + x);
        if (y.shape(-1) != m || y.stride(-1) != 1 || y.rank() != x.rank() || (y.rank() == 2 && y.shape(0) != tokens)) {
            throw new IllegalArgumentException("y must be [" + (x.rank() == 2 ? tokens + ", " : "") + m + "] with contiguous rows, not " + y);
        }
        if (tokens < 1 || tokens > MAX_TOKENS) throw new IllegalArgumentException("a GEMV takes 1 to " + MAX_TOKENS + " tokens, not " + tokens + "; use a matmul");
        if (bias != null && (bias.numel() != m || !bias.isContiguous())) throw new IllegalArgumentException("bias must be a contiguous [" + m + "], not " + bias);
        if (residual != null && (!java.util.Arrays.equals(residual.shape(), y.shape()) || !java.util.Arrays.equals(residual.strides(), y.strides()))) {
            throw new IllegalArgumentException("the residual must have y's shape and strides, not " + residual);
        }
        long xStride = x.rank() == 2 ? x.stride(0) : k, yStride = y.rank() == 2 ? y.stride(0) : m;
        return new Object[] {w, x, y, bias != null ? bias : y, residual != null ? residual : y, m, k, xStride, yStride};
    }
}
