package dev.tessera.cuda.codegen.gpu;

import dev.tessera.cuda.codegen.layout.DistributedLayout;
import dev.tessera.ir.Op.Dot;
import dev.tessera.ir.Shape;
import dev.tessera.types.DType;
import java.util.List;

/**
 * The tensor-core instructions code generation uses, as data (as tinygrad keeps its
 * {@code TensorCore} table): one row per {@code mma.sync} shape and operand type, and the layouts
 * that follow from it. Every row has m = 16 and n = 8, and k such that a row of an operand
 * fragment is 32 bytes (16 halves, 8 tf32, 32 bytes), so the fragments of every row share one
 * register pattern and one {@code ldmatrix} addressing: an A fragment is 16 rows by 32 bytes,
 * a B fragment 8 columns by 32 bytes.
 *
 * <p>Hopper's {@code wgmma.mma_async} ({@link Wgmma}, sm_90a) has its own rows: a warpgroup of
 * four warps computes m = 64 rows by n = 8 … 256 columns per instruction, its operands read from
 * shared memory through matrix descriptors; k is again 32 bytes of each operand's row.
 */
public final class TensorCores {
    private TensorCores() {}

    /**
     * One {@code mma.sync.aligned.m16n8kK.row.col} instruction.
     *
     * @param k        the reduction depth of one instruction
     * @param operand  the operands' element type (f32 means tf32: inputs rounded to tf32)
     * @param acc      the accumulator's type
     * @param minSm    the first compute capability that has it
     * @param types    the PTX type suffix: d, a, b, c
     */
    public record Mma(int k, DType operand, DType acc, int minSm, String types) {
        public static final int M = 16, N = 8, ROW_BYTES = 32;

        public String instruction() { return "mma.sync.aligned.m16n8k" + k + ".row.col." + types; }
    }

    public static final List<Mma> MMA = List.of(
            new Mma(16, DType.F16, DType.F32, 80, "f32.f16.f16.f32"),
            new Mma(16, DType.BF16, DType.F32, 80, "f32.bf16.bf16.f32"),
            new Mma(8, DType.F32, DType.F32, 80, "f32.tf32.tf32.f32"),
            new Mma(32, DType.I8, DType.I32, 80, "s32.s8.s8.s32"),
            new Mma(32, DType.U8, DType.I32, 80, "s32.u8.u8.s32"),
            new Mma(32, DType.FP8E4M3, DType.F32, 89, "f32.e4m3.e4m3.f32"),
            new Mma(32, DType.FP8E5M2, DType.F32, 89, "f32.e5m2.e5m2.f32"));

    /**
     * The instruction for {@code dot} on compute capability {@code sm} (with the fp8 conversions
     * when {@code fp8}), or null when it stays on FMAs: f64, f32 at ieee precision, f16
     * accumulating in f16 (the CPU rounds each step to f16, the tensor cores would not), fp8 below
     * sm_89, and a K that is not a multiple of the instruction's.
     */
    public static Mma select(Dot dot, int sm, boolean fp8) {
        DType in = dot.a().type().dtype(), acc = dot.acc().type().dtype();
        if (in == DType.F32 && dot.precision() != Dot.Precision.TF32) return null;
        if (in.isNarrowFloat() && in.bits() == 8 && !fp8) return null;
        for (Mma m : MMA) {
            if (m.operand() == in && m.acc() == acc && sm >= m.minSm()) return dot.a().type().shape().dim(1) % m.k() == 0 ? m : null;
        }
        return null;
    }

    /**
     * How a program's warps split a [m, n] result: {@code wm × wn} warps, each computing
     * {@code repM × repN} instruction tiles (Triton's rule: double the dimension with more
     * instruction tiles per warp left). Warps beyond {@code wm × wn} hold copies.
     */
    public record Tiling(int m, int n, int numWarps, int wm, int wn) {
        public static Tiling of(int m, int n, int numWarps) {
            int wm = 1, wn = 1;
            while (wm * wn < numWarps) {
                boolean canM = m / (Mma.M * wm) >= 2, canN = n / (Mma.N * wn) >= 2;
                if (!canM && !canN) break;
                if (canM && (!canN || m / Mma.M / wm >= n / Mma.N / wn)) wm *= 2;
                else wn *= 2;
            }
            return new Tiling(m, n, numWarps, wm, wn);
        }

        /**
         * Every warp owns whole rows of the result ({@code wn = 1}): the tiling of a dot whose
         * result becomes the A operand of another (attention's P·V after Q·Kᵀ), where each warp's
         * accumulators are then exactly its A fragments, and of that second dot.
         */
        public static Tiling rows(int m, int n, int numWarps) {
            return new Tiling(m, n, numWarps, Math.min(numWarps, m / Mma.M), 1);
        }

