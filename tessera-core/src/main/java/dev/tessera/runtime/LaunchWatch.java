package dev.tessera.runtime;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Which devices and streams a piece of work launches kernels on, for tools that time or synchronize
 * work they did not write: {@code Bench.doBench} times work with the clock of the device it launched
 * on (a GPU's events, since its launches return before the kernel has run). Only launches made by
 * the calling thread while the work runs are seen.
 */
public final class LaunchWatch {
    private LaunchWatch() {}

    private static final ThreadLocal<Set<Stream>> WATCHING = new ThreadLocal<>();

    /** Runs {@code work} on this thread; returns the devices its kernel launches went to, first used first. */
    public static Set<Device> devicesOf(Runnable work) {
        Set<Device> devices = new LinkedHashSet<>();
        for (Stream s : streamsOf(work)) devices.add(s.device());
        return Collections.unmodifiableSet(devices);
    }

    /** Runs {@code work} on this thread; returns the streams its kernel launches went on, first used first. */
    public static Set<Stream> streamsOf(Runnable work) {
        Objects.requireNonNull(work, "work");
        Set<Stream> outer = WATCHING.get(), seen = new LinkedHashSet<>();
        WATCHING.set(seen);
        try {
            work.run();
        } finally {
            // a watch inside another one reports its launches to both
            if (outer == null) WATCHING.remove();
            else {
                outer.addAll(seen);
                WATCHING.set(outer);
            }
        }
        return Collections.unmodifiableSet(seen);
    }

    /** Called by every launch. */
    static void launched(Stream stream) {
        Set<Stream> seen = WATCHING.get();
        if (seen != null) seen.add(stream);
    }
}
