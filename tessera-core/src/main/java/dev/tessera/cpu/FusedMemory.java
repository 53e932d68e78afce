package dev.tessera.cpu;

import dev.tessera.types.DType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Checks a fused step's loads and stores before its loop runs, a whole chunk of consecutive
 * addresses at a time. A fused loop may run only if each chunk lies inside the live allocation its
 * first lane points into, masked lanes included, and no store can write what a later lane still
 * loads (the unfused steps load every lane before storing any). Otherwise the step runs its ops
 * unfused, which check lane by lane and fault, for an out-of-bounds lane, with the very message and
 * the partial effects they always had: a masked tail that runs past the end of a buffer costs its
 * program the fused loop, never a difference.
 */
final class FusedMemory {
    private FusedMemory() {}

    /**
     * Turns {@code offsets[k * chunks + c]} from the address of chunk c of access k into its byte
     * offset in {@code segments[k]}; false if the loop must not run.
     */
    static boolean locate(long[] offsets, MemorySegment[] segments, int chunks, int chunk, int[] elementSizes, boolean[] stores) {
        int accesses = elementSizes.length;
        for (int k = 0; k < accesses; k++) {
            int first = k * chunks, es = elementSizes[k];
            CpuMemory.Allocation a = CpuMemory.lookup(offsets[first]);
            if (a == null) return false;
            long bytes = (long) chunk * es;
            for (int c = first; c < first + chunks; c++) {
                long address = offsets[c], off = CpuMemory.offsetOf(address);
                if (CpuMemory.slotOf(address) != a.slot || off < 0 || off % es != 0 || off + bytes > a.size) return false;
                offsets[c] = off;
            }
            segments[k] = a.segment;
        }
        for (int s = 0; s < accesses; s++) {
            if (!stores[s]) continue;
            for (int k = 0; k < accesses; k++) {
                if (!stores[k] && segments[k] == segments[s] && !independent(offsets, chunks, chunk, s, elementSizes[s], k, elementSizes[k])) return false;
            }
        }
        return true;
    }

    /** Whether {@code mask[at..at+n)} is all true (a vectorized scan). */
    static boolean allActive(boolean[] mask, int at, int n) {
        return Arrays.mismatch(mask, at, at + n, MemoryRules.ALL_ACTIVE, 0, n) < 0;
    }

    /**
     * A chunk of a store: {@code stage[at..at+n)} where the mask (null: all) is true, written as one
     * copy when it all is, else run by run, as MemoryRules.store writes.
     */
    static void write(DType t, Object stage, boolean[] mask, int at, int n, MemorySegment seg, long off) {
        if (mask == null || allActive(mask, at, n)) {
            MemoryAccess.write(t, stage, at, seg, off, n);
            return;
        }
        int es = t.byteSize();
        for (int i = at; i < at + n; ) {
            if (!mask[i]) {
                i++;
                continue;
            }
            int j = i + 1;
            while (j < at + n && mask[j]) j++;
            MemoryAccess.write(t, stage, i, seg, off + (long) (i - at) * es, j - i);
            i = j;
        }
    }

    /**
     * Whether loading lanes with access k and storing them with access s, lane after lane, loads
     * what loading every lane first would: their ranges do not overlap, or each lane stores where it
     * loads, or below (in-place and shifting-down updates), never where a later lane loads.
     */
    private static boolean independent(long[] offsets, int chunks, int chunk, int s, int storeSize, int k, int loadSize) {
        long sLo = Long.MAX_VALUE, sHi = Long.MIN_VALUE, kLo = Long.MAX_VALUE, kHi = Long.MIN_VALUE;
        for (int c = 0; c < chunks; c++) {
            sLo = Math.min(sLo, offsets[s * chunks + c]);
            sHi = Math.max(sHi, offsets[s * chunks + c] + (long) chunk * storeSize);
            kLo = Math.min(kLo, offsets[k * chunks + c]);
            kHi = Math.max(kHi, offsets[k * chunks + c] + (long) chunk * loadSize);
        }
        if (sHi <= kLo || kHi <= sLo) return true;
        if (storeSize != loadSize) return false;
        if (chunks == 1) return offsets[s] <= offsets[k];
        for (int c = 0; c < chunks; c++) {
            long at = offsets[s * chunks + c];
            if (at != offsets[k * chunks + c]) return false;
            if (c > 0 && at < offsets[s * chunks + c - 1] + (long) chunk * storeSize) return false; // chunks must not overlap
        }
        return true;
    }
}
