package dev.tessera.kernels.matmul;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Split K (serial: the last program of a tile sums the slices) against float64 products: ragged M,
 * N and K (K steps that the split does not divide, a last slice with fewer steps), twice in a row
 * (the arrival counters must be back at 0 after a launch), and the splits the tuner may try.
 */
@ExtendWith(SeedExtension.class)
class MatmulSplitKTest {

    static Stream<Arguments> cases() {
        // bf16 on 64 x 128 tiles and 4 warps (one warpgroup: wgmma on sm_90a), f32 in full precision on small tiles
        return TestDevices.all().flatMap(d -> Stream.of(
                Arguments.of(d, DType.BF16, new MatmulConfig(64, 128, 64, 8, 4, 4, 4), false),
                Arguments.of(d, DType.F32, new MatmulConfig(32, 64, 32, 4, 4, 2, 3), true)));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void slicesOfKSumToTheProduct(Device device, DType t, MatmulConfig cfg, boolean ieee, @Seed long seed) {
        Device d = TestDevices.require(device);
        int m = 70, n = 150, k = 9 * cfg.bk() + 13;   // ten K steps: slices of 3, 3, 3 and 1 (split 4), or 4, 4 and 2
        try (Tensor a = Tensor.randn(t, seed, d, m, k); Tensor b = Tensor.randn(t, seed + 1, d, k, n)) {
            double[] av = a.toDoubleArray(), bv = b.toDoubleArray();
            for (int round = 0; round < 2; round++) {
                try (Tensor c = Tensor.full(DType.F32, Double.NaN, d, m, n)) {
                    Matmul.matmul(a, b, c, cfg, ieee);
                    double[] got = c.toDoubleArray();
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = 0, mag = 0;
                            for (int p = 0; p < k; p++) {
                                s += av[i * k + p] * bv[p * n + j];
                                mag += Math.abs(av[i * k + p] * bv[p * n + j]);
                            }
                            String where = "launch " + round + ", c[" + i + "," + j + "] with " + cfg;
                            assertEquals(s, got[i * n + j], 1e-5 * mag + 1e-6, where);
                        }
                    }
                }
            }
        }
    }

    @Test
    void integerOperandsAreNotSplit() {
        try (Tensor a = Tensor.zeros(DType.I8, Device.cpu(), 16, 64); Tensor b = Tensor.zeros(DType.I8, Device.cpu(), 64, 16);
             Tensor c = Tensor.zeros(DType.I32, Device.cpu(), 16, 16)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Matmul.matmul(a, b, c, new MatmulConfig(16, 16, 16, 1, 4, 1, 2), true));
            assertTrue(e.getMessage().contains("SPLIT=2 takes float operands"), e.getMessage());
        }
    }

    @Test
    void theTunerTriesSplitsOnlyForOutputsOfFewTilesOnAGpu() {
        try (Tensor a = Tensor.zeros(DType.BF16, Device.cpu(), 64, 4096); Tensor b = Tensor.zeros(DType.BF16, Device.cpu(), 4096, 4096);
             Tensor c = Tensor.zeros(DType.BF16, Device.cpu(), 64, 4096)) {
            MatmulLaunch l = MatmulLaunch.of(a, b, c);
            assertFalse(MatmulTuning.splitWorthTrying(l, new MatmulConfig(64, 128, 64, 8, 4, 4, 4)), "not on the CPU");
        }
        assertTrue(MatmulTuning.splitWorthTrying(32, 64, 4), "64 x 4096 x 4096 in 64 x 128 tiles: 32 tiles, 128 programs");
        assertFalse(MatmulTuning.splitWorthTrying(2048, 64, 2), "4096 x 4096: the tiles fill the GPU");
        assertFalse(MatmulTuning.splitWorthTrying(100, 64, 8), "800 programs: more than four waves");
        assertFalse(MatmulTuning.splitWorthTrying(32, 16, 8), "slices of 2 K steps: shorter than the pipeline");
    }
}
