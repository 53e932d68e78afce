package dev.tessera.bench;

import dev.tessera.backend.Backend;
import dev.tessera.backend.Buffer;
import dev.tessera.backend.CompiledKernel;
import dev.tessera.backend.DeviceInfo;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.backend.Marker;
import dev.tessera.cpu.CpuBackend;
import dev.tessera.ir.KernelIR;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A test device that a timer sees as it sees a GPU: launches return at once and run, each taking at
 * least {@link #LAUNCH_NANOS}, when the device is synchronized; its markers wait in the same queue
 * and read the clock when the queue reaches them. Memory and compiling are the CPU backend's.
 */
public final class QueuedBackend implements Backend {
    static final long LAUNCH_NANOS = 2_000_000;
    static final String NAME = "queued test device";

    private final CpuBackend cpu = new CpuBackend();
    private final List<Runnable> queue = new ArrayList<>();

    @Override
    public String name() { return "queued"; }

    @Override
    public List<DeviceInfo> devices() {
        return unavailableReason() != null ? List.of() : List.of(new DeviceInfo("queued", 0, NAME, "launches run when synchronized", Map.of()));
    }

    /**
     * Present only where {@code tessera.test.queued} is set (tessera-tune's own test run): on a
     * class path with every module's tests (the GPU bundle), the suites that run on every device
     * would otherwise take it for one.
     */
    @Override
    public String unavailableReason() {
        return Boolean.getBoolean("tessera.test.queued") ? null : "a test device of tessera-tune's timer tests (-Dtessera.test.queued=true)";
    }

    /** Below the CPU's, so it is never the default device. */
    @Override
    public int priority() { return -1; }

    @Override
    public Buffer allocate(int device, long bytes) { return cpu.allocate(0, bytes); }

    @Override
    public void copyIn(MemorySegment source, Buffer target, long targetOffset, long bytes) {
        synchronize(0);
        cpu.copyIn(source, target, targetOffset, bytes);
    }

    @Override
    public void copyOut(Buffer source, long sourceOffset, MemorySegment target, long bytes) {
        synchronize(0);
        cpu.copyOut(source, sourceOffset, target, bytes);
    }

    @Override
    public void copy(Buffer source, long sourceOffset, Buffer target, long targetOffset, long bytes) {
        synchronize(0);
        cpu.copy(source, sourceOffset, target, targetOffset, bytes);
    }

    @Override
    public void fill(Buffer target, long offset, long bytes, byte value) {
        synchronize(0);
        cpu.fill(target, offset, bytes, value);
    }

    @Override
    public String target(int device) { return "queued"; }

    @Override
    public CompiledKernel compile(KernelIR kernel, LaunchOptions options, int device) { return cpu.compile(kernel, options, 0); }

    @Override
    public void launch(CompiledKernel kernel, int[] grid, long[] args, int device) {
        int[] g = grid.clone();
        long[] a = args.clone();
        enqueue(() -> {
            long end = System.nanoTime() + LAUNCH_NANOS;
            cpu.launch(kernel, g, a, 0);
            while (System.nanoTime() < end) Thread.onSpinWait();
        });
    }

    @Override
    public void synchronize(int device) {
        List<Runnable> work;
        synchronized (queue) {
            work = new ArrayList<>(queue);
            queue.clear();
        }
        work.forEach(Runnable::run);
    }

    @Override
    public Marker marker(int device) { return new QueuedMarker(); }

    /** Reads the clock when the queue reaches it. */
    private final class QueuedMarker implements Marker {
        private long nanos;

        @Override
        public void record() { enqueue(() -> nanos = System.nanoTime()); }

        @Override
        public double millisSince(Marker start) { return (nanos - ((QueuedMarker) start).nanos) / 1e6; }

        @Override
        public void close() {}
    }

    private void enqueue(Runnable r) {
        synchronized (queue) {
            queue.add(r);
        }
    }
}
