package dev.tessera.learn;

import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.CpuTimer;
import dev.tessera.bench.DeviceTimer;
import dev.tessera.bench.DeviceTimers;
import dev.tessera.runtime.Device;

/** Benchmark options for the curriculum's measurements: the device's own timer, shorter runs when quick. */
public final class Timing {
    private Timing() {}

    public static BenchOptions options(Device device, boolean quick) {
        DeviceTimer timer;
        try {
            timer = DeviceTimers.forDevice(device.toString());
        } catch (IllegalArgumentException e) {
            timer = CpuTimer.shared(); // no event timer for this device: wall clock around synchronized launches
        }
        BenchOptions o = BenchOptions.defaults().withTimer(timer);
        return quick ? o.withFixedCounts(1, 3).withFlushCache(false) : o.withWarmupMs(50).withRepMs(300);
    }
}
