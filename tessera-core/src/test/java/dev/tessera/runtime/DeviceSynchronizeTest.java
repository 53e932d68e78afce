package dev.tessera.runtime;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Device#synchronize}: after queued launches it returns with their results in place on
 * every device (on a GPU it is the backend's synchronize that every read-back also takes), and it
 * names a device that is not here.
 */
class DeviceSynchronizeTest {

    @Kernel
    static void twice(Tile out, Tile n, @Constexpr int BLOCK) {
        Tile i = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        store(out.add(i), i.to(F32).mul(2.0), i.lt(n));
    }

    static final JitKernel TWICE = Jit.kernel(DeviceSynchronizeTest.class, "twice");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void queuedLaunchesKeepTheirResults(Device device) {
        Device d = TestDevices.require(device);
        int n = 1000;   // not a multiple of the block
        try (Tensor out = Tensor.full(DType.F32, Double.NaN, d, n)) {
            for (int round = 0; round < 3; round++) TWICE.launch(grid(cdiv(n, 128)), out, n, 128);
            d.synchronize();
            float[] v = out.toFloatArray();
            for (int i = 0; i < n; i++) assertEquals(2.0f * i, v[i], "element " + i + " on " + d);
        }
    }

    @Test
    void aDeviceThatIsNotHereIsNamed() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new Device("cpu", 3).synchronize());
        assertTrue(e.getMessage().contains("device cpu:3 is not available"), e.getMessage());
    }
}
