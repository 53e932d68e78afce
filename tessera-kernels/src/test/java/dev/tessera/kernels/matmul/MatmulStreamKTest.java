package dev.tessera.kernels.matmul;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The persistent matmul with stream-K on every device, against float64 of the same 16-bit operands:
 * output tiles fewer than the programs, between one and two waves of them, a whole number of waves
 * and a ragged third wave (so runs of K steps share tiles two and more ways, or hold them whole),
 * ragged M, N and K, both layouts of B, a poisoned C; and launched twice, since the arrival
 * counters the first launch leaves must be back at 0. On the CPU also on 13 programs (more than
 * its cores), so that runs share tiles several ways.
 */
@ExtendWith(SeedExtension.class)
class MatmulStreamKTest {

    /** Blockings: a small one for the CPU, and on a GPU every blocking the tuner tries with stream-K. */
    static List<MatmulConfig> configs(Device d) {
        List<MatmulConfig> out = new ArrayList<>(List.of(new MatmulConfig(32, 32, 32, 4, 4, 2).withStreamK(true)));
        if (!d.backend().equals("cpu")) out.addAll(MatmulTuning.STREAM_K_CONFIGS);
        return out;
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void matchesFloat64(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        // the device's programs, and on the CPU (a few cores) more, so that runs share tiles many ways
        int[] programCounts = d.backend().equals("cpu") || d.info().multiprocessors() < 8 ? new int[] {d.info().multiprocessors(), 13}
                : new int[] {d.info().multiprocessors()};
        for (int programs : programCounts) for (MatmulConfig cfg : configs(d)) {
            // tiles of 3 rows of tiles by `across` columns: fewer than the programs, 1-2 waves, exactly 2, and 3 ragged
            for (long tiles : new long[] {Math.max(1, programs / 2), programs + 2, 2L * programs, 3L * programs - 1}) {
                int across = (int) ((tiles + 2) / 3);
                // ragged edges (a descriptor's rows stay multiples of 8 elements); K steps: 8, the last ragged
                int m = 3 * cfg.bm() - 5, n = across * cfg.bn() - 8, k = 7 * cfg.bk() + 8;
                for (boolean transposed : new boolean[] {false, true}) {
                    try (Tensor a = Tensor.randn(DType.BF16, seed, d, m, k);
                         Tensor w = transposed ? Tensor.randn(DType.BF16, seed + 1, d, n, k) : Tensor.randn(DType.BF16, seed + 1, d, k, n);
                         Tensor c = Tensor.full(DType.F32, Double.NaN, d, m, n)) {
                        Tensor b = transposed ? w.transpose(0, 1) : w;
                        double[] ref = MatmulDescriptorsTest.reference(a, w, transposed);
                        for (int launch = 1; launch <= (transposed ? 1 : 2); launch++) {
                            c.fill(Double.NaN);
                            Matmul.throughDescriptors(a, b, c, cfg, programs);
                            Check.close(ref, c.toDoubleArray(), Tolerance.of(DType.F32).scaled(100), m + "x" + n + "x" + k + (transposed ? " x·Wᵀ" : " A·B")
                                    + " with " + cfg + ", " + 3 * across + " tiles on " + programs + " programs, launch " + launch + " on " + d);
                        }
                    }
                }
            }
        }
    }

    @Test
    void streamKIsTriedWhereTheLastWaveLeavesMultiprocessorsIdle() {
        assertTrue(MatmulTuning.streamKWorthTrying(344, 132), "512 x 11008 in 128 x 128: 2.6 waves");
        assertTrue(MatmulTuning.streamKWorthTrying(32, 132), "128 x 4096 in 128 x 128: a quarter of a wave");
        assertFalse(MatmulTuning.streamKWorthTrying(264, 132), "two whole waves");
        assertFalse(MatmulTuning.streamKWorthTrying(1376, 132), "4096 x 11008 in 256 x 128: 10.4 waves, 5 % idle");
    }
}
