package dev.tessera.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the tests that need a CUDA device: they skip, saying why, where there is none, and each
 * one must leave no device buffer behind.
 */
abstract class GpuTestBase {
    CudaDevice device;
    CudaContext context;
    PtxTarget target;
    private int liveBefore;

    @BeforeEach
    void requireGpu() {
        assumeTrue(CudaDriver.isAvailable(), () -> "no CUDA here: " + CudaDriver.unavailableReason().orElse(""));
        device = CudaDriver.device(0);
        context = device.context();
        target = PtxTarget.forDevice(device, CudaDriver.driverVersion());
        liveBefore = LiveAllocations.count();
    }

    @AfterEach
    void leaveNoBuffers() {
        if (context == null) return;
        assertEquals(liveBefore, LiveAllocations.count(), () -> "leaked device buffers: " + LiveAllocations.describe());
    }
}
