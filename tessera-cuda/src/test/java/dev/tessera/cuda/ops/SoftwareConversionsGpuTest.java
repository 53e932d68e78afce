package dev.tessera.cuda.ops;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.cuda.driver.CudaDriver;
import dev.tessera.runtime.Device;
import dev.tessera.types.DType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The exact software sequences that replace fp8 and bf16 conversions on targets without them
 * (sm_80 has no fp8 cvt), checked on a GPU that has the native ones by turning those off.
 */
class SoftwareConversionsGpuTest {
    private final ConversionOpsTest conversions = new ConversionOpsTest();

    @BeforeAll
    static void softwareOnly() { System.setProperty("tessera.cuda.softwareConversions", "true"); }

    @AfterAll
    static void restore() { System.clearProperty("tessera.cuda.softwareConversions"); }

    @Test
    void encodeAndDecodeInSoftware() {
        assumeTrue(CudaDriver.isAvailable(), () -> "no CUDA here: " + CudaDriver.unavailableReason().orElse(""));
        Device d = Device.cuda(0);
        for (DType t : new DType[] {DType.FP8E4M3, DType.FP8E5M2, DType.BF16, DType.F16}) {
            conversions.decodesEveryPattern(d, t);
            conversions.encodesLikeNumerics(d, t, false);
            conversions.encodesLikeNumerics(d, t, true);
        }
    }
}
