package dev.tessera.bench;

import java.util.Optional;

/**
 * Service-provider interface through which backends outside this module (the CUDA backend) offer a
 * {@link DeviceTimer} for their devices, found with {@link java.util.ServiceLoader} by
 * {@link DeviceTimers#forDevice(String)}. Register an implementation in
 * {@code META-INF/services/dev.tessera.bench.DeviceTimerProvider}.
 */
public interface DeviceTimerProvider {

    /**
     * A timer for {@code device} (e.g. {@code "cuda:0"}), or empty when this provider does not
     * handle that device name.
     */
    Optional<DeviceTimer> timerFor(String device);
}
