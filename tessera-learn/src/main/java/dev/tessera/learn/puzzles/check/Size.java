package dev.tessera.learn.puzzles.check;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** One problem size of a puzzle: named dimensions, e.g. {@code N=100} or {@code M=33, N=17, K=64}. */
public record Size(Map<String, Integer> dims) {
    public Size {
        dims = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(dims));
    }

    /** {@code Size.of("M", 33, "N", 17)}. */
    public static Size of(Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) throw new IllegalArgumentException("names and values come in pairs");
        Map<String, Integer> d = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) d.put((String) namesAndValues[i], (Integer) namesAndValues[i + 1]);
        return new Size(d);
    }

    public int get(String name) {
        Integer v = dims.get(name);
        if (v == null) throw new IllegalArgumentException("no dimension " + name + " in " + this);
        return v;
    }

    @Override
    public String toString() {
        return dims.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
    }
}
