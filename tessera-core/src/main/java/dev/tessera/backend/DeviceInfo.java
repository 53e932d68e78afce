package dev.tessera.backend;

import java.util.Map;

/**
 * A device as listed by {@code tessera info}.
 *
 * @param limits resource limits the autotuner prunes against (e.g. "sharedMemoryPerBlock",
 *               "maxThreadsPerBlock", "multiprocessors"), by name
 */
public record DeviceInfo(String backend, int index, String name, String description, Map<String, Long> limits) {

    /** "cpu", "cuda:0". */
    public String id() { return backend.equals("cpu") ? "cpu" : backend + ":" + index; }

    /** The processors that run programs side by side: a GPU's multiprocessors, a CPU's cores (1 if neither is listed). */
    public int multiprocessors() {
        return Math.toIntExact(limits.getOrDefault("multiprocessors", limits.getOrDefault("cores", 1L)));
    }
}
