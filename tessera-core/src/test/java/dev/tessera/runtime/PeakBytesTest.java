package dev.tessera.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;

/** The peak of live tensor memory counts temporaries that are gone by the time anyone looks, and starts again on a reset. */
class PeakBytesTest {
    @Test
    void thePeakRemembersWhatWasFreedAndAResetForgetsIt() {
        Device d = Device.cpu();
        Tensor.resetPeakBytes(d);
        long before = Tensor.liveBytes(d);
        assertEquals(before, Tensor.peakBytes(d), "a reset starts the peak at what is live");
        try (Tensor a = Tensor.empty(DType.F32, d, 1000); Tensor b = Tensor.empty(DType.F64, d, 3000)) {
            assertEquals(before + 4000 + 24000, Tensor.peakBytes(d));
        }
        try (Tensor c = Tensor.empty(DType.BF16, d, 500)) {
            assertEquals(before + 28000, Tensor.peakBytes(d), "a smaller allocation after the frees leaves the peak alone");
            Tensor.resetPeakBytes(d);
            assertEquals(before + 1000, Tensor.peakBytes(d));
        }
    }
}
