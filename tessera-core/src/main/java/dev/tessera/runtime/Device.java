package dev.tessera.runtime;

import dev.tessera.backend.Backend;
import dev.tessera.backend.DeviceInfo;

/**
 * Where tensors live and kernels run: {@code cpu} or {@code cuda:N}. The default device is the
 * {@code tessera.device} system property or {@code TESSERA_DEVICE} variable if set, else the first
 * GPU present, else the CPU.
 */
public record Device(String backend, int index) {

    public static Device cpu() { return new Device("cpu", 0); }

    public static Device cuda(int index) { return new Device("cuda", index); }

    /** "cpu", "cuda", "cuda:1". */
    public static Device parse(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        int colon = t.indexOf(':');
        if (colon < 0) return new Device(t, 0);
        try {
            return new Device(t.substring(0, colon), Integer.parseInt(t.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad device '" + text + "': expected cpu, cuda or cuda:N");
        }
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
        if (index >= b.devices().size()) {
            String why = b.unavailableReason();
            throw new IllegalStateException("device " + this + " is not available" + (why != null ? ": " + why : ""));
        }
        return this;
    }

    public DeviceInfo info() { return require().backendImpl().devices().get(index); }

    @Override
    public String toString() { return backend.equals("cpu") ? "cpu" : backend + ":" + index; }
}
