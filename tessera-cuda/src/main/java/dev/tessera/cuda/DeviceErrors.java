package dev.tessera.cuda;

import dev.tessera.backend.KernelFault;
import dev.tessera.cuda.codegen.control.DebugSites;
import dev.tessera.cuda.driver.CudaContext;
import dev.tessera.cuda.driver.DeviceBuffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One device's error record: a few words of device memory that kernels with assertions get as a
 * hidden argument. A failing thread claims it (the first one wins) and writes its site, program id,
 * element and thread; the host reads it when it synchronizes, only if such a kernel ran since the
 * last check, and raises the fault with the site's file, line and message.
 */
final class DeviceErrors {
    private static final Map<Integer, CudaKernel> KERNELS = new ConcurrentHashMap<>();

    private final CudaContext context;
    private volatile DeviceBuffer record;
    private volatile boolean pending;

    DeviceErrors(CudaContext context) { this.context = context; }

    static void register(CudaKernel k) { KERNELS.put(k.id, k); }

    /** The record's address for a launch of a kernel with assertions (which makes the next check read it). */
    long addressForLaunch() {
        DeviceBuffer r = record;
        if (r == null) {
            synchronized (this) {
                if (record == null) {
                    DeviceBuffer b = context.allocate(DebugSites.RECORD_WORDS * 4L);
                    b.fill((byte) 0);
                    record = b;
                }
                r = record;
            }
        }
        pending = true;
        return r.address();
    }

    /** After the device is idle: raises the recorded fault, if any, and clears the record. */
    void check() {
        if (!pending) return;
        pending = false;
        int[] words = new int[DebugSites.RECORD_WORDS];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(words.length * 4L);
            record.copyToHost(host);
            for (int i = 0; i < words.length; i++) words[i] = host.getAtIndex(ValueLayout.JAVA_INT, i);
        }
        if (words[0] == 0) return;
        record.fill((byte) 0);
        CudaKernel k = KERNELS.get(words[6]);
        if (k == null) throw new KernelFault("a kernel (id " + words[6] + ") failed a device check at site " + (words[0] - 1));
        var sites = k.ptx.debug().sites();
        int s = words[0] - 1;
        DebugSites.Site site = s < sites.size() ? sites.get(s) : new DebugSites.Site(dev.tessera.ir.Loc.UNKNOWN, "device check " + s + " failed", false);
        throw new KernelFault(site.loc() + ": " + k.name() + " (program " + words[1] + ", " + words[2] + ", " + words[3] + "): "
                + site.message() + " [lane " + words[4] + "] (thread " + words[5] + ")");
    }
}
