package dev.tessera.kernels.decode;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;

/**
 * One layer's key/value cache: rows [maxSeq, kvHeads · headDim] for keys and for values; a step
 * appends the new token's key and value at its position (converted to the cache's dtype).
 */
public final class KvCache {
    private KvCache() {}

    @Kernel
    static void append(Tile k, Tile v, Tile kCache, Tile vCache, Tile pos, Tile rowStride, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        Tile row = pos.to(I64).mul(rowStride);
        store(kCache.add(row).add(offs), load(k.add(offs), mask), mask);
        store(vCache.add(row).add(offs), load(v.add(offs), mask), mask);
    }

    public static final JitKernel KERNEL = Jit.kernel(KvCache.class, "append");

    /** Writes k and v (contiguous, kvHeads · headDim elements each) into row {@code pos} of the caches. */
    public static void append(Tensor k, Tensor v, Tensor kCache, Tensor vCache, int pos) {
        long width = kCache.shape(-1);
        if (kCache.rank() != 2 || kCache.stride(1) != 1 || !java.util.Arrays.equals(kCache.shape(), vCache.shape())
                || !java.util.Arrays.equals(kCache.strides(), vCache.strides())) {
            throw new IllegalArgumentException("the caches must be two [maxSeq, width] tensors with contiguous rows, alike: " + kCache + ", " + vCache);
        }
        if (k.numel() != width || v.numel() != width || !k.isContiguous() || !v.isContiguous()) {
            throw new IllegalArgumentException("k and v must be contiguous with " + width + " elements: " + k + ", " + v);
        }
        if (pos < 0 || pos >= kCache.shape(0)) throw new IndexOutOfBoundsException("position " + pos + " outside a cache of " + kCache.shape(0) + " rows");
        int n = Math.toIntExact(width), block = Math.min(4096, Math.max(16, nextPowerOf2(n)));
        KERNEL.launch(grid(cdiv(n, block)), k, v, kCache, vCache, pos, kCache.stride(0), n, block);
    }
}
