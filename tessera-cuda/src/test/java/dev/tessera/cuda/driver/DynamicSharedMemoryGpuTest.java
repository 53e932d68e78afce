package dev.tessera.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Kernels that want more than 48 KiB of shared memory per block must opt in through cuFuncSetAttribute. */
class DynamicSharedMemoryGpuTest extends GpuTestBase {

    @Test
    void aKernelCanUseAllOptInSharedMemoryOnceItAsks() {
        int bytes = device.sharedMemoryPerBlockOptin();
        assumeTrue(bytes > 48 * 1024, device.name() + " offers no shared memory beyond 48 KiB");
        int words = bytes / 4;
        try (CudaModule module = context.loadPtx(TestPtx.kernels(target));
             DeviceBuffer out = context.allocate(8)) {
            CudaFunction probe = module.function("smem_probe");
            var refused = assertThrows(CudaException.class, () -> probe.launch(1, 1, 1, 256, 1, 1, bytes,
                    context.defaultStream(), KernelArgs.forCurrentThread().ptr(out).i32(words)));
            assertEquals("CUDA_ERROR_INVALID_VALUE", refused.errorName(), refused.getMessage());

            probe.setMaxDynamicSharedBytes(bytes);
            assertEquals(bytes, probe.maxDynamicSharedBytes());
            probe.launch(1, 1, 1, 256, 1, 1, bytes, context.defaultStream(),
                    KernelArgs.forCurrentThread().ptr(out).i32(words));
            int[] result = new int[2];
            out.copyToHost(MemorySegment.ofArray(result));
            assertArrayEquals(new int[] {3 * (words - 1) + 1, 1}, result);
        }
    }

    @Test
    void askingForMoreThanTheDeviceHasIsRefused() {
        try (CudaModule module = context.loadPtx(TestPtx.kernels(target))) {
            CudaFunction probe = module.function("smem_probe");
            var e = assertThrows(CudaException.class,
                    () -> probe.setMaxDynamicSharedBytes(device.sharedMemoryPerBlockOptin() + 4096));
            assertEquals("CUDA_ERROR_INVALID_VALUE", e.errorName(), e.getMessage());
        }
    }
}
