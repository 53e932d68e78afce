package dev.tessera.cuda.codegen;

/**
 * The program's shared memory: one dynamic array whose first bytes may be reserved for buffers
 * that live across ops (pipelined loops'), the rest scratch that every op needing shared memory
 * (layout conversions, cross-warp reductions, scans, sorts, dot operands) uses from its start,
 * one op after another. Its size is the largest any op asks for. A barrier separates one op's
 * reads from the next op's writes: the array is "dirty" once read, and the next user waits first.
 */
final class SharedMemory {
    static final String SYMBOL = "tessera_smem";
    private final PtxWriter w;
    private int bytes, reserved;
    private boolean dirty;
    private String base, scratch;

    SharedMemory(PtxWriter w) { this.w = w; }

    /** The reserved bytes and the largest scratch size any op asked for. */
    int bytes() { return reserved + bytes; }

    /**
     * Keeps the first {@code n} bytes for buffers that live across ops (a pipelined loop's, see
     * gpu.AllocateShared); scratch starts after them. Called before anything is lowered.
     */
    void reserve(int n) {
        if (scratch != null) throw new IllegalStateException("shared memory reserved after use");
        reserved = (n + 127) & ~127;
    }

    /** Reserves {@code n} bytes of scratch and waits for earlier readers; returns the 32-bit address of the scratch's start. */
    String begin(int n) {
        bytes = Math.max(bytes, (n + 15) & ~15);
        if (dirty) w.op("bar.sync 0");
        dirty = false;
        if (scratch == null) {
            scratch = reserved == 0 ? base() : w.inPrologue(() -> {
                String r = w.reg(RegClass.B32);
                w.op("add.u32 %s, %s, %d", r, base(), reserved);
                return r;
            });
        }
        return scratch;
    }

    /** After writes, before reads by other threads. */
    void sync() { w.op("bar.sync 0"); }

    /** After the reads: the next user must wait. */
    void end() { dirty = true; }

    /** Control flow joins or loops back: assume someone may still be reading. */
    void assumeDirty() { dirty = true; }

    String base() {
        if (base == null) {
            base = w.inPrologue(() -> {
                String r = w.reg(RegClass.B32);
                w.op("mov.u32 %s, %s", r, SYMBOL);
                return r;
            });
        }
        return base;
    }
}
