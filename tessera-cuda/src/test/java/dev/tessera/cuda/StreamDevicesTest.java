package dev.tessera.cuda;

import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.TL;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Event;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Stream;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A stream, or an event, of one device used with a tensor or stream of another fails naming both:
 * the GPU's against the CPU's where a GPU is present, else the ptxcheck device's (whose streams are
 * the CPU's kind, so the check is the runtime's, not the driver's).
 */
class StreamDevicesTest {
    private Device other;

    @Kernel
    static void one(Tile out, @Constexpr int BLOCK) {
        TL.store(out.add(TL.arange(0, BLOCK)), TL.full(TL.F32, 1.0, BLOCK));
    }

    static final JitKernel ONE = Jit.kernel(StreamDevicesTest.class, "one");

    @BeforeEach
    void pickADeviceBesideTheCpu() {
        other = Device.cuda(0).isAvailable() ? Device.cuda(0) : new Device("ptxcheck", 0);
        assumeTrue(other.isAvailable(), "neither a GPU nor the ptxcheck device (ptxas) is here");
    }

    @Test
    void aStreamOfOneDeviceQueuesNothingForAnother() {
        Device cpu = Device.cpu();
        try (Stream s = other.newStream(); Tensor t = Tensor.zeros(DType.F32, cpu, 16); Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(64);
            String expected = "Tensor(f32[16], cpu) is on cpu but " + s + " queues work on " + other + "; use a stream of cpu";
            assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> t.copyFromAsync(host, s)).getMessage());
            assertEquals(expected, assertThrows(IllegalArgumentException.class, () -> t.copyToAsync(host, s)).getMessage());
            var launch = assertThrows(IllegalArgumentException.class, () -> ONE.launch(s, grid(1), t, 16));
            assertEquals("one's tensor arguments are on cpu but the stream given is of " + other + "; launch on a stream of cpu", launch.getMessage());
        }
    }

    @Test
    void aStreamWaitsOnlyForEventsOfItsDevice() {
        try (Stream s = other.newStream(); Event cpuEvent = Device.cpu().defaultStream().record()) {
            var wait = assertThrows(IllegalArgumentException.class, () -> s.waitFor(cpuEvent));
            assertEquals("Event(cpu) is on cpu but " + s + " queues work on " + other + "; use a stream of cpu", wait.getMessage());
            var record = assertThrows(IllegalArgumentException.class, () -> cpuEvent.record(s));
            assertEquals("Event(cpu) is on cpu but " + s + " queues work on " + other + "; use a stream of cpu", record.getMessage());
        }
    }

    @Test
    void activatingAStreamLeavesOtherDevicesOnTheirDefault() {
        Device cpu = Device.cpu();
        try (Stream s = other.newStream(); var on = s.activate(); Tensor t = Tensor.zeros(DType.F32, cpu, 16)) {
            assertEquals(s, Stream.current(other));
            assertEquals(cpu.defaultStream(), Stream.current(cpu), "a current stream is per device");
            ONE.launch(grid(1), t, 16);
            assertEquals(16.0, java.util.Arrays.stream(t.toDoubleArray()).sum());
        }
    }
}
