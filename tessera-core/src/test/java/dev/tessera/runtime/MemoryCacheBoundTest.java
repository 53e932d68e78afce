package dev.tessera.runtime;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;

/** A kernel launched with ever new constexprs keeps only the most recently launched specializations in memory. */
class MemoryCacheBoundTest {
    @Kernel
    static void put(Tile out, @Constexpr int VALUE) { store(out.add(arange(0, 2)), full(I32, (long) VALUE, 2)); }

    static JitKernel bounded(String max) {
        System.setProperty("tessera.jit.max.specializations", max);
        try {
            return Jit.kernel(MemoryCacheBoundTest.class, "put");
        } finally {
            System.clearProperty("tessera.jit.max.specializations");
        }
    }

    @Test
    void theLeastRecentlyLaunchedAreDropped() {
        JitKernel k = bounded("3");
        try (Tensor out = Tensor.zeros(DType.I32, Device.cpu(), 2)) {
            for (int v = 1; v <= 6; v++) {
                k.launch(grid(1), out, v);
                k.launch(grid(1), out, 1); // 1 stays the most recently launched
                assertEquals(Math.min(v, 3), k.compiledCount());
            }
            k.launch(grid(1), out, 2); // dropped earlier: compiled again, and right
            assertArrayEquals(new long[] {2, 2}, out.toLongArray());
            assertEquals(3, k.compiledCount());
        }
        assertThrows(IllegalArgumentException.class, () -> bounded("0"));
    }
}