        public int repM() { return m / (Mma.M * wm); }

        public int repN() { return n / (Mma.N * wn); }

        /** Rows of the result one warp computes. */
        public int warpRows() { return m / wm; }

        /** Columns of the result one warp computes. */
        public int warpCols() { return n / wn; }

        /**
         * The accumulator's layout: per instruction tile, register bit 0 is column bit 0, lane bits
         * 0-1 columns 1-2, lane bits 2-4 rows 0-2, register bit 1 row 3 (PTX's m16n8 C fragment);
         * then the warp's repetitions along n, then along m, in registers; then warps along n, then m.
         * Register {@code c + 4 * (ni + repN * mi)} is element c of instruction tile (mi, ni).
         */
        public DistributedLayout accumulator() {
            int nShift = 0, mShift = DistributedLayout.log2(n);
            int rn = DistributedLayout.log2(repN()), rm = DistributedLayout.log2(repM());
            int[] reg = new int[2 + rn + rm];
            reg[0] = 1 << nShift;
            reg[1] = 1 << (mShift + 3);
            for (int i = 0; i < rn; i++) reg[2 + i] = 1 << (nShift + 3 + i);
            for (int i = 0; i < rm; i++) reg[2 + rn + i] = 1 << (mShift + 4 + i);
            int[] lane = {1 << (nShift + 1), 1 << (nShift + 2), 1 << mShift, 1 << (mShift + 1), 1 << (mShift + 2)};
            int warpBits = DistributedLayout.log2(numWarps), wnBits = DistributedLayout.log2(wn), wmBits = DistributedLayout.log2(wm);
            int[] warp = new int[warpBits];
            for (int i = 0; i < wnBits; i++) warp[i] = 1 << (nShift + 3 + rn + i);
            for (int i = 0; i < wmBits; i++) warp[wnBits + i] = 1 << (mShift + 4 + rm + i);
            return new DistributedLayout(Shape.of(m, n), reg, lane, warp);
        }
    }

    /**
     * One {@code wgmma.mma_async.sync.aligned.m64nNkK} instruction family (N chosen per dot).
     *
     * @param k            the reduction depth of one instruction (32 bytes of an operand row)
     * @param operand      the operands' element type (f32 means tf32)
     * @param acc          the accumulator's type
     * @param types        the PTX type suffix: d, a, b
     * @param transposable whether an operand may be MN-major (16-bit types only; others are read K-major)
     * @param scaled       whether the instruction takes the immediate scales of A and B (all but the integer ones)
     * @param exactSums    whether products are summed exactly in the accumulator's type (not for fp8:
     *                     on an H200, 24.31445 for 24.30884 at K = 64, about 2^-12 relative, what
     *                     DeepSeek-V3 reports), so that only a dot that allows
     *                     {@link Dot.Precision#FAST_ACCUMULATION} runs on it
     */
    public record Wgmma(int k, DType operand, DType acc, String types, boolean transposable, boolean scaled, boolean exactSums) {
        public static final int M = 64, MAX_N = 256, WARPS = 4;

        public String instruction(int n) { return "wgmma.mma_async.sync.aligned.m64n" + n + "k" + k + "." + types; }

        /**
         * Whether a pipelined copy may put this operand into shared memory as it is in global
         * memory: not for tf32, which the tensor cores would truncate, where Tessera rounds to
         * nearest on every backend (such operands are staged from registers, rounded there).
         */
        public boolean readsRawCopies() { return operand != DType.F32; }
    }

    public static final List<Wgmma> WGMMA = List.of(
            new Wgmma(16, DType.F16, DType.F32, "f32.f16.f16", true, true, true),
            new Wgmma(16, DType.BF16, DType.F32, "f32.bf16.bf16", true, true, true),
            new Wgmma(8, DType.F32, DType.F32, "f32.tf32.tf32", false, true, true),
            new Wgmma(32, DType.I8, DType.I32, "s32.s8.s8", false, false, true),
            new Wgmma(32, DType.U8, DType.I32, "s32.u8.u8", false, false, true),
            new Wgmma(32, DType.FP8E4M3, DType.F32, "f32.e4m3.e4m3", false, true, false),
            new Wgmma(32, DType.FP8E5M2, DType.F32, "f32.e5m2.e5m2", false, true, false));

    /**
     * The warpgroup instruction for {@code dot}, which {@code mma} (the {@code mma.sync} choice)
     * would otherwise run, or null: one that sums inexactly only where the dot allows it.
     */
    public static Wgmma selectWgmma(Dot dot, Mma mma) {
        for (Wgmma w : WGMMA) {
            if (w.operand() == mma.operand() && w.acc() == mma.acc()) {
                return w.exactSums() || dot.precision() == Dot.Precision.FAST_ACCUMULATION ? w : null;
            }
        }
        return null;
    }

