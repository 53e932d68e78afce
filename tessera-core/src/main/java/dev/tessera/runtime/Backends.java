package dev.tessera.runtime;

import dev.tessera.backend.Backend;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.ServiceLoader;

/** The backends on the class path, found once through {@link ServiceLoader}. */
public final class Backends {
    private Backends() {}

    private static final class Holder {
        static final List<Backend> ALL = ServiceLoader.load(Backend.class).stream().map(ServiceLoader.Provider::get)
                .sorted(Comparator.comparingInt(Backend::priority).reversed()).toList();
        /** By name: every launch looks its backend up, so this is a plain map access. */
        static final Map<String, Backend> BY_NAME = ALL.stream().collect(Collectors.toUnmodifiableMap(Backend::name, b -> b, (a, b) -> a));
    }

    /** Every backend, most preferred first (whether or not it has devices here). */
    public static List<Backend> all() { return Holder.ALL; }

    public static Backend get(String name) {
        Backend b = Holder.BY_NAME.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no backend named '" + name + "' is on the class path (found: "
                    + all().stream().map(Backend::name).toList() + ")");
        }
        return b;
    }
}
