package dev.tessera.cuda.codegen;

/**
 * The program's shared memory: one dynamic array (and no static shared memory, which would push
 * it off the window's alignment: see gpu.MBarriers). Its first bytes hold the kernel's mbarriers
 * for the whole kernel ({@link #keep}); above them, bytes may be reserved for buffers that live
 * across ops (pipelined loops'), the rest scratch that every op needing shared memory (layout
 * conversions, cross-warp reductions, scans, sorts, dot operands) uses from its start, one op
 * after another. Its size is the largest any op asks for. A barrier separates one op's reads from
 * the next op's writes: the array is "dirty" once read, and the next user waits first. Offsets
 * count from the array's start, so alignments are the window's.
 */
public final class SharedMemory {
    static final String SYMBOL = "tessera_smem";
    private final PtxWriter w;
    private int bytes, kept, reserved, alignment = 16;
    private boolean dirty;
    private String base;
    /** The barrier of the threads that share scratch: every thread of the block, or only the consumer warps of a specialized kernel. */
    private String barrier = "bar.sync 0";
    private final java.util.Map<Integer, String> scratchBases = new java.util.HashMap<>();

    SharedMemory(PtxWriter w) { this.w = w; }

    /** The most any point of the program uses: reserved buffers plus the scratch used beside them. */
    int bytes() { return bytes; }

    /** The alignment the array must have for the most aligned scratch asked for (16 bytes at least). */
    int alignment() { return alignment; }

    /** Keeps the first {@code n} bytes (the mbarriers', a multiple of 16) for the whole kernel; called before anything is lowered. */
    public void keep(int n) {
        kept = n;
        bytes = Math.max(bytes, n);
    }

    /**
     * Keeps the bytes below offset {@code n} for buffers that live across ops (a pipelined loop's,
     * placed by gpu.AllocateShared above the kept ones) until {@link #release()}; scratch asked for
     * meanwhile starts after them. Waits first if an earlier op may still be reading the scratch the
     * buffers now cover.
     */
    public void reserve(int n) {
        if (dirty) sync();
        dirty = false;
        reserved = (n + 127) & ~127;
        bytes = Math.max(bytes, reserved);
    }

    /** The reserved buffers are dead (their users have waited and passed a barrier): scratch may use their space again. */
    public void release() { reserved = 0; }

    /** The array is to start on {@code alignment} bytes (a power of two) for a kept region placed on it (gpu.AllocateShared's). */
    public void alignTo(int alignment) { this.alignment = Math.max(this.alignment, alignment); }

    /** Reserves {@code n} bytes of scratch and waits for earlier readers; returns the 32-bit address of the scratch's start. */
    public String begin(int n) { return begin(n, 16); }

    /** As {@link #begin(int)}, the scratch's start on {@code alignment} bytes (a power of two; the array is declared on the largest asked for). */
    public String begin(int n, int alignment) {
        this.alignment = Math.max(this.alignment, alignment);
        int at = (Math.max(reserved, kept) + alignment - 1) & -alignment;
        bytes = Math.max(bytes, at + ((n + 15) & ~15));
        if (dirty) sync();
        dirty = false;
        return at(at);
    }

    /** The 32-bit address of the array's byte {@code offset}, a register computed once in the prologue. */
    public String at(int offset) {
        return offset == 0 ? base() : scratchBases.computeIfAbsent(offset, k -> w.inPrologue(() -> {
            String r = w.reg(RegClass.B32);
            w.op("add.u32 %s, %s, %d", r, base(), k);
            return r;
        }));
    }

    /** After writes, before reads by other threads. */
    public void sync() { w.op(barrier); }

    /**
     * From here on only the first {@code threads} threads pass the barriers of {@link #sync()}
     * (barrier 0 with that count): the consumers of a specialized kernel, whose producer warp
     * never does.
     */
    public void shareAmong(int threads) { barrier = "bar.sync 0, " + threads; }

    /** After the reads: the next user must wait. */
    public void end() { dirty = true; }

    /** Control flow joins or loops back: assume someone may still be reading. */
    public void assumeDirty() { dirty = true; }

    public String base() {
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
