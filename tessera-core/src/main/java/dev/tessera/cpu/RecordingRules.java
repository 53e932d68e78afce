package dev.tessera.cpu;

import dev.tessera.cpu.AccessRecorder.Access;
import dev.tessera.cpu.AccessRecorder.Kind;

/**
 * The lane-by-lane paths that loads, stores and atomics take in a program an {@link AccessRecorder}
 * records: each lane is reported, and an out-of-bounds lane is skipped instead of failing.
 */
final class RecordingRules {
    private RecordingRules() {}

    /** The recorder for launches from each thread (see {@link AccessRecorder#install}). */
    static final ThreadLocal<AccessRecorder> INSTALLED = new ThreadLocal<>();

    static void load(ExecFrame f, MemoryRules.Site site, long[] ptr, boolean[] mask, Object out, Object other) {
        for (int i = 0; i < ptr.length; i++) {
            boolean masked = mask != null && !mask[i];
            if (!lane(f, site, Kind.LOAD, ptr[i], masked, i)) {
                MemoryAccess.fill(out, i, other); // masked off, or out of bounds: the other value
                continue;
            }
            MemoryAccess.read(site.type(), CpuMemory.lookup(ptr[i]).segment, CpuMemory.offsetOf(ptr[i]), out, i, 1);
        }
    }

    static void store(ExecFrame f, MemoryRules.Site site, long[] ptr, boolean[] mask, Object value) {
        for (int i = 0; i < ptr.length; i++) {
            if (lane(f, site, Kind.STORE, ptr[i], mask != null && !mask[i], i)) {
                MemoryAccess.write(site.type(), value, i, CpuMemory.lookup(ptr[i]).segment, CpuMemory.offsetOf(ptr[i]), 1);
            }
        }
    }

    /**
     * Reports one lane to the frame's recorder; returns whether an active lane is in bounds (so the
     * caller goes on to access it). Masked lanes return false.
     */
    static boolean lane(ExecFrame f, MemoryRules.Site site, Kind kind, long address, boolean masked, int lane) {
        int es = site.type().byteSize();
        CpuMemory.Allocation a = CpuMemory.lookup(address);
        long off = CpuMemory.offsetOf(address);
        boolean inBounds = a != null && off >= 0 && off + es <= a.size && off % es == 0;
        // a view's lanes are reported in its buffer, as the recorder's callers know tensors by their buffers
        long buffer = a != null && a.base != null ? CpuMemory.addressOf(a.base.slot, 0) : CpuMemory.addressOf(CpuMemory.slotOf(address), 0);
        long at = a != null && a.base != null ? off + a.baseOffset : off;
        f.recorder.record(new Access(kind, f.pid[0], f.pid[1], f.pid[2], buffer, at, es, masked, !masked && !inBounds, lane, site.loc()));
        return !masked && inBounds;
    }
}
