package dev.tessera.examples.llama;

import dev.tessera.backend.Marker;
import dev.tessera.runtime.Device;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Device time per kernel family. Each timed call is bracketed by two {@link Marker}s (CUDA events
 * on a GPU, so the launches stay asynchronous; the host clock on the CPU, whose launches return
 * when done); {@link #collect} synchronizes once and adds up what the markers measured. Markers are
 * kept and reused, so timing a step creates no events after the first.
 */
public final class KernelTimes implements AutoCloseable {
    /** What the decoder's steps are, for the breakdown. */
    public enum Family {
        EMBEDDING, NORM, MATMUL, GEMV, ROPE, ATTENTION, MLP, RESIDUAL, SAMPLING;

        /** The name as printed: lower case. */
        public String label() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    private final Device device;
    private final List<Marker> markers = new ArrayList<>();
    private final List<Family> pending = new ArrayList<>();
    private final Map<Family, Double> millis = new EnumMap<>(Family.class);
    private final Map<Family, Integer> calls = new EnumMap<>(Family.class);

    public KernelTimes(Device device) { this.device = device; }

    /** Runs {@code launches} between two markers, its time to be counted for {@code family} at the next {@link #collect}. */
    public void time(Family family, Runnable launches) {
        int first = 2 * pending.size();
        while (markers.size() < first + 2) markers.add(device.backendImpl().marker(device.index()));
        markers.get(first).record();
        launches.run();
        markers.get(first + 1).record();
        pending.add(family);
    }

    /** Waits for the device and adds the time between each pair of markers recorded since the last collect to its family. */
    public void collect() {
        if (pending.isEmpty()) return;
        device.backendImpl().synchronize(device.index());
        for (int i = 0; i < pending.size(); i++) {
            millis.merge(pending.get(i), markers.get(2 * i + 1).millisSince(markers.get(2 * i)), Double::sum);
            calls.merge(pending.get(i), 1, Integer::sum);
        }
        pending.clear();
    }

    /** Milliseconds collected for each family that ran, in the order of {@link Family}. */
    public Map<Family, Double> millis() { return new EnumMap<>(millis); }

    /** Timed calls collected for each family. */
    public Map<Family, Integer> calls() { return new EnumMap<>(calls); }

    /** Forgets what was collected (the markers are kept). */
    public void reset() {
        millis.clear();
        calls.clear();
    }

    /** Frees the markers (CUDA events). */
    @Override
    public void close() {
        markers.forEach(Marker::close);
        markers.clear();
    }
}
