package dev.tessera.cuda.codegen;

/**
 * The program's scratch shared memory: one dynamic array that every op needing shared memory
 * (layout conversions, cross-warp reductions, scans, sorts, dot operands) uses from its start,
 * one op after another. Its size is the largest any op asks for. A barrier separates one op's
 * reads from the next op's writes: the array is "dirty" once read, and the next user waits first.
 */
final class SharedMemory {
    static final String SYMBOL = "tessera_smem";
    private final PtxWriter w;
    private int bytes;
    private boolean dirty;
    private String base;

    SharedMemory(PtxWriter w) { this.w = w; }

    /** The largest size any op asked for. */
    int bytes() { return bytes; }

    /** Reserves {@code n} bytes from the start and waits for earlier readers; returns the 32-bit base address. */
    String begin(int n) {
        bytes = Math.max(bytes, (n + 15) & ~15);
        if (dirty) w.op("bar.sync 0");
        dirty = false;
        return base();
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
