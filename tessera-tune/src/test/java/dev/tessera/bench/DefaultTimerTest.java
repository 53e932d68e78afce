package dev.tessera.bench;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;

/**
 * {@code doBench}'s default timer is that of the device the work launches on: on a device whose
 * launches return before the kernel has run (a GPU; here {@link QueuedBackend}), the host clock
 * would time only the enqueue.
 */
class DefaultTimerTest {
    @Kernel
    static void fill(Tile out, Tile n, @Constexpr int BLOCK) {
        Tile i = arange(0, BLOCK);
        store(out.add(i), full(F32, 1.5, BLOCK), i.lt(n));
    }

    static final JitKernel FILL = Jit.kernel(DefaultTimerTest.class, "fill");
    static final BenchOptions FIVE = BenchOptions.defaults().withFlushCache(false).withFixedCounts(1, 5);

    @Test
    void workOnAQueuedDeviceIsTimedByItsMarkers() {
        Device queued = Device.parse("queued:0");
        Tensor out = Tensor.zeros(DType.F32, queued, 100);
        BenchResult r = Bench.doBench(() -> FILL.launch(grid(1), out, 100, 128), FIVE);
        assertEquals(QueuedBackend.NAME, r.device());
        double launchMs = QueuedBackend.LAUNCH_NANOS / 1e6;
        assertTrue(r.minMs() >= launchMs, "each launch takes at least " + launchMs + " ms on the device, timed " + r.minMs() + " ms");
        assertEquals(1.5f, out.toFloatArray()[99]);
    }

    @Test
    void workOnTheCpuAndPlainJavaKeepTheHostClock() {
        Tensor out = Tensor.zeros(DType.F32, Device.cpu(), 100);
        assertEquals(CpuTimer.shared().deviceName(), Bench.doBench(() -> FILL.launch(grid(1), out, 100, 128), FIVE).device());
        assertEquals(CpuTimer.shared().deviceName(), Bench.doBench(() -> BenchTest.compute(1000), FIVE).device());
    }

    @Test
    void workOnTwoDevicesNeedsItsTimerGiven() {
        Tensor a = Tensor.zeros(DType.F32, Device.cpu(), 100), b = Tensor.zeros(DType.F32, Device.parse("queued:0"), 100);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Bench.doBench(() -> {
            FILL.launch(grid(1), a, 100, 128);
            FILL.launch(grid(1), b, 100, 128);
        }, FIVE));
        assertTrue(e.getMessage().contains("[cpu, queued:0]") && e.getMessage().contains("withTimer"), e.getMessage());
        // a given timer is used as it is
        assertEquals(QueuedBackend.NAME, Bench.doBench(() -> FILL.launch(grid(1), b, 100, 128), FIVE.withTimer(DeviceTimers.forDevice("queued:0"))).device());
    }

    @Test
    void thePlaceholderTimesNothingByItself() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DeviceTimers.ofWork().events(1));
        assertTrue(e.getMessage().contains("DeviceTimers.forDevice"), e.getMessage());
    }
}
