package dev.tessera.lang;

import static dev.tessera.lang.TL.*;

import dev.tessera.semantic.TraceContext;
import dev.tessera.semantic.TraceException;
import dev.tessera.types.DType;

/**
 * Operations written in the tile language itself, like Triton's standard library: each is a
 * composition of core ops, so every backend runs it. Selection compares against a one-hot
 * dimension and sums integer bit patterns, which moves values exactly (signed zeros and NaN
 * payloads included); its cost grows with the product of the sizes involved, so these suit
 * modest tiles.
 */
final class Composed {
    private Composed() {}

    /**
     * out[p] = src[p with p[axis] replaced by index[p]]: index has src's rank and src's extent in
     * every dimension but {@code axis}; the result has index's shape and src's dtype.
     */
    static Tile gather(Tile src, Tile index, int axis) {
        int rank = src.rank();
        int a = axis < 0 ? axis + rank : axis;
        if (rank == 0 || index.rank() != rank || a < 0 || a >= rank) {
            throw error("gather needs an index of the source's rank " + rank + " and an axis within it, got index "
                    + index + " and axis " + axis);
        }
        if (index.isPointer() || !index.dtype().isInteger()) throw error("gather needs an integer index, got " + index);
        int[] s = src.shape(), ix = index.shape();
        for (int d = 0; d < rank; d++) {
            if (d != a && s[d] != ix[d]) throw error("gather: index " + index + " and source " + src + " differ in dimension " + d);
        }
        int extent = s[a];
        // oneHot[p, e] = index[p] == e, over a new last dimension e of the source's extent along the axis
        Tile positions = arange(0, extent);
        for (int d = 0; d < rank; d++) positions = positions.expandDims(0);
        Tile oneHot = index.expandDims(-1).eq(positions);
        // candidates[p, e] = src[p with p[axis] = e]: the axis moved last, a size-1 dimension in its place
        int[] order = new int[rank];
        for (int d = 0, j = 0; d < rank; d++) if (d != a) order[j++] = d;
        order[rank - 1] = a;
        Tile candidates = src.permute(order).expandDims(a);
        return pick(oneHot, candidates, rank);
    }

    /** The one value per position where the one-hot (over dimension {@code axis}) is set. */
    private static Tile pick(Tile oneHot, Tile candidates, int axis) {
        DType t = candidates.dtype();
        Tile raw = t.isFloat() ? candidates.bitcast(DType.integer(t.bits(), true)) : t.isBool() ? candidates.to(DType.I8) : candidates;
        Tile chosen = sum(where(oneHot, raw, 0L), axis); // one non-zero term: the sum is that term, exactly
        if (t.isBool()) return chosen.ne(0);
        return t.isFloat() ? chosen.to(DType.integer(t.bits(), true)).bitcast(t) : chosen.to(t);
    }

    /** The k largest values along the last dimension, in descending order. */
    static Tile topk(Tile x, int k) {
        int rank = x.rank();
        int n = rank == 0 ? 0 : x.shape()[rank - 1];
        if (Integer.bitCount(k) != 1 || k > n) throw error("topk needs a power-of-2 k of at most " + n + ", got " + k);
        int[] shape = x.shape();
        shape[rank - 1] = k;
        return gather(sort(x, true), indexAlong(arange(0, k), shape, rank - 1), rank - 1);
    }

    /** The elements reversed along {@code axis}. */
    static Tile flip(Tile x, int axis) {
        int rank = x.rank();
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw error("flip axis " + axis + " is out of range for " + x);
        int n = x.shape()[a];
        return gather(x, indexAlong(arange(0, n).neg().add(n - 1), x.shape(), a), a);
    }

    /** a and b interleaved along their last dimension: a0, b0, a1, b1, ... */
    static Tile interleave(Tile a, Tile b) {
        Tile joined = join(a, b);
        int[] s = joined.shape();
        int[] merged = java.util.Arrays.copyOf(s, s.length - 1);
        merged[merged.length - 1] *= 2;
        return joined.reshape(merged);
    }

    /** A 1-D index laid along {@code axis} and broadcast to {@code shape}. */
    private static Tile indexAlong(Tile index1d, int[] shape, int axis) {
        Tile idx = index1d;
        for (int d = 0; d < axis; d++) idx = idx.expandDims(0);
        for (int d = axis + 1; d < shape.length; d++) idx = idx.expandDims(-1);
        return idx.broadcastTo(shape);
    }

    private static TraceException error(String message) { return new TraceException(TraceContext.current().loc(), message); }
}
