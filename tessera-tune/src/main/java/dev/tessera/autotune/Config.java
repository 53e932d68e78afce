package dev.tessera.autotune;

import dev.tessera.backend.LaunchOptions;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One candidate of an {@link Autotuner}: values of some of the kernel's constexpr meta-parameters
 * (by name) plus the launch options {@code numWarps} and {@code numStages} (which the CPU backend
 * ignores). Immutable; equal when the values and options are equal.
 *
 * <pre>{@code
 * Config c = Config.of("BM", 64, "BN", 64, "BK", 32).warps(4).stages(3);
 * c.toString();   // "BM=64, BN=64, BK=32, warps=4, stages=3"
 * }</pre>
 */
public final class Config {

    private final Map<String, Object> meta;
    private final int numWarps, numStages;

    public Config(Map<String, Object> meta, int numWarps, int numStages) {
        Objects.requireNonNull(meta, "meta");
        new LaunchOptions(numWarps, numStages); // validates both with clear messages
        LinkedHashMap<String, Object> copy = new LinkedHashMap<>();
        meta.forEach((k, v) -> {
            if (k == null || k.isBlank()) throw new IllegalArgumentException("a config value needs a name");
            if (!(v instanceof Number || v instanceof Boolean || v instanceof String)) {
                throw new IllegalArgumentException("config value " + k + " must be a number, boolean or string, got "
                        + (v == null ? "null" : v.getClass().getSimpleName()));
            }
            copy.put(k, v);
        });
        this.meta = Collections.unmodifiableMap(copy);
        this.numWarps = numWarps;
        this.numStages = numStages;
    }

    /** A config of name/value pairs with the default launch options (4 warps, 3 stages). */
    public static Config of(Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("Config.of takes name/value pairs, got " + namesAndValues.length + " arguments");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (!(namesAndValues[i] instanceof String name)) {
                throw new IllegalArgumentException("Config.of: argument " + i + " must be a name, got " + namesAndValues[i]);
            }
            if (m.put(name, namesAndValues[i + 1]) != null) throw new IllegalArgumentException("Config.of: " + name + " given twice");
        }
        return new Config(m, LaunchOptions.DEFAULT.numWarps(), LaunchOptions.DEFAULT.numStages());
    }

    /** A config of the given values with the default launch options. */
    public static Config of(Map<String, Object> meta) {
        return new Config(meta, LaunchOptions.DEFAULT.numWarps(), LaunchOptions.DEFAULT.numStages());
    }

    /** This config with {@code n} warps per program. */
    public Config warps(int n) { return new Config(meta, n, numStages); }

    /** This config with a software-pipelining depth of {@code n}. */
    public Config stages(int n) { return new Config(meta, numWarps, n); }

    /** This config with one more (or a replaced) value. */
    public Config with(String name, Object value) {
        Map<String, Object> m = new LinkedHashMap<>(meta);
        m.put(name, value);
        return new Config(m, numWarps, numStages);
    }

    /** The constexpr values, in the order given. */
    public Map<String, Object> meta() { return meta; }

    /** The value of {@code name}; throws when absent. */
    public Object get(String name) {
        Object v = meta.get(name);
        if (v == null) throw new IllegalArgumentException("config " + this + " has no value " + name);
        return v;
    }

    /** The integer value of {@code name}. */
    public int intValue(String name) { return ((Number) get(name)).intValue(); }

    public int numWarps() { return numWarps; }

    public int numStages() { return numStages; }

    public LaunchOptions options() { return new LaunchOptions(numWarps, numStages); }

    @Override
    public boolean equals(Object o) {
        return o instanceof Config c && numWarps == c.numWarps && numStages == c.numStages && meta.equals(c.meta);
    }

    @Override
    public int hashCode() { return Objects.hash(meta, numWarps, numStages); }

    /** {@code "BLOCK=1024, warps=4, stages=3"}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        meta.forEach((k, v) -> sb.append(k).append('=').append(v).append(", "));
        return sb.append("warps=").append(numWarps).append(", stages=").append(numStages).toString();
    }
}
