package dev.tessera.cuda.codegen.layout;

import dev.tessera.ir.Shape;

/** The layouts code generation chooses: default, coalesced for memory, for dot results and for scans. */
public final class Layouts {
    private Layouts() {}

    /**
     * A blocked layout for {@code shape} with the given elements per thread: lanes and warps go to
     * the fastest dimensions first, as many as the tile can use, and whatever is left to the slowest
     * (Triton's rule, so that layouts agree with its intuition).
     */
    public static Blocked blocked(Shape shape, int[] sizePerThread, int[] order, int numWarps) {
        int rank = shape.rank();
        int[] tpw = new int[rank], wpc = new int[rank];
        int remainingLanes = DistributedLayout.LANES, remainingWarps = numWarps, remainingThreads = DistributedLayout.LANES * numWarps;
        int prevLanes = 1, prevWarps = 1;
        for (int i = 0; i < rank - 1; i++) {
            int d = order[i];
            int threads = clamp(remainingThreads, 1, Math.max(1, shape.dim(d) / sizePerThread[d]));
            tpw[d] = clamp(threads, 1, remainingLanes);
            wpc[d] = clamp(threads / tpw[d], 1, remainingWarps);
            remainingWarps /= wpc[d];
            remainingLanes /= tpw[d];
            remainingThreads /= threads;
            prevLanes *= tpw[d];
            prevWarps *= wpc[d];
        }
        tpw[order[rank - 1]] = DistributedLayout.LANES / prevLanes;
        wpc[order[rank - 1]] = numWarps / prevWarps;
        return new Blocked(sizePerThread, tpw, wpc, order);
    }

    private static int clamp(int v, int lo, int hi) { return Math.max(lo, Math.min(hi, v)); }

    /** Row-major order: the last dimension fastest. */
    public static int[] rowMajor(int rank) {
        int[] order = new int[rank];
        for (int i = 0; i < rank; i++) order[i] = rank - 1 - i;
        return order;
    }

    /** One element per thread along every dimension, row-major. */
    public static DistributedLayout defaultLayout(Shape shape, int numWarps) {
        if (shape.isScalar()) return DistributedLayout.scalar(numWarps);
        int[] spt = new int[shape.rank()];
        java.util.Arrays.fill(spt, 1);
        return blocked(shape, spt, rowMajor(shape.rank()), numWarps).linear(shape);
    }

    /**
     * For a memory access: {@code vector} consecutive elements per thread along {@code order[0]}
     * (one 128-bit access when the elements allow), but never more than the thread's share of the tile.
     */
    public static DistributedLayout coalesced(Shape shape, int[] order, int vector, int numWarps) {
        if (shape.isScalar()) return DistributedLayout.scalar(numWarps);
        int threads = DistributedLayout.LANES * numWarps;
        int perThread = Math.max(1, Math.min(vector, shape.numel() / threads));
        int[] spt = new int[shape.rank()];
        java.util.Arrays.fill(spt, 1);
        spt[order[0]] = Math.min(perThread, shape.dim(order[0]));
        return blocked(shape, spt, order, numWarps).linear(shape);
    }

    /**
     * For a dot's result computed with FMAs: each thread owns a rectangle of the result (rows from
     * A, columns from B read once per k step), eight lanes down and four across a warp.
     */
    public static DistributedLayout dot(int m, int n, int numWarps) {
        int wm = numWarps, wn = 1;
        while (wm > 1 && m / (wm * 8) < n / (wn * 4)) {
            wm /= 2;
            wn *= 2;
        }
        int sm = Math.max(1, m / (8 * wm)), sn = Math.max(1, n / (4 * wn));
        return new Blocked(new int[] {sm, sn}, new int[] {8, 4}, new int[] {wm, wn}, new int[] {1, 0}).linear(Shape.of(m, n));
    }

    /**
     * For a scan along {@code axis}: the axis fastest, and split over registers, then lanes, then
     * warps in that order with no repetition, so that a thread's run, a warp's run and the
     * program's run follow one another along the axis.
     */
    public static DistributedLayout scan(Shape shape, int axis, int numWarps) {
        int rank = shape.rank();
        int[] order = new int[rank];
        order[0] = axis;
        for (int i = 1, d = rank - 1; i < rank; d--) if (d != axis) order[i++] = d;
        int[] spt = new int[rank];
        java.util.Arrays.fill(spt, 1);
        spt[axis] = Math.max(1, shape.dim(axis) / (DistributedLayout.LANES * numWarps));
        return blocked(shape, spt, order, numWarps).linear(shape);
    }
}
