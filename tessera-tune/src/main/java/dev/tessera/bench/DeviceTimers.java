package dev.tessera.bench;

import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;

/** Finds the {@link DeviceTimer} for a device name: {@code "cpu"} here, others through providers. */
public final class DeviceTimers {

    private DeviceTimers() {}

    /**
     * The timer for {@code device}: {@link CpuTimer#shared()} for {@code "cpu"}, otherwise the first
     * {@link DeviceTimerProvider} on the class path that handles the name.
     *
     * @throws IllegalArgumentException when no provider handles the device
     */
    public static DeviceTimer forDevice(String device) {
        String name = device.strip().toLowerCase(Locale.ROOT);
        if (name.equals("cpu")) return CpuTimer.shared();
        for (DeviceTimerProvider provider : ServiceLoader.load(DeviceTimerProvider.class)) {
            Optional<DeviceTimer> timer = provider.timerFor(device);
            if (timer.isPresent()) return timer.get();
        }
        throw new IllegalArgumentException("no timer for device '" + device + "': only 'cpu' is built in;"
                + " GPU timers come from a backend module on the class path (e.g. tessera-cuda)");
    }
}