    /**
     * How a program's warpgroups split a [m, n] result for {@code wgmma}: {@code gm × gn} groups
     * of four warps (Triton's choice on Hopper: along m first, as far as 64 rows a group allow,
     * then along n), each computing {@code repM × repN} instructions of 64 rows by
     * {@code instrN} columns. Null from {@link #of} when the shape does not fit (fewer than 64
     * rows a group, fewer than 8 columns, or warps that are not whole groups).
     */
    public record WarpGroups(int m, int n, int numWarps, int gm, int gn, int instrN) {
        public static WarpGroups of(int m, int n, int numWarps) {
            if (numWarps % Wgmma.WARPS != 0 || m < Wgmma.M) return null;
            int groups = numWarps / Wgmma.WARPS, gm = Math.min(groups, m / Wgmma.M), gn = groups / gm;
            if (n % (8 * gn) != 0) return null;
            return new WarpGroups(m, n, numWarps, gm, gn, Math.min(Wgmma.MAX_N, n / gn));
        }

        /**
         * Every warpgroup owns whole rows of the result ({@code gn = 1}), or null: the split of a
         * chained dot's pair (see {@link Tiling#rows}), where the first one's accumulators,
         * converted elementwise, are the second one's A fragments in registers.
         */
        public static WarpGroups rows(int m, int n, int numWarps) {
            if (numWarps % Wgmma.WARPS != 0 || m % (Wgmma.M * (numWarps / Wgmma.WARPS)) != 0 || n % 8 != 0) return null;
            return new WarpGroups(m, n, numWarps, numWarps / Wgmma.WARPS, 1, Math.min(Wgmma.MAX_N, n));
        }

        public int repM() { return m / (Wgmma.M * gm); }

        public int repN() { return n / (instrN * gn); }

        /** Rows of the result one warpgroup computes. */
        public int groupRows() { return m / gm; }

        /** Columns of the result one warpgroup computes. */
        public int groupCols() { return n / gn; }

        /** Accumulator registers of one instruction in each thread. */
        public int regsPerInstruction() { return instrN / 2; }

        /**
         * The accumulator's layout, PTX's wgmma D fragment: within an instruction, register bit 0 is
         * column bit 0, lane bits 0-1 columns 1-2, lane bits 2-4 rows 0-2, register bit 1 row 3,
         * the next register bits columns 3 and up (the m16n8 C fragment repeated along n), and
         * warp bits 0-1 rows 4-5 (each warp of a group owns 16 rows); then the group's repetitions
         * along n, then along m, in registers; then groups along n, then m. Register
         * {@code r + regsPerInstruction() * (ni + repN * mi)} is register r of instruction (mi, ni).
         */
        public DistributedLayout accumulator() {
            int mShift = DistributedLayout.log2(n);
            int in = DistributedLayout.log2(instrN / 8), rn = DistributedLayout.log2(repN()), rm = DistributedLayout.log2(repM());
            int[] reg = new int[2 + in + rn + rm];
            reg[0] = 1;
            reg[1] = 1 << (mShift + 3);
            for (int i = 0; i < in + rn; i++) reg[2 + i] = 1 << (3 + i);
            for (int i = 0; i < rm; i++) reg[2 + in + rn + i] = 1 << (mShift + 6 + i);
            int[] lane = {1 << 1, 1 << 2, 1 << mShift, 1 << (mShift + 1), 1 << (mShift + 2)};
            int gnBits = DistributedLayout.log2(gn), gmBits = DistributedLayout.log2(gm);
            int[] warp = new int[2 + gnBits + gmBits];
            warp[0] = 1 << (mShift + 4);
            warp[1] = 1 << (mShift + 5);
            for (int i = 0; i < gnBits; i++) warp[2 + i] = 1 << (DistributedLayout.log2(groupCols()) + i);
            for (int i = 0; i < gmBits; i++) warp[2 + gnBits + i] = 1 << (mShift + DistributedLayout.log2(groupRows()) + i);
            return new DistributedLayout(Shape.of(m, n), reg, lane, warp);
        }
    }

    /** How a dot runs on tensor cores: its instruction and how the warps split its result. */
    public sealed interface Plan {
        DistributedLayout accumulator();
    }

    /** {@code mma.sync} per warp. */
    public record MmaPlan(Mma instr, Tiling tiling) implements Plan {
        @Override
        public DistributedLayout accumulator() { return tiling.accumulator(); }
    }

    /** {@code wgmma.mma_async} per warpgroup. */
    public record WgmmaPlan(Wgmma instr, WarpGroups groups) implements Plan {
        @Override
        public DistributedLayout accumulator() { return groups.accumulator(); }
    }
}
