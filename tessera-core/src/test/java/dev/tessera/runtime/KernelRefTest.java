package dev.tessera.runtime;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;

/** {@code Jit.kernel(Owner::method)}: the kernel a method reference names, and what it refuses. */
class KernelRefTest {
    @Kernel
    static void fillWith(Tile out, Tile n, Tile value, @Constexpr int BLOCK) {
        Tile i = arange(0, BLOCK);
        store(out.add(i), full(F32, value, BLOCK), i.lt(n));
    }

    static final JitKernel FILL = Jit.kernel(KernelRefTest::fillWith);

    @Test
    void aMethodReferenceNamesItsKernel() {
        assertEquals("fillWith", FILL.name());
        Tensor out = Tensor.full(DType.F32, -1.0, Device.cpu(), 40);
        FILL.launch(grid(1), out, 37, 2.5f, 64);
        float[] v = out.toFloatArray();
        assertEquals(2.5f, v[36]);
        assertEquals(-1.0f, v[37], "past n nothing is written");
    }

    @Test
    void aLambdaIsRefusedWithTheFormToUse() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Jit.kernel((Tile out, Tile n) -> store(out, n)));
        assertTrue(e.getMessage().contains("method reference to a static @Kernel method (MyKernels::add)"), e.getMessage());
    }
}
