package dev.tessera.kernels.norm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.backend.KernelResources;
import dev.tessera.cuda.codegen.Occupancy;
import dev.tessera.cuda.driver.CudaDriver;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The register budget of {@code NormRegisterBudgetPtxasTest} with the driver's own ptxas: the
 * library's layer norm on rows of 8192 (the bench's 4096x8192) in f16 and bf16, as the CUDA
 * compiler keeps it, takes at most 40 registers and no local memory (three 512-thread blocks a SM).
 */
class NormRegisterBudgetGpuTest {

    @ParameterizedTest(name = "layer norm {0} rows of 8192")
    @ValueSource(strings = {"F16", "BF16"})
    void layerNormFitsThreeBlocksPerSm(String dtype) {
        assumeTrue(CudaDriver.isAvailable(), () -> "no CUDA here: " + CudaDriver.unavailableReason().orElse(""));
        DType t = DType.valueOf(dtype);
        Device d = Device.cuda(0);
        int rows = 2, n = 8192;
        try (Tensor x = Tensor.randn(t, 1, d, rows, n); Tensor y = Tensor.empty(t, d, rows, n); Tensor w = Tensor.randn(t, 2, d, n);
             Tensor b = Tensor.randn(t, 3, d, n); Tensor mean = Tensor.empty(DType.F32, d, rows); Tensor rstd = Tensor.empty(DType.F32, d, rows)) {
            KernelResources r = LayerNorm.KERNEL.withOptions(16, 1)
                    .specialize(x, y, w, b, mean, rstd, x.stride(0), n, 1e-5f, 8192).resources().orElseThrow();
            assertEquals(0, r.localBytes(), r::describe);
            assertTrue(r.registers() <= NormRegisterBudgetPtxasTest.BUDGET, r::describe);
            assertTrue(Occupancy.residentBlocks(r.registers(), 512) >= 3, r::describe);
        }
    }
}
