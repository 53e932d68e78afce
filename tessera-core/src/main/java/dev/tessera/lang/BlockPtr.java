package dev.tessera.lang;

import static dev.tessera.lang.TL.*;

import dev.tessera.semantic.TraceContext;
import dev.tessera.semantic.TraceException;
import java.util.Arrays;

/**
 * A block pointer (Triton's {@code make_block_ptr}): a [block] window into a strided n-d tensor,
 * described by the tensor's base pointer, shape and strides, the window's offsets and the block's
 * shape. Loads and stores through it check the tensor's bounds on the dimensions asked for.
 * {@link #advance} moves the window; the offsets live in {@link Var}s, so advancing inside a
 * {@code range} loop carries the window from one iteration to the next.
 *
 * <pre>{@code
 * BlockPtr a = blockPtr(aBase).shape(M, K).strides(sam, sak).offsets(pm.mul(BM), 0).block(BM, BK);
 * for (Tile k : range(0, cdiv(K, BK))) {
 *     acc.set(dot(load(a, 0, 1), load(b, 0, 1), acc.get()));
 *     a.advance(0, BK);
 *     b.advance(BK, 0);
 * }
 * }</pre>
 */
public final class BlockPtr {
    private final Tile base;
    private Tile[] shape, strides;
    private Var[] offsets;
    private int[] block;

    BlockPtr(Tile base) {
        if (!base.isPointer() || base.rank() != 0) {
            throw new TraceException(TraceContext.current().loc(), "a block pointer starts from a scalar pointer, got " + base);
        }
        this.base = base;
    }

    /** The tensor's extent in each dimension (Tiles or Java integers). */
    public BlockPtr shape(Object... dims) {
        shape = tiles(dims);
        return this;
    }

    /** The tensor's stride in elements in each dimension. */
    public BlockPtr strides(Object... dims) {
        strides = tiles(dims);
        return this;
    }

    /** Where the window starts in each dimension. */
    public BlockPtr offsets(Object... dims) {
        Tile[] t = tiles(dims);
        offsets = new Var[t.length];
        for (int d = 0; d < t.length; d++) offsets[d] = var(t[d].to(I32));
        return this;
    }

    /** The window's shape (powers of 2). */
    public BlockPtr block(int... dims) {
        block = dims.clone();
        check();
        return this;
    }

    /** Moves the window by the given number of elements in each dimension. */
    public BlockPtr advance(Object... deltas) {
        Tile[] t = tiles(deltas);
        check(t.length, "advance");
        for (int d = 0; d < t.length; d++) offsets[d].set(offsets[d].get().add(t[d]).to(I32));
        return this;
    }

    /** The window's pointers, and the mask of elements inside the tensor along {@code checked}. */
    Tile[] pointersAndMask(int... checked) {
        check();
        int rank = block.length;
        Tile ptr = base;
        Tile mask = null;
        for (int d = 0; d < rank; d++) {
            Tile idx = offsets[d].get().add(arange(0, block[d]));
            for (int before = 0; before < d; before++) idx = idx.expandDims(0);
            for (int after = d + 1; after < rank; after++) idx = idx.expandDims(-1);
            ptr = ptr.add(idx.to(I64).mul(strides[d].to(I64)));
            final int dim = d;
            if (Arrays.stream(checked).anyMatch(c -> c == dim)) {
                Tile inside = idx.ge(0).and(idx.lt(shape[d]));
                mask = mask == null ? inside : mask.and(inside);
            }
        }
        for (int c : checked) {
            if (c < 0 || c >= rank) throw error("boundary check dimension " + c + " is out of range for a rank-" + rank + " block");
        }
        if (mask != null && !Arrays.equals(mask.shape(), block)) mask = mask.broadcastTo(block);
        return new Tile[] {ptr.broadcastTo(block), mask};
    }

    private void check() {
        if (shape == null || strides == null || offsets == null || block == null) {
            throw error("a block pointer needs shape(...), strides(...), offsets(...) and block(...)");
        }
        check(shape.length, "shape");
        check(strides.length, "strides");
        check(offsets.length, "offsets");
    }

    private void check(int n, String what) {
        if (block != null && n != block.length) {
            throw error(what + " has " + n + " dimensions but the block has " + block.length);
        }
    }

    private static Tile[] tiles(Object... dims) {
        Tile[] t = new Tile[dims.length];
        for (int i = 0; i < dims.length; i++) {
            t[i] = switch (dims[i]) {
                case Tile x -> x;
                case Integer v -> scalar(v);
                case Long v -> scalar(v);
                default -> throw error("block pointer dimensions are Tiles or Java integers, got " + dims[i]);
            };
            if (t[i].rank() != 0 || t[i].isPointer() || !t[i].dtype().isInteger()) {
                throw error("block pointer dimensions must be integer scalars, got " + t[i]);
            }
        }
        return t;
    }

    private static TraceException error(String message) { return new TraceException(TraceContext.current().loc(), message); }
}
