package dev.tessera.autotune;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A launch's arguments by parameter name, as prune hooks, performance models and heuristics see
 * them: the runtime arguments (tensors and numbers), the constexprs fixed by the caller and, where
 * one is being considered, a config's values.
 */
public final class Args {

    private final Map<String, Object> values;
    private final Device device;

    Args(Map<String, Object> values, Device device) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.device = device;
    }

    /** Arguments for tests and tools: the values by name, on {@code device}. */
    public static Args of(Map<String, Object> values, Device device) { return new Args(values, device); }

    /** These arguments with more values (a config's or a heuristic's) added or replaced. */
    public Args with(Map<String, Object> more) {
        Map<String, Object> m = new LinkedHashMap<>(values);
        m.putAll(more);
        return new Args(m, device);
    }

    /** The device the launch runs on. */
    public Device device() { return device; }

    public boolean has(String name) { return values.containsKey(name); }

    public Set<String> names() { return values.keySet(); }

    /** All values by name, in parameter order. */
    public Map<String, Object> asMap() { return values; }

    /** The value of {@code name}; throws naming the known arguments when absent. */
    public Object get(String name) {
        Object v = values.get(name);
        if (v == null && !values.containsKey(name)) {
            throw new IllegalArgumentException("no argument named " + name + " (arguments: " + values.keySet() + ")");
        }
        return v;
    }

    /** An integer argument (or constexpr) as a long. */
    public long longValue(String name) {
        Object v = get(name);
        if (v instanceof Number n) return n.longValue();
        throw new IllegalArgumentException("argument " + name + " is not a number: " + describe(v));
    }

    /** An integer argument (or constexpr) as an int. */
    public int intValue(String name) { return Math.toIntExact(longValue(name)); }

    /** A tensor argument. */
    public Tensor tensor(String name) {
        Object v = get(name);
        if (v instanceof Tensor t) return t;
        throw new IllegalArgumentException("argument " + name + " is not a tensor: " + describe(v));
    }

    static String describe(Object v) {
        return switch (v) {
            case null -> "null";
            case Tensor t -> t.dtype() + java.util.Arrays.toString(t.shape());
            default -> v.getClass().getSimpleName() + " " + v;
        };
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("(");
        values.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append('=').append(describe(v)));
        return sb.append(')').toString();
    }
}
