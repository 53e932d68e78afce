package dev.tessera.cuda.codegen.gpu;

import dev.tessera.cuda.codegen.layout.SwizzledTile;
import dev.tessera.ir.Value;

/**
 * A multi-buffered tile in shared memory that a pipelined loop copies a dot operand into:
 * {@code slots} copies of {@code tile}, one per stage in flight (one, for a loop-invariant
 * operand written before the loop).
 *
 * @param id           its number in the program (for printing)
 * @param value        the tile it holds (a load's result, copied each iteration, or an invariant)
 * @param isA          whether it holds the dot's A operand (else B)
 * @param kContiguous  whether the operand's K dimension is the tile's contiguous one (else it is
 *                     read with {@code ldmatrix.trans})
 * @param tile         one slot's swizzled layout
 * @param slots        how many slots
 */
public record SharedBuffer(int id, Value value, boolean isA, boolean kContiguous, SwizzledTile tile, int slots) {

    /** Bytes of one slot, rounded up so that every slot starts on the tile's alignment (128 bytes, 1024 for wgmma's 128-byte swizzle). */
    public int slotBytes() { return (tile.bytes() + tile.alignment() - 1) & -tile.alignment(); }

    public int bytes() { return slotBytes() * slots; }

    @Override
    public String toString() {
        return "%smem" + id + "<" + slots + " x " + value.type() + (isA ? " A" : " B") + (kContiguous ? " k-contiguous" : " mn-contiguous")
                + ", " + tile.rowBytes() + "-byte rows, swizzle " + tile.perPhase() + "/" + tile.maxPhase() + ">";
    }
}
