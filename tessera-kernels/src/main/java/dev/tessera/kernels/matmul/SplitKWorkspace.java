package dev.tessera.kernels.matmul;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What split-K launches on one device share (see {@link MatmulKernel}): f32 partial tiles and one
 * i32 arrival counter per output tile. The counters start at 0 and every launch leaves them at 0
 * (the last program of a tile resets its own), so they are zeroed only when made. Launches that use
 * the workspace hold its lock while they are issued: on a GPU they then run in stream order, on the
 * CPU one after the other, never two over the same partials. It grows (to powers of two) and is
 * kept for the device's lifetime.
 */
final class SplitKWorkspace {
    private static final Map<Device, SplitKWorkspace> BY_DEVICE = new ConcurrentHashMap<>();

    private final Device device;
    private Tensor partials, arrivals;

    private SplitKWorkspace(Device device) { this.device = device; }

    /** A launch given the workspace's two tensors. */
    interface Launch {
        void run(Tensor partials, Tensor arrivals);
    }

    /** Runs {@code launch} with at least {@code floats} partial values and {@code tiles} counters, under the device's lock. */
    static void run(Device device, long floats, long tiles, Launch launch) {
        SplitKWorkspace ws = BY_DEVICE.computeIfAbsent(device, SplitKWorkspace::new);
        synchronized (ws) {
            ws.reserve(Math.max(1, floats), Math.max(1, tiles));
            try {
                launch.run(ws.partials, ws.arrivals);
            } catch (RuntimeException | Error e) {
                // a launch that stopped part way may have left counts behind
                ws.arrivals.close();
                ws.arrivals = null;
                throw e;
            }
        }
    }

    private void reserve(long floats, long tiles) {
        if (partials == null || partials.numel() < floats) {
            if (partials != null) partials.close();
            partials = Tensor.empty(DType.F32, device, powerOfTwoAtLeast(floats));
        }
        if (arrivals == null || arrivals.numel() < tiles) {
            if (arrivals != null) arrivals.close();
            arrivals = Tensor.zeros(DType.I32, device, powerOfTwoAtLeast(tiles));
        }
    }

    private static long powerOfTwoAtLeast(long n) { return n <= 1 ? 1 : Long.highestOneBit(n - 1) << 1; }
}
