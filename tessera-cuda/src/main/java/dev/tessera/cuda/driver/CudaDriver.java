package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Entry to the CUDA driver ({@code libcuda.so.1}, reached through java.lang.foreign). Nothing is
 * loaded until the first call; the first call opens the library, runs {@code cuInit(0)} and reads
 * every device's properties, once for the process.
 *
 * <p>Machines without an NVIDIA driver or device are normal (CI, laptops): {@link #isAvailable()}
 * answers false instead of throwing, and {@link #unavailableReason()} says why.
 */
public final class CudaDriver {
    private CudaDriver() {}

    // Holder idiom: the JVM runs this once, on first use, and publishes it safely to every thread.
    private static final class Loaded {
        static final String FAILURE;
        static final int VERSION;
        static final List<CudaDevice> DEVICES;
        static final CudaContext[] CONTEXTS;

        static {
            String failure = null;
            int version = 0;
            List<CudaDevice> devices = List.of();
            try {
                failure = Cu.loadFailure();
                if (failure == null) {
                    int rc = Cu.cuInit(0);
                    if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuInit");
                    version = readInt(Cu::cuDriverGetVersion, "cuDriverGetVersion");
                    int count = readInt(Cu::cuDeviceGetCount, "cuDeviceGetCount");
                    if (count == 0) failure = "the CUDA driver " + versionText(version) + " found no device";
                    var list = new ArrayList<CudaDevice>(count);
                    for (int i = 0; i < count; i++) list.add(DeviceQuery.query(i));
                    devices = List.copyOf(list);
                }
            } catch (RuntimeException | LinkageError e) {
                failure = "the CUDA driver could not be initialized: " + e.getMessage();
                devices = List.of();
            }
            FAILURE = failure;
            VERSION = version;
            DEVICES = devices;
            CONTEXTS = new CudaContext[devices.size()];
            for (int i = 0; i < CONTEXTS.length; i++) CONTEXTS[i] = new CudaContext(devices.get(i));
        }
    }

    private interface IntQuery {
        int call(MemorySegment out);
    }

    private static int readInt(IntQuery query, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            int rc = query.call(out);
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, what);
            return out.get(JAVA_INT, 0);
        }
    }

    /** True when libcuda could be loaded and initialized and reports at least one device. Never throws. */
    public static boolean isAvailable() {
        try {
            return Loaded.FAILURE == null;
        } catch (LinkageError e) {
            return false;
        }
    }

    /** Why CUDA cannot be used here, or empty when it can. */
    public static Optional<String> unavailableReason() {
        try {
            return Optional.ofNullable(Loaded.FAILURE);
        } catch (LinkageError e) {
            return Optional.of("the CUDA driver bindings could not be set up: " + e);
        }
    }

    /** The driver's CUDA version as cuDriverGetVersion reports it: 1000 * major + 10 * minor (13000 = 13.0). */
    public static int driverVersion() {
        requireAvailable();
        return Loaded.VERSION;
    }

    /** Every device the driver reports, in ordinal order. */
    public static List<CudaDevice> devices() {
        requireAvailable();
        return Loaded.DEVICES;
    }

    /** The device with the given ordinal. */
    public static CudaDevice device(int index) {
        List<CudaDevice> devices = devices();
        if (index < 0 || index >= devices.size()) {
            throw new IllegalArgumentException("no CUDA device " + index + "; this machine has " + devices.size());
        }
        return devices.get(index);
    }

    static CudaContext context(int index) {
        device(index);
        return Loaded.CONTEXTS[index];
    }

    /** {@code 13000} as {@code 13.0}. */
    static String versionText(int version) {
        return version / 1000 + "." + version % 1000 / 10;
    }

    private static void requireAvailable() {
        if (!isAvailable()) {
            throw new IllegalStateException("CUDA is not available: " + unavailableReason().orElseThrow());
        }
    }
}
