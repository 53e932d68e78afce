package dev.tessera.cpu;

import dev.tessera.backend.KernelFault;
import dev.tessera.ir.Loc;
import dev.tessera.ir.Op;
import dev.tessera.types.DType;
import java.lang.foreign.MemorySegment;

/**
 * CPU lowering of pointer arithmetic, loads and stores. Lanes whose addresses are consecutive are
 * moved as one run (a bulk copy). Every active lane is checked against the live allocation its
 * address points into; a store checks all lanes before writing any, so a faulty store writes nothing.
 */
final class MemoryRules {
    private MemoryRules() {}

    static Step ptrAdd(Op.PtrAdd p, Lowering l) {
        int x = l.slot(p.pointer()), y = l.slot(p.offset()), r = l.slot(p.result());
        long es = p.pointer().type().pointee().byteSize();
        DType ot = l.dtype(p.offset());
        return switch (Storage.of(ot)) {
            case INT -> ot == DType.U32
                    ? f -> { long[] a = f.longs(x), o = f.longs(r); int[] b = f.ints(y); for (int i = 0; i < o.length; i++) o[i] = a[i] + Integer.toUnsignedLong(b[i]) * es; }
                    : f -> { long[] a = f.longs(x), o = f.longs(r); int[] b = f.ints(y); for (int i = 0; i < o.length; i++) o[i] = a[i] + b[i] * es; };
            case LONG -> f -> { long[] a = f.longs(x), b = f.longs(y), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = a[i] + b[i] * es; };
            default -> throw new IllegalStateException("pointer offsets must be integers");
        };
    }

    /** Where a memory op is, for fault messages. */
    record Site(String what, DType type, Loc loc) {}

    static Step load(Op.Load op, Lowering l) {
        int p = l.slot(op.pointer()), r = l.slot(op.result());
        int m = op.mask() == null ? -1 : l.slot(op.mask());
        int o = op.other() == null ? -1 : l.slot(op.other());
        DType t = l.dtype(op.result());
        int es = t.byteSize();
        Site site = new Site("load", t, op.loc());
        return f -> {
            long[] ptr = f.longs(p);
            boolean[] mask = m < 0 ? null : f.bools(m);
            Object out = f.slots[r], other = o < 0 ? null : f.slots[o];
            if (f.recording) {
                RecordingRules.load(f, site, ptr, mask, out, other);
                return;
            }
            int n = ptr.length;
            for (int i = 0; i < n; ) {
                if (mask != null && !mask[i]) {
                    MemoryAccess.fill(out, i, other);
                    i++;
                    continue;
                }
                int j = runEnd(ptr, mask, i, es);
                MemorySegment seg = checkRun(f, site, ptr, i, j, es);
                MemoryAccess.read(t, seg, CpuMemory.offsetOf(ptr[i]), out, i, j - i);
                i = j;
            }
        };
    }

    static Step store(Op.Store op, Lowering l) {
        int p = l.slot(op.pointer()), v = l.slot(op.value());
        int m = op.mask() == null ? -1 : l.slot(op.mask());
        DType t = l.dtype(op.value());
        int es = t.byteSize();
        Site site = new Site("store", t, op.loc());
        return f -> {
            long[] ptr = f.longs(p);
            boolean[] mask = m < 0 ? null : f.bools(m);
            Object value = f.slots[v];
            if (f.recording) {
                RecordingRules.store(f, site, ptr, mask, value);
                return;
            }
            int n = ptr.length;
            int[] runs = f.scratch(2 * n);
            int count = 0;
            for (int i = 0; i < n; ) {
                if (mask != null && !mask[i]) {
                    i++;
                    continue;
                }
                int j = runEnd(ptr, mask, i, es);
                checkRun(f, site, ptr, i, j, es);
                runs[count++] = i;
                runs[count++] = j;
                i = j;
            }
            for (int k = 0; k < count; k += 2) {
                int i = runs[k], j = runs[k + 1];
                MemoryAccess.write(t, value, i, CpuMemory.lookup(ptr[i]).segment, CpuMemory.offsetOf(ptr[i]), j - i);
            }
        };
    }

    /** The end of the run of active lanes from i whose addresses step by one element. */
    private static int runEnd(long[] ptr, boolean[] mask, int i, int es) {
        long next = ptr[i] + es;
        int j = i + 1;
        if (mask == null) {
            while (j < ptr.length && ptr[j] == next) { next += es; j++; }
        } else {
            while (j < ptr.length && mask[j] && ptr[j] == next) { next += es; j++; }
        }
        return j;
    }

    /** Checks lanes [i, j) (consecutive addresses) lie inside one live allocation; returns its memory. */
    static MemorySegment checkRun(ExecFrame f, Site site, long[] ptr, int i, int j, int es) {
        long address = ptr[i];
        CpuMemory.Allocation a = CpuMemory.lookup(address);
        long off = CpuMemory.offsetOf(address);
        long end = off + (long) (j - i) * es;
        if (a != null && off >= 0 && end <= a.size && off % es == 0) return a.segment;
        for (int k = i; k < j; k++) {
            long o = off + (long) (k - i) * es;
            if (a == null || o < 0 || o + es > a.size || o % es != 0) throw fault(f, site, ptr[k], k);
        }
        throw new IllegalStateException("unreachable");
    }

    static KernelFault fault(ExecFrame f, Site site, long address, int lane) {
        CpuMemory.Allocation a = CpuMemory.lookup(address);
        long off = CpuMemory.offsetOf(address);
        int es = site.type().byteSize();
        String what;
        if (a == null) {
            what = "address 0x" + Long.toHexString(address) + " is not in any live buffer (freed, or never a tensor's)";
        } else if (off % es != 0 && off >= 0 && off < a.size) {
            what = "misaligned " + site.type() + " access at byte offset " + off;
        } else {
            what = "out of bounds: byte offset " + off + " (element " + Math.floorDiv(off, es) + ") of a buffer of "
                    + a.size + " bytes (" + a.size / es + " × " + site.type() + ")";
        }
        return new KernelFault(site.loc() + ": " + f.where() + ": " + site.what() + " " + what + " [lane " + lane
                + "]; mask the access or fix the offsets");
    }
}
