package dev.tessera.runtime;

import java.util.Map;

/**
 * How many programs a launch runs, along up to three axes: fixed numbers, or computed from the
 * kernel's constexpr values (needed when an autotuner picks the block size).
 */
@FunctionalInterface
public interface Grid {

    /** The grid for these constexpr values, by name. */
    int[] dims(Map<String, Object> meta);

    /** A fixed grid of 1 to 3 dimensions: {@code grid(cdiv(n, BLOCK))}. */
    static Grid grid(int... dims) {
        if (dims.length < 1 || dims.length > 3) throw new IllegalArgumentException("a grid has 1 to 3 dimensions, got " + dims.length);
        for (int d : dims) if (d < 0) throw new IllegalArgumentException("negative grid dimension " + d);
        int[] copy = dims.clone();
        return meta -> copy;
    }
}
