package dev.tessera.cuda.codegen.layout;

import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;

/**
 * A 2-D tile in shared memory as the tensor cores read it ({@code ldmatrix}, or {@code wgmma}
 * through a matrix descriptor: see {@link #canonical}), byte-addressed: for {@code ldmatrix} the
 * closed form of {@link SharedLayout#forTensorCoreOperand} (see {@link #layout()}) that code
 * generation computes with bit operations. {@code rows} rows of {@code rowBytes} bytes (the
 * tile's contiguous dimension) cut into 16-byte chunks whose index is XORed with the row's phase,
 * {@code (row / perPhase) % maxPhase}. The phase changes every 128 bytes of rows, so the eight
 * rows one 8×8 matrix of {@code ldmatrix} reads (one chunk of eight consecutive rows) and the
 * chunks eight lanes store at once fall in eight different groups of banks: conflict-free both ways.
 *
 * <p>The byte offset of (row, col) is linear over GF(2) in the bits of row and col (rows are a
 * power of two bytes, the phase is a bit field of the row, the chunk is XORed): so the offset of a
 * coordinate that is a thread's part XOR a register's constant part is the thread's offset XOR
 * the constant's, which is how code generation addresses it. The phase repeats every
 * {@code perPhase × maxPhase ≤ 8} rows, so moving by a multiple of 8 rows is a plain addition.
 */
public record SwizzledTile(int rows, int rowBytes, int elementBytes, int perPhase, int maxPhase, int atomBytes, int alignment) {
    public static final int CHUNK = 16;

    /** The tile {@code ldmatrix} reads: whole rows one after another, the base on 128 bytes. */
    public static SwizzledTile of(int rows, int cols, int elementBytes) {
        int rowBytes = cols * elementBytes;
        int perPhase = Math.max(1, 128 / rowBytes), maxPhase = Math.max(1, Math.min(8, rowBytes / CHUNK));
        return new SwizzledTile(rows, rowBytes, elementBytes, perPhase, maxPhase, rowBytes, 128);
    }

    /**
     * Hopper's canonical layout that {@code wgmma} reads through a matrix descriptor with the
     * 128-, 64- or 32-byte swizzle (the row's width up to 128 bytes, at least 32): rows wider than
     * 128 bytes are cut into atoms of 128 bytes, and the atoms of all rows (the tile's first 128
     * bytes of every row, then the next 128, ...) lie one after another, so that eight rows of an
     * atom are 8 × atomBytes contiguous bytes; the base is aligned to that pattern (1024 bytes for
     * the 128-byte swizzle), where the hardware's XOR of address bits matches the tile's.
     */
    public static SwizzledTile canonical(int rows, int cols, int elementBytes) {
        int rowBytes = cols * elementBytes, atomBytes = Math.min(128, rowBytes);
        if (atomBytes < 32) throw new IllegalArgumentException("no wgmma swizzle for rows of " + rowBytes + " bytes");
        return new SwizzledTile(rows, rowBytes, elementBytes, 128 / atomBytes, atomBytes / CHUNK, atomBytes, 8 * atomBytes);
    }

    /**
     * A block as the copy unit writes it with no swizzle, for ops that read it into registers (not
     * the tensor cores): rows one after another, the base on 128 bytes (a TMA box's alignment).
     */
    public static SwizzledTile rowMajor(int rows, int cols, int elementBytes) {
        int rowBytes = cols * elementBytes;
        return new SwizzledTile(rows, rowBytes, elementBytes, 1, 1, rowBytes, 128);
    }

    /** Whether chunks are XORed with a row's phase (a {@link #rowMajor} tile's are not). */
    public boolean swizzled() { return maxPhase > 1; }

    public int bytes() { return rows * rowBytes; }

    /** The same tile as a shared layout (offset in elements to (row, col)), whose closed form this is; for {@code ldmatrix} tiles. */
    public SharedLayout layout() {
        if (atomBytes != rowBytes) throw new IllegalStateException("a tile cut into atoms has no SharedLayout form: " + this);
        return SharedLayout.forTensorCoreOperand(dev.tessera.ir.Shape.of(rows, rowBytes / elementBytes), new int[] {1, 0}, elementBytes);
    }

    /** The byte offset of element (row, col). */
    public int offset(int row, int col) {
        int colBytes = col * elementBytes, inAtom = colBytes % atomBytes;
        int chunk = (inAtom / CHUNK) ^ (row / perPhase % maxPhase);
        return colBytes / atomBytes * rows * atomBytes + row * atomBytes + chunk * CHUNK + inAtom % CHUNK;
    }

    /** The byte offset of (row, col) given as registers, computed with bit operations; returns a register. */
    public String offset(PtxWriter w, String row, String col) {
        int eShift = DistributedLayout.log2(elementBytes), aShift = DistributedLayout.log2(atomBytes);
        String colBytes = w.reg(RegClass.B32), out = w.reg(RegClass.B32);
        w.op("shl.b32 %s, %s, %d", colBytes, col, eShift);
        w.op("shl.b32 %s, %s, %d", out, row, aShift);
        if (atomBytes != rowBytes) {
            // the atom's index moves from above the row's bits to above the tile's rows
            String atom = w.reg(RegClass.B32);
            w.op("shr.u32 %s, %s, %d", atom, colBytes, aShift);
            w.op("shl.b32 %s, %s, %d", atom, atom, DistributedLayout.log2(rows) + aShift);
            w.op("and.b32 %s, %s, %d", colBytes, colBytes, atomBytes - 1);
            w.op("or.b32 %s, %s, %s", out, out, atom);
        }
        w.op("or.b32 %s, %s, %s", out, out, colBytes);
        if (maxPhase > 1) {
            String phase = w.reg(RegClass.B32);
            w.op("bfe.u32 %s, %s, %d, %d", phase, row, DistributedLayout.log2(perPhase), DistributedLayout.log2(maxPhase));
            w.op("shl.b32 %s, %s, 4", phase, phase);
            w.op("xor.b32 %s, %s, %s", out, out, phase);
        }
        return out;
    }
}
