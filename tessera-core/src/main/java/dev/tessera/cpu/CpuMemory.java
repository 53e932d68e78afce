package dev.tessera.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The CPU backend's device memory: off-heap segments in a table of live allocations. A device
 * address encodes a tag (the table slot and that slot's generation) in its top bits and the byte
 * offset below, with the buffer placed in the middle of its window so that small negative offsets
 * still name the right buffer:
 * <pre>   address = (generation &lt;&lt; 22 | slot) &lt;&lt; 36 | (2^35 + byteOffset)</pre>
 * Every access decodes the address and checks it against the live buffer, which is what makes
 * out-of-bounds and use-after-free reports possible. Slots are handed out fresh until all 2^22 have
 * been used, and only then reused, oldest freed first, each reuse with the next generation: an
 * address kept from a freed buffer names no live one (it would take 32 reuses of its slot, over a
 * hundred million allocations, to name a buffer again).
 */
public final class CpuMemory {
    static final int SLOT_SHIFT = 36;
    static final long WINDOW_MASK = (1L << SLOT_SHIFT) - 1;
    static final long ORIGIN = 1L << 35;
    static final int SLOT_BITS = 22, MAX_SLOTS = 1 << SLOT_BITS, GENERATIONS = 1 << 5;

    /**
     * A live allocation: a buffer, or a tensor view's part of one (then {@code base} is the
     * buffer's and {@code baseOffset} where the view starts in it, for fault messages).
     */
    static final class Allocation {
        /** The slot and its generation: what the top bits of an address into this allocation hold. */
        final int slot;
        final MemorySegment segment;
        /** Null for memory the caller owns ({@link #wrap}): freeing it only forgets it. */
        final Arena arena;
        final long size;
        final Allocation base;
        final long baseOffset;

        Allocation(int slot, MemorySegment segment, Arena arena, long size, Allocation base, long baseOffset) {
            this.slot = slot;
            this.segment = segment;
            this.arena = arena;
            this.size = size;
            this.base = base;
            this.baseOffset = baseOffset;
        }

        /** "a buffer of 400 bytes", "a view of 40 bytes at byte 80 of a buffer of 400 bytes", with the element count of {@code es}. */
        String describe(dev.tessera.types.DType t) {
            String own = size + " bytes (" + size / t.byteSize() + " × " + t + ")";
            return base == null ? "a buffer of " + own
                    : "a view of " + own + " at byte " + baseOffset + " of a buffer of " + base.size + " bytes";
        }
    }

    /** Never started: a thread that owns no arena, to ask whether a segment is confined to its owner. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> {});

    private static volatile Allocation[] table = new Allocation[1024];
    private static int nextSlot = 1; // slot 0 is never used, so address 0 is never valid
    /** The tags of freed slots, oldest first: a ring of ints (not boxed), at most one per slot. */
    private static int[] freed = new int[64];
    private static int freedHead, freedCount;
    private static int live;

    private CpuMemory() {}

    static CpuBuffer allocate(long bytes) {
        if (bytes > ORIGIN) throw new IllegalArgumentException("a CPU buffer holds at most " + ORIGIN + " bytes, asked " + bytes);
        Arena arena = Arena.ofShared();
        MemorySegment seg = arena.allocate((Math.max(bytes, 1) + 7) & ~7L, 64); // whole words, for atomics on 16-bit elements
        return register(seg, arena, bytes, null, 0);
    }

    /**
     * The caller's memory as a CPU buffer, in place: kernels check their accesses against
     * {@code memory}'s size, and closing the buffer leaves the memory alone. Atomics need it
     * aligned to their element (16-bit ones to the 4-byte word that holds them).
     */
    static CpuBuffer wrap(MemorySegment memory) {
        if (memory.byteSize() > ORIGIN) throw new IllegalArgumentException("a CPU buffer holds at most " + ORIGIN + " bytes, given " + memory.byteSize());
        if (memory.isReadOnly()) throw new IllegalArgumentException("a read-only segment cannot be a tensor's memory (kernels may store to it)");
        if (!memory.isAccessibleBy(OTHER_THREAD)) {
            throw new IllegalArgumentException("a segment of a confined arena is usable by its own thread only, and kernels run on a pool of threads;"
                    + " allocate it with Arena.ofShared(), Arena.ofAuto() or Arena.global()");
        }
        return register(memory, null, memory.byteSize(), null, 0);
    }

    /** Bytes [offset, offset + bytes) of {@code base} under an address of their own (the memory stays the base's). */
    static CpuBuffer allocateView(Allocation base, long offset, long bytes) {
        if (offset < 0 || bytes < 0 || offset + bytes > base.size) {
            throw new IllegalArgumentException("a view of bytes [" + offset + ", " + (offset + bytes) + ") of a buffer of " + base.size + " bytes");
        }
        return register(base.segment.asSlice(offset), null, bytes, base, offset);
    }

    private static synchronized CpuBuffer register(MemorySegment seg, Arena arena, long bytes, Allocation base, long baseOffset) {
        int tag;
        if (nextSlot < MAX_SLOTS) {
            tag = nextSlot++;
        } else if (freedCount > 0) {
            int old = freed[freedHead];
            freedHead = (freedHead + 1) % freed.length;
            freedCount--;
            tag = ((((old >>> SLOT_BITS) + 1) % GENERATIONS) << SLOT_BITS) | (old & (MAX_SLOTS - 1));
        } else {
            throw new IllegalStateException("too many live CPU buffers (" + MAX_SLOTS + ")");
        }
        int slot = tag & (MAX_SLOTS - 1);
        if (slot >= table.length) {
            Allocation[] bigger = new Allocation[Math.min(MAX_SLOTS, table.length * 2)];
            System.arraycopy(table, 0, bigger, 0, table.length);
            table = bigger;
        }
        Allocation a = new Allocation(tag, seg, arena, bytes, base, baseOffset);
        Allocation[] t = table;
        t[slot] = a;
        table = t; // publish
        live++;
        return new CpuBuffer(a, addressOf(tag, 0), bytes);
    }

    static synchronized void free(Allocation a) {
        int slot = a.slot & (MAX_SLOTS - 1);
        if (table[slot] != a) return;
        table[slot] = null;
        if (freedCount == freed.length) {
            int[] bigger = new int[Math.min(MAX_SLOTS, freed.length * 2)];
            for (int i = 0; i < freedCount; i++) bigger[i] = freed[(freedHead + i) % freed.length];
            freed = bigger;
            freedHead = 0;
        }
        freed[(freedHead + freedCount++) % freed.length] = a.slot;
        live--;
        if (a.arena != null) a.arena.close(); // a view's memory is its base's

    }

    /** For tests: where fresh slots start ({@link #MAX_SLOTS}: none are left, so freed ones are reused); returns the old start. */
    static synchronized int setNextFreshSlot(int next) {
        int old = nextSlot;
        nextSlot = next;
        return old;
    }

    /** How many buffers are allocated and not yet freed (tests check for leaks). */
    public static synchronized int liveBuffers() { return live; }

    static long addressOf(int slot, long byteOffset) { return ((long) slot << SLOT_SHIFT) + ORIGIN + byteOffset; }

    static int slotOf(long address) { return (int) (address >>> SLOT_SHIFT); }

    static long offsetOf(long address) { return (address & WINDOW_MASK) - ORIGIN; }

    /** The live allocation an address points into, or null (also for an address of a freed slot's earlier generation). */
    static Allocation lookup(long address) {
        int tag = slotOf(address);
        int slot = tag & (MAX_SLOTS - 1);
        Allocation[] t = table;
        Allocation a = slot > 0 && slot < t.length ? t[slot] : null;
        return a != null && a.slot == tag ? a : null;
    }
}
