package dev.tessera.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * The CPU backend's device memory: off-heap segments in a table of live allocations. A device
 * address encodes the table slot in its top bits and the byte offset below, with the buffer placed
 * in the middle of its window so that small negative offsets still name the right buffer:
 * <pre>   address = slot &lt;&lt; 40 | (2^39 + byteOffset)</pre>
 * Every access decodes the address and checks it against the live buffer, which is what makes
 * out-of-bounds and use-after-free reports possible.
 */
public final class CpuMemory {
    static final int SLOT_SHIFT = 40;
    static final long WINDOW_MASK = (1L << SLOT_SHIFT) - 1;
    static final long ORIGIN = 1L << 39;
    private static final int MAX_SLOTS = 1 << 22;

    /** A live allocation. */
    static final class Allocation {
        final int slot;
        final MemorySegment segment;
        /** Null for memory the caller owns ({@link #wrap}): freeing it only forgets it. */
        final Arena arena;
        final long size;

        Allocation(int slot, MemorySegment segment, Arena arena, long size) {
            this.slot = slot;
            this.segment = segment;
            this.arena = arena;
            this.size = size;
        }
    }

    /** Never started: a thread that owns no arena, to ask whether a segment is confined to its owner. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> {});

    private static volatile Allocation[] table = new Allocation[1024];
    private static int nextSlot = 1; // slot 0 is never used, so address 0 is never valid
    private static final ArrayDeque<Integer> freed = new ArrayDeque<>();
    private static int live;

    private CpuMemory() {}

    static CpuBuffer allocate(long bytes) {
        if (bytes > ORIGIN) throw new IllegalArgumentException("a CPU buffer holds at most " + ORIGIN + " bytes, asked " + bytes);
        Arena arena = Arena.ofShared();
        MemorySegment seg = arena.allocate((Math.max(bytes, 1) + 7) & ~7L, 64); // whole words, for atomics on 16-bit elements
        return register(seg, arena, bytes);
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
        return register(memory, null, memory.byteSize());
    }

    private static synchronized CpuBuffer register(MemorySegment seg, Arena arena, long bytes) {
        int slot;
        if (nextSlot < MAX_SLOTS) {
            slot = nextSlot++;
        } else if (!freed.isEmpty()) {
            slot = freed.poll(); // only after millions of allocations: old addresses may alias then
        } else {
            throw new IllegalStateException("too many live CPU buffers (" + MAX_SLOTS + ")");
        }
        if (slot >= table.length) {
            Allocation[] bigger = new Allocation[Math.min(MAX_SLOTS, table.length * 2)];
            System.arraycopy(table, 0, bigger, 0, table.length);
            table = bigger;
        }
        Allocation a = new Allocation(slot, seg, arena, bytes);
        Allocation[] t = table;
        t[slot] = a;
        table = t; // publish
        live++;
        return new CpuBuffer(a, addressOf(slot, 0), bytes);
    }

    static synchronized void free(Allocation a) {
        if (table[a.slot] != a) return;
        table[a.slot] = null;
        freed.add(a.slot);
        live--;
        if (a.arena != null) a.arena.close();
    }

    /** How many buffers are allocated and not yet freed (tests check for leaks). */
    public static synchronized int liveBuffers() { return live; }

    static long addressOf(int slot, long byteOffset) { return ((long) slot << SLOT_SHIFT) + ORIGIN + byteOffset; }

    static int slotOf(long address) { return (int) (address >>> SLOT_SHIFT); }

    static long offsetOf(long address) { return (address & WINDOW_MASK) - ORIGIN; }

    /** The live allocation an address points into, or null. */
    static Allocation lookup(long address) {
        int slot = slotOf(address);
        Allocation[] t = table;
        return slot > 0 && slot < t.length ? t[slot] : null;
    }
}
