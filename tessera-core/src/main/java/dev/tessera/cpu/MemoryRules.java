package dev.tessera.cpu;

import dev.tessera.backend.KernelFault;
import dev.tessera.ir.Loc;
import dev.tessera.ir.Op;
import dev.tessera.types.DType;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * CPU lowering of pointer arithmetic, loads and stores. Lanes whose addresses are consecutive are
 * moved as one run (a bulk copy). Every active lane is checked against the live allocation its
 * address points into; a store checks all lanes before writing any, so a faulty store writes nothing.
 */
final class MemoryRules {
    private MemoryRules() {}

    static Step ptrAdd(Op.PtrAdd p, Lowering l) {
        if (onlyAddressesMemory(p, l)) return null; // its loads and stores read base and offsets directly
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

    /** Whether every use of the sum is a load or store that forms its addresses from the sum's operands. */
    static boolean onlyAddressesMemory(Op.PtrAdd p, Lowering l) {
        if (!(l.producer(p.pointer()) instanceof Op.Splat)) return false;
        List<Op> users = l.users(p.result());
        return !users.isEmpty() && users.stream().allMatch(u -> u instanceof Op.Load ld && ld.pointer() == p.result()
                && ld.mask() != p.result() || u instanceof Op.Store st && st.pointer() == p.result() && st.value() != p.result());
    }

    /** A tile's worth of true, to find runs of active lanes with a vectorized {@code Arrays.mismatch}. */
    static final boolean[] ALL_ACTIVE = new boolean[1 << 20];

    static {
        java.util.Arrays.fill(ALL_ACTIVE, true);
    }

    /** Where a memory op is, for fault messages. */
    record Site(String what, DType type, Loc loc) {}

    static Step load(Op.Load op, Lowering l) {
        Addressing at = Addressing.of(op.pointer(), l);
        int r = l.slot(op.result());
        int m = op.mask() == null ? -1 : l.slot(op.mask());
        int o = op.other() == null ? -1 : l.slot(op.other());
        DType t = l.dtype(op.result());
        int es = t.byteSize(), n = op.result().type().numel(), chunk = chunk(at, n);
        Site site = new Site("load", t, op.loc());
        return f -> {
            boolean[] mask = m < 0 ? null : f.bools(m);
            Object out = f.slots[r], other = o < 0 ? null : f.slots[o];
            if (f.recording) {
                RecordingRules.load(f, site, Addressing.addresses(f, at, n, es), mask, out, other);
                return;
            }
            for (int s = 0; s < n; s += chunk) {
                int end = s + chunk;
                for (int i = s; i < end; ) {
                    if (mask != null && !mask[i]) {
                        MemoryAccess.fill(out, i, other);
                        i++;
                        continue;
                    }
                    int j = runEnd(f, at, mask, i, end, es);
                    long address = Addressing.address(f, at, i, es);
                    MemorySegment seg = checkRun(f, site, address, i, j, es);
                    MemoryAccess.read(t, seg, CpuMemory.offsetOf(address), out, i, j - i);
                    i = j;
                }
            }
        };
    }

    static Step store(Op.Store op, Lowering l) {
        Addressing at = Addressing.of(op.pointer(), l);
        int v = l.slot(op.value());
        int m = op.mask() == null ? -1 : l.slot(op.mask());
        DType t = l.dtype(op.value());
        int es = t.byteSize(), n = op.value().type().numel(), chunk = chunk(at, n);
        Site site = new Site("store", t, op.loc());
        return f -> {
            boolean[] mask = m < 0 ? null : f.bools(m);
            Object value = f.slots[v];
            if (f.recording) {
                RecordingRules.store(f, site, Addressing.addresses(f, at, n, es), mask, value);
                return;
            }
            int[] runs = f.scratch(2 * n);
            int count = 0;
            for (int s = 0; s < n; s += chunk) {
                int end = s + chunk;
                for (int i = s; i < end; ) {
                    if (mask != null && !mask[i]) {
                        i++;
                        continue;
                    }
                    int j = runEnd(f, at, mask, i, end, es);
                    checkRun(f, site, Addressing.address(f, at, i, es), i, j, es);
                    runs[count++] = i;
                    runs[count++] = j;
                    i = j;
                }
            }
            for (int k = 0; k < count; k += 2) {
                int i = runs[k], j = runs[k + 1];
                long address = Addressing.address(f, at, i, es);
                MemoryAccess.write(t, value, i, CpuMemory.lookup(address).segment, CpuMemory.offsetOf(address), j - i);
            }
        };
    }

    /**
     * Lanes are walked in chunks: the runs AxisInfo proved contiguous, or the whole tile when
     * nothing is known (then runs are found at run time).
     */
    private static int chunk(Addressing at, int n) {
        return at instanceof Addressing.BaseOffsets b && b.run() > 1 ? b.run() : n;
    }

    /** The end (at most {@code end}) of the run of active lanes from i whose addresses step by one element. */
    private static int runEnd(ExecFrame f, Addressing at, boolean[] mask, int i, int end, int es) {
        int j = i + 1;
        switch (at) {
            case Addressing.BaseOffsets b when b.run() > 1 -> { // consecutive by construction: only the mask ends it
                if (mask == null) return end;
                int differs = java.util.Arrays.mismatch(mask, j, end, ALL_ACTIVE, 0, end - j); // vectorized scan
                return differs < 0 ? end : j + differs;
            }
            case Addressing.BaseOffsets b when !b.wideOffsets() -> {
                int[] off = f.ints(b.offsetSlot());
                int next = off[i] + 1;
                while (j < end && (mask == null || mask[j]) && off[j] == next) { next++; j++; }
            }
            case Addressing.BaseOffsets b -> {
                long[] off = f.longs(b.offsetSlot());
                long next = off[i] + 1;
                while (j < end && (mask == null || mask[j]) && off[j] == next) { next++; j++; }
            }
            case Addressing.Pointers p -> {
                long[] ptr = f.longs(p.slot());
                long next = ptr[i] + es;
                while (j < end && (mask == null || mask[j]) && ptr[j] == next) { next += es; j++; }
            }
        }
        return j;
    }

    /** Checks that lanes [i, j), at consecutive addresses from {@code address}, lie inside one live allocation. */
    static MemorySegment checkRun(ExecFrame f, Site site, long address, int i, int j, int es) {
        CpuMemory.Allocation a = CpuMemory.lookup(address);
        long off = CpuMemory.offsetOf(address);
        long end = off + (long) (j - i) * es;
        if (a != null && off >= 0 && end <= a.size && off % es == 0) return a.segment;
        for (int k = i; k < j; k++) {
            long o = off + (long) (k - i) * es;
            if (a == null || o < 0 || o + es > a.size || o % es != 0) throw fault(f, site, address + (long) (k - i) * es, k);
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
            what = "out of bounds: byte offset " + off + " (element " + Math.floorDiv(off, es) + ") of " + a.describe(site.type());
        }
        return new KernelFault(site.loc() + ": " + f.where() + ": " + site.what() + " " + what + " [lane " + lane
                + "]; mask the access or fix the offsets");
    }
}
