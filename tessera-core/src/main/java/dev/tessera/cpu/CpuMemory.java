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
        final Arena arena;
        final long size;

        Allocation(int slot, MemorySegment segment, Arena arena, long size) {
            this.slot = slot;
            this.segment = segment;
            this.arena = arena;
            this.size = size;
        }
    }

    private static volatile Allocation[] table = new Allocation[1024];
    private static int nextSlot = 1; // slot 0 is never used, so address 0 is never valid
    private static final ArrayDeque<Integer> freed = new ArrayDeque<>();
    private static int live;

    private CpuMemory() {}

    static synchronized CpuBuffer allocate(long bytes) {
        if (bytes > ORIGIN) throw new IllegalArgumentException("a CPU buffer holds at most " + ORIGIN + " bytes, asked " + bytes);
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
        Arena arena = Arena.ofShared();
        MemorySegment seg = arena.allocate((Math.max(bytes, 1) + 7) & ~7L, 64); // whole words, for atomics on 16-bit elements
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
        a.arena.close();
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
