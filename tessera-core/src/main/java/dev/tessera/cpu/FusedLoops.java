package dev.tessera.cpu;

import java.lang.foreign.MemorySegment;

/**
 * The loops generated for one {@link FusionGroup} ({@link FusedCodegen} writes a hidden class per
 * group). Lanes are walked in chunks of consecutive addresses, the group's accesses numbered in
 * program order.
 */
interface FusedLoops {
    /** Writes {@code addresses[k * chunks + c]}: the device address of the first lane of chunk c of access k. */
    void chunkAddresses(ExecFrame f, long[] addresses);

    /**
     * Computes every lane: access k reads or writes {@code segments[k]} from byte offset
     * {@code offsets[k * chunks + c]} in chunk c, bounds already checked ({@link FusedMemory}).
     * Values other steps read are written to their arrays.
     */
    void run(ExecFrame f, MemorySegment[] segments, long[] offsets);
}
