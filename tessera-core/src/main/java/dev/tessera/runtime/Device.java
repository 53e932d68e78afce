package dev.tessera.runtime;

import dev.tessera.backend.Backend;
import dev.tessera.backend.DeviceInfo;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Where tensors live and kernels run: {@code cpu} or {@code cuda:N}. The default device is the
 * {@code tessera.device} system property or {@code TESSERA_DEVICE} variable if set, else the first
 * GPU present, else the CPU.
 */
public record Device(String backend, int index) {

    public Device {
        if (index < 0) throw new IllegalArgumentException("bad device '" + backend + ":" + index + "': the index must be 0 or more");
    }

    public static Device cpu() { return new Device("cpu", 0); }

    public static Device cuda(int index) { return new Device("cuda", index); }

    /** "cpu", "cuda", "cuda:1". */
    public static Device parse(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        int colon = t.indexOf(':');
        if (colon < 0) return new Device(t, 0);
        int index;
        try {
            index = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            index = -1;
        }
        if (index < 0) throw new IllegalArgumentException("bad device '" + text + "': expected cpu, cuda or cuda:N with N >= 0");
        return new Device(t.substring(0, colon), index);
    }

    private static final class Default {
        static final Device DEVICE = choose();

        private static Device choose() {
            String configured = System.getProperty("tessera.device", System.getenv("TESSERA_DEVICE"));
            if (configured != null && !configured.isBlank()) return parse(configured).require();
            for (Backend b : Backends.all()) {
                if (!b.devices().isEmpty()) return new Device(b.name(), 0);
            }
            return cpu();
        }
    }

    /** The device used when none is named. */
    public static Device defaultDevice() { return Default.DEVICE; }

    public Backend backendImpl() { return Backends.get(backend); }

    public boolean isAvailable() {
        return Backends.all().stream().anyMatch(b -> b.name().equals(backend) && index < b.devices().size());
    }

    /** This device, after checking it exists here (with the backend's reason if not). */
    public Device require() {
        Backend b = backendImpl();
        int count = b.devices().size();
        if (index >= count) {
            String why = b.unavailableReason();
            String which = switch (count) {
                case 0 -> why != null ? why : "there are no " + backend + " devices here";
                case 1 -> "the only " + backend + " device here is " + new Device(backend, 0);
                default -> "the " + backend + " devices here are " + new Device(backend, 0) + " to " + new Device(backend, count - 1);
            };
            throw new IllegalStateException("device " + this + " is not available: " + which);
        }
        return this;
    }

    public DeviceInfo info() { return require().backendImpl().devices().get(index); }

    /**
     * Waits until every launch and copy queued on this device, on every stream, has finished, and
     * reports a fault one of them met (a {@link dev.tessera.backend.KernelFault}). On a GPU, launches return once queued:
     * reading a tensor back waits by itself, this is for timing by hand or handing memory to another
     * library. On the CPU every launch has finished when it returns.
     */
    public void synchronize() { require().backendImpl().synchronize(index); }

    /** A new stream of this device, for work that should not wait for the default stream's (see {@link Stream}); close it when done. */
    public Stream newStream() { return Stream.create(this); }

    /** The stream that launches on this device use where no other is {@linkplain Stream#activate() current}. */
    public Stream defaultStream() { return Stream.defaultOf(this); }

    /** A new event of this device, not yet recorded (see {@link Event}; {@link Stream#record()} makes and records one). */
    public Event newEvent() { return Event.create(this); }

    /**
     * {@code bytes} of host memory for this device's asynchronous copies ({@link
     * Tensor#copyFromAsync}, {@link Tensor#copyToAsync}), freed when {@code arena} closes: page-locked
     * on a GPU, which is what lets a copy overlap other work (from ordinary native memory an
     * asynchronous copy is staged, and a device-to-host one returns only when done). Close the arena
     * only after the streams have passed the copies that use it. Plain native memory on the CPU.
     */
    public MemorySegment allocatePinned(Arena arena, long bytes) {
        if (bytes <= 0) throw new IllegalArgumentException("pinned host memory needs a positive size, not " + bytes);
        Objects.requireNonNull(arena, "arena");
        return require().backendImpl().allocatePinned(index, bytes, arena);
    }

    @Override
    public String toString() { return backend.equals("cpu") && index == 0 ? "cpu" : backend + ":" + index; }
}
