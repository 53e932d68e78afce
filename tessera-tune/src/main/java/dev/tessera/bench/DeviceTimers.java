package dev.tessera.bench;

import dev.tessera.runtime.Device;

import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;

/** Finds the {@link DeviceTimer} for a device name: {@code "cpu"} here, others through providers. */
public final class DeviceTimers {

    private DeviceTimers() {}

    private static final java.util.Map<Device, DeviceTimer> TIMERS = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The timer for {@code device}: {@link CpuTimer#shared()} for {@code "cpu"}, otherwise the first
     * {@link DeviceTimerProvider} on the class path that handles the name, otherwise a timer built on
     * the device's backend (its {@link dev.tessera.backend.Marker}s).
     *
     * @throws IllegalStateException when the device is not available here
     */
    public static DeviceTimer forDevice(String device) {
        String name = device.strip().toLowerCase(Locale.ROOT);
        if (name.equals("cpu")) return CpuTimer.shared();
        for (DeviceTimerProvider provider : ServiceLoader.load(DeviceTimerProvider.class)) {
            Optional<DeviceTimer> timer = provider.timerFor(device);
            if (timer.isPresent()) return timer.get();
        }
        return TIMERS.computeIfAbsent(Device.parse(name), BackendTimer::new);
    }

    /**
     * The timer of the device the work launches its kernels on, {@link BenchOptions#defaults()}'
     * timer: {@link Bench#doBench} watches the work's first call ({@link dev.tessera.runtime.LaunchWatch})
     * and times it with that device's timer (a GPU's events, since its launches return at once), or
     * the CPU's when it launched nothing or only on the CPU.
     */
    public static DeviceTimer ofWork() { return WorkTimer.INSTANCE; }

    /** The timer for work that launched on {@code devices} (see {@link #ofWork()}). */
    static DeviceTimer forLaunches(Set<Device> devices) {
        if (devices.size() > 1) {
            throw new IllegalArgumentException("the work launched kernels on " + devices + ": give BenchOptions.withTimer the timer of the "
                    + "device to time it on (DeviceTimers.forDevice)");
        }
        return devices.isEmpty() ? CpuTimer.shared() : forDevice(devices.iterator().next().toString());
    }
}
