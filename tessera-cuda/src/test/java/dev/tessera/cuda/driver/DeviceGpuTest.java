package dev.tessera.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

class DeviceGpuTest extends GpuTestBase {

    @Test
    void devicesDescribeThemselves(TestReporter reporter) {
        for (CudaDevice d : CudaDriver.devices()) reporter.publishEntry("device", d.toString());
        reporter.publishEntry("driver", CudaDriver.versionText(CudaDriver.driverVersion()) + ", PTX target " + target);

        assertTrue(CudaDriver.driverVersion() >= PtxTarget.MIN_DRIVER_VERSION);
        assertFalse(device.name().isBlank());
        assertTrue(device.computeMajor() >= 7, device.toString());
        assertEquals(32, device.warpSize());
        assertTrue(device.multiprocessorCount() > 0);
        assertTrue(device.maxThreadsPerBlock() >= 1024);
        assertTrue(device.maxRegistersPerBlock() > 0 && device.maxRegistersPerMultiprocessor() > 0);
        assertEquals(48 * 1024, device.sharedMemoryPerBlock());
        assertTrue(device.sharedMemoryPerBlockOptin() >= device.sharedMemoryPerBlock());
        assertTrue(device.sharedMemoryPerMultiprocessor() >= device.sharedMemoryPerBlockOptin());
        assertTrue(device.l2CacheBytes() > 0 && device.totalMemoryBytes() > 0);
        assertTrue(device.clockRateKHz() > 0 && device.memoryBusWidthBits() > 0);
        assertSame(context, CudaDriver.device(0).context());
        assertThrows(IllegalArgumentException.class, () -> CudaDriver.device(CudaDriver.devices().size()));
    }

    @Test
    void memoryInfoIsConsistent() {
        MemoryInfo info = context.memoryInfo();
        assertTrue(info.freeBytes() > 0 && info.freeBytes() <= info.totalBytes(), info.toString());
        assertTrue(info.totalBytes() <= device.totalMemoryBytes() + (1L << 30), info + " vs " + device);
    }

    @Test
    void errorNamesComeFromTheDriver() {
        var e = CudaException.of(2, "cuMemAlloc of 4096 bytes on device 0");
        assertEquals("cuMemAlloc of 4096 bytes on device 0: CUDA_ERROR_OUT_OF_MEMORY (out of memory)", e.getMessage());
        var unknown = CudaException.of(123456, "nothing");
        assertEquals("CUresult 123456", unknown.errorName());
    }

    @Test
    void anyThreadMayUseTheContextAndFreeWhatAnotherAllocated() throws Exception {
        DeviceBuffer buffer = CompletableFuture.supplyAsync(() -> {
            DeviceBuffer b = context.allocate(64);
            b.fillInts(7);
            return b;
        }).get();
        try (buffer) {
            int[] out = new int[16];
            buffer.copyToHost(MemorySegment.ofArray(out));
            for (int v : out) assertEquals(7, v);
        }
        context.synchronize();
    }
}
