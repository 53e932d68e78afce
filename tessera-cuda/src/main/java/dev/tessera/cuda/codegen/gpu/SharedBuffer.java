package dev.tessera.cuda.codegen.gpu;

import dev.tessera.cuda.codegen.layout.SwizzledTile;
import dev.tessera.ir.Value;

/**
 * A multi-buffered tile in shared memory that a pipelined loop copies a dot operand into:
 * {@code slots} copies of {@code tile}, one per stage in flight (one, for a loop-invariant
 * operand written before the loop); or a descriptor's block that other ops read, in a
 * {@link SwizzledTile#rowMajor} tile.
 *
 * @param id           its number in the program (for printing)
 * @param value        the tile it holds (a load's result, copied each iteration, or an invariant)
 * @param role         what it holds: the dot's A or B operand, or a block read into registers
 * @param kContiguous  whether the operand's K dimension is the tile's contiguous one (else it is
 *                     read with {@code ldmatrix.trans}); true for a block
 * @param tile         one slot's swizzled layout
 * @param slots        how many slots
 */
public record SharedBuffer(int id, Value value, Role role, boolean kContiguous, SwizzledTile tile, int slots, SharedBuffer storage) {

    /** What a buffer holds. */
    public enum Role { A, B, BLOCK }

    /** A dot operand's buffer: A's when {@code isA}, else B's. */
    public SharedBuffer(int id, Value value, boolean isA, boolean kContiguous, SwizzledTile tile, int slots) {
        this(id, value, isA ? Role.A : Role.B, kContiguous, tile, slots, null);
    }

    /** A block's buffer, its tile row-major. */
    public static SharedBuffer block(int id, Value value, SwizzledTile tile, int slots) { return new SharedBuffer(id, value, Role.BLOCK, true, tile, slots, null); }

    /**
     * This operand read from {@code first}'s slots instead of slots of its own: the same block
     * copied once and read by another dot (or as the other operand) in this buffer's orientation
     * (one tile serves a 16-bit operand K-major and, transposed, MN-major). Placed where
     * {@code first} is.
     */
    public SharedBuffer sharing(SharedBuffer first) { return new SharedBuffer(id, value, role, kContiguous, tile, slots, first); }

    /** The buffer whose slots hold this one's bytes: itself, or the one it shares. */
    public SharedBuffer placed() { return storage == null ? this : storage; }

    public boolean isA() { return role == Role.A; }

    /** Bytes of one slot, rounded up so that every slot starts on the tile's alignment (128 bytes, 1024 for wgmma's 128-byte swizzle). */
    public int slotBytes() { return (tile.bytes() + tile.alignment() - 1) & -tile.alignment(); }

    public int bytes() { return slotBytes() * slots; }

    @Override
    public String toString() {
        if (storage != null) return "%smem" + storage.id + "<" + value.type() + (isA() ? " A" : " B") + (kContiguous ? " k-contiguous" : " mn-contiguous") + ", shared>";
        if (role == Role.BLOCK) return "%smem" + id + "<" + slots + " x " + value.type() + " row-major, " + tile.rowBytes() + "-byte rows>";
        return "%smem" + id + "<" + slots + " x " + value.type() + (isA() ? " A" : " B") + (kContiguous ? " k-contiguous" : " mn-contiguous")
                + ", " + tile.rowBytes() + "-byte rows, swizzle " + tile.perPhase() + "/" + tile.maxPhase() + ">";
    }
}
