package dev.tessera.cuda.codegen.layout;

import dev.tessera.cuda.codegen.PtxWriter;
import dev.tessera.cuda.codegen.RegClass;

/**
 * A 2-D tile in shared memory as the tensor cores' {@code ldmatrix} reads it, byte-addressed: the
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
public record SwizzledTile(int rows, int rowBytes, int elementBytes, int perPhase, int maxPhase) {
    public static final int CHUNK = 16;

    public static SwizzledTile of(int rows, int cols, int elementBytes) {
        int rowBytes = cols * elementBytes;
        int perPhase = Math.max(1, 128 / rowBytes), maxPhase = Math.max(1, Math.min(8, rowBytes / CHUNK));
        return new SwizzledTile(rows, rowBytes, elementBytes, perPhase, maxPhase);
    }

    public int bytes() { return rows * rowBytes; }

    /** The same tile as a shared layout (offset in elements to (row, col)), whose closed form this is. */
    public SharedLayout layout() {
        return SharedLayout.forTensorCoreOperand(dev.tessera.ir.Shape.of(rows, rowBytes / elementBytes), new int[] {1, 0}, elementBytes);
    }

    /** The byte offset of element (row, col). */
    public int offset(int row, int col) {
        int colBytes = col * elementBytes;
        int chunk = (colBytes / CHUNK) ^ (row / perPhase % maxPhase);
        return row * rowBytes + chunk * CHUNK + colBytes % CHUNK;
    }

    /** The byte offset of (row, col) given as registers, computed with bit operations; returns a register. */
    public String offset(PtxWriter w, String row, String col) {
        int eShift = DistributedLayout.log2(elementBytes), rShift = DistributedLayout.log2(rowBytes);
        String colBytes = w.reg(RegClass.B32), out = w.reg(RegClass.B32);
        w.op("shl.b32 %s, %s, %d", colBytes, col, eShift);
        w.op("shl.b32 %s, %s, %d", out, row, rShift);
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
