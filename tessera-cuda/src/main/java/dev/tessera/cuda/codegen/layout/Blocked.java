package dev.tessera.cuda.codegen.layout;

import dev.tessera.ir.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Triton's blocked layout: each thread holds {@code sizePerThread[d]} consecutive elements along
 * each dimension, the lanes of a warp and the warps of a program tile the rest, and the pattern
 * repeats (more registers) over larger tiles or wraps (replication) over smaller ones.
 * {@code order[0]} is the fastest-varying dimension, the one whose elements are consecutive in a
 * thread's registers and across neighbouring lanes: the contiguous dimension of the memory it meets.
 */
public record Blocked(int[] sizePerThread, int[] threadsPerWarp, int[] warpsPerCTA, int[] order) implements Layout {

    public Blocked {
        int rank = order.length;
        if (sizePerThread.length != rank || threadsPerWarp.length != rank || warpsPerCTA.length != rank) {
            throw new IllegalArgumentException("blocked layout arrays of different ranks");
        }
        if (Arrays.stream(threadsPerWarp).reduce(1, (a, b) -> a * b) != DistributedLayout.LANES) {
            throw new IllegalArgumentException("threadsPerWarp must multiply to 32: " + Arrays.toString(threadsPerWarp));
        }
        sizePerThread = sizePerThread.clone();
        threadsPerWarp = threadsPerWarp.clone();
        warpsPerCTA = warpsPerCTA.clone();
        order = order.clone();
    }

    public int numWarps() { return Arrays.stream(warpsPerCTA).reduce(1, (a, b) -> a * b); }

    @Override
    public DistributedLayout linear(Shape shape) {
        int rank = order.length;
        if (shape.rank() != rank) throw new IllegalArgumentException(this + " applied to " + shape);
        int[] bits = new int[rank], used = new int[rank];
        for (int d = 0; d < rank; d++) bits[d] = DistributedLayout.log2(shape.dim(d));
        List<Integer> reg = new ArrayList<>(), lane = new ArrayList<>(), warp = new ArrayList<>();
        // registers: the elements a thread holds side by side (never more than the tile has)
        for (int d : order) {
            int n = Math.min(DistributedLayout.log2(sizePerThread[d]), bits[d]);
            for (int b = 0; b < n; b++) reg.add(bit(shape, d, used[d]++));
        }
        // lanes, then warps; positions beyond the tile wrap around: those threads hold copies
        for (int d : order) {
            for (int b = 0; b < DistributedLayout.log2(threadsPerWarp[d]); b++) lane.add(used[d] < bits[d] ? bit(shape, d, used[d]++) : 0);
        }
        for (int d : order) {
            for (int b = 0; b < DistributedLayout.log2(warpsPerCTA[d]); b++) warp.add(used[d] < bits[d] ? bit(shape, d, used[d]++) : 0);
        }
        // what is left of each dimension repeats the pattern in more registers
        for (int d : order) {
            while (used[d] < bits[d]) reg.add(bit(shape, d, used[d]++));
        }
        return new DistributedLayout(shape, toArray(reg), toArray(lane), toArray(warp));
    }

    private static int bit(Shape s, int d, int b) { return 1 << (DistributedLayout.dimShift(s, d) + b); }

    private static int[] toArray(List<Integer> l) { return l.stream().mapToInt(Integer::intValue).toArray(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof Blocked b && Arrays.equals(sizePerThread, b.sizePerThread) && Arrays.equals(threadsPerWarp, b.threadsPerWarp)
                && Arrays.equals(warpsPerCTA, b.warpsPerCTA) && Arrays.equals(order, b.order);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sizePerThread) ^ 31 * Arrays.hashCode(threadsPerWarp) ^ 961 * Arrays.hashCode(warpsPerCTA)
                ^ 29791 * Arrays.hashCode(order);
    }

    @Override
    public String toString() {
        return "blocked{spt=" + Arrays.toString(sizePerThread) + ", tpw=" + Arrays.toString(threadsPerWarp) + ", wpc="
                + Arrays.toString(warpsPerCTA) + ", order=" + Arrays.toString(order) + "}";
    }
}
