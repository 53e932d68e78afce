package dev.tessera.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.backend.Backend;
import dev.tessera.runtime.Backends;
import dev.tessera.runtime.Device;
import java.util.stream.Stream;

/**
 * The devices every op test runs on: the CPU always, and the first GPU of each GPU backend on the
 * class path, which skips with the backend's reason where there is none. With
 * {@code -Dtessera.test.cpu.through.ptxcheck=true} the CPU is left out where tessera-cuda's test-only
 * ptxcheck device is available: it runs every kernel on the CPU backend after ptxas, so the CPU
 * device would only run the same again (where ptxcheck stands down, the CPU runs as usual).
 */
public final class TestDevices {
    private TestDevices() {}

    /** For {@code @MethodSource("dev.tessera.testing.TestDevices#all")}. */
    public static Stream<Device> all() {
        boolean cpuThroughPtxcheck = Boolean.getBoolean("tessera.test.cpu.through.ptxcheck")
                && Backends.all().stream().anyMatch(b -> b.name().equals("ptxcheck") && !b.devices().isEmpty());
        return Backends.all().stream().filter(b -> !(cpuThroughPtxcheck && b.name().equals("cpu"))).map(b -> new Device(b.name(), 0));
    }

    /** Skips the test (with the reason) unless the device exists here. */
    public static Device require(Device d) {
        Backend b = Backends.all().stream().filter(x -> x.name().equals(d.backend())).findFirst().orElse(null);
        assumeTrue(b != null, () -> d + " is not available: no '" + d.backend() + "' backend on the class path");
        assumeTrue(!b.devices().isEmpty(), () -> d + " is not available: " + b.unavailableReason());
        return d;
    }
}
