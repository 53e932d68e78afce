package dev.tessera.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.cuda.codegen.DemoKernels;
import dev.tessera.cuda.codegen.Occupancy;
import dev.tessera.cuda.driver.CudaDriver;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;

/**
 * The compiler keeps the occupancy floor of 512-thread blocks where the kernel fits it (or spills
 * a little), and drops it where it made the driver's ptxas spill much (the ptxas side:
 * {@code OccupancyCapPtxasTest}).
 */
class OccupancyCapGpuTest {

    @Test
    void capKeptWhereItFitsDroppedWhereItSpills() {
        assumeTrue(CudaDriver.isAvailable(), () -> "no CUDA here: " + CudaDriver.unavailableReason().orElse(""));
        Device d = Device.cuda(0);
        int n = 512;
        try (Tensor a = Tensor.randn(DType.F32, 1, d, n, n); Tensor b = Tensor.randn(DType.F32, 2, d, n, n);
             Tensor c = Tensor.empty(DType.F32, d, n, n); Tensor x = Tensor.randn(DType.F32, 3, d, 4, 16384)) {
            CudaKernel matmul = (CudaKernel) Jit.kernel(DemoKernels.class, "matmul").withOptions(16, 1).specialize(a, b, c, n, n, n, 256, 128, 32);
            assertEquals(0, matmul.localBytes(), "the uncapped kernel, kept because the capped one spilled too much");
            assertFalse(matmul.ptx.ptx().contains(".minnctapersm"), "the kept PTX is the uncapped one");
            CudaKernel softmax = (CudaKernel) Jit.kernel(DemoKernels.class, "softmax").withOptions(16, 1).specialize(x, x, 16384, 16384, 16384);
            assertTrue(softmax.localBytes() <= Occupancy.CAPPED_LOCAL_ALLOWANCE, () -> softmax.localBytes() + " bytes of local memory");
            assertTrue(softmax.ptx.ptx().contains(".minnctapersm 2"), "the capped PTX is kept where it fits");
            assertTrue(softmax.registers() <= 64, () -> softmax.registers() + " registers");
        }
    }
}
