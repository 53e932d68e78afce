package dev.tessera.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Runs everywhere: where CUDA is missing, the driver layer must say why instead of failing. */
class CudaDriverTest {

    @Test
    void availabilityIsAnsweredWithAReasonWhenFalse() {
        boolean available = CudaDriver.isAvailable();
        assertEquals(available, CudaDriver.unavailableReason().isEmpty());
        if (available) {
            assertFalse(CudaDriver.devices().isEmpty());
        } else {
            String reason = CudaDriver.unavailableReason().orElseThrow();
            assertFalse(reason.isBlank());
            var e = assertThrows(IllegalStateException.class, CudaDriver::devices);
            assertTrue(e.getMessage().contains(reason), e.getMessage());
            assertThrows(IllegalStateException.class, CudaDriver::driverVersion);
        }
    }
}
