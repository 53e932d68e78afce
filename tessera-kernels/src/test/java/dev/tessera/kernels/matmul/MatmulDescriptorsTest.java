package dev.tessera.kernels.matmul;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The matmul through tensor descriptors on every device, against float64 of the same 16-bit
 * operands: B row-major and B = Wᵀ, sizes that are no multiple of any block (the descriptors read
 * zeros past the edges), a poisoned C; bad operands refused with the reason.
 */
@ExtendWith(SeedExtension.class)
class MatmulDescriptorsTest {

    /** Blockings: a small one for the CPU, and on a GPU the wgmma shapes (the TMA path on sm_90). */
    static MatmulConfig[] configs(Device d) {
        MatmulConfig small = new MatmulConfig(64, 64, 32, 8, 4, 3);
        return d.backend().equals("cpu") ? new MatmulConfig[] {small}
                : new MatmulConfig[] {small, new MatmulConfig(128, 128, 64, 8, 8, 3), new MatmulConfig(128, 256, 64, 8, 8, 4)};
    }

    /** a·b in float64 of the rounded operands, b being w or (transposed) wᵀ. */
    static double[] reference(Tensor a, Tensor w, boolean transposed) {
        int m = (int) a.shape(0), k = (int) a.shape(1), n = (int) (transposed ? w.shape(0) : w.shape(1));
        double[] av = a.toDoubleArray(), wv = w.toDoubleArray(), ref = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) ref[i * n + j] += av[i * k + p] * (transposed ? wv[j * k + p] : wv[p * n + j]);
            }
        }
        return ref;
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void matchesFloat64(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        int m = 300, n = 264, k = 200;
        for (DType t : new DType[] {DType.BF16, DType.F16}) {
            for (boolean transposed : new boolean[] {false, true}) {
                for (MatmulConfig cfg : configs(d)) {
                    // persistent: a program a multiprocessor (on the CPU a core) walks the 25 tiles of the small blocking
                    for (boolean persistent : new boolean[] {false, true}) {
                        try (Tensor a = Tensor.randn(t, seed, d, m, k); Tensor w = transposed ? Tensor.randn(t, seed + 1, d, n, k) : Tensor.randn(t, seed + 1, d, k, n);
                             Tensor c = Tensor.full(DType.F32, Double.NaN, d, m, n)) {
                            Tensor b = transposed ? w.transpose(0, 1) : w;
                            if (persistent) Matmul.persistentThroughDescriptors(a, b, c, cfg);
                            else Matmul.throughDescriptors(a, b, c, cfg);
                            Check.close(reference(a, w, transposed), c.toDoubleArray(), Tolerance.of(DType.F32).scaled(100),
                                    t + " " + (transposed ? "x·Wᵀ" : "A·B") + " with " + cfg + (persistent ? ", persistent" : "") + " on " + d);
                        }
                    }
                }
            }
        }
    }

    /** The tuner makes each config's descriptors in blocks of its own tile: two blockings tried, both layouts, the result right. */
    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void theTunerMakesEachConfigsDescriptors(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        var tuner = MatmulTuning.DESCRIPTOR_TUNER.toBuilder()
                .replaceConfigs(java.util.List.of(dev.tessera.autotune.Config.of("BM", 32, "BN", 64, "BK", 32, "GROUP", 8).warps(4).stages(2),
                        dev.tessera.autotune.Config.of("BM", 64, "BN", 32, "BK", 64, "GROUP", 4).warps(4).stages(3)))
                .cache(dev.tessera.autotune.TuningCache.disabled()).progress(dev.tessera.bench.Progress.Mode.NONE)
                .benchmarker(dev.tessera.bench.Benchmarker.of(dev.tessera.bench.BenchOptions.defaults().withFlushCache(false).withFixedCounts(0, 1)))
                .build();
        int m = 100, n = 72, k = 136;
        for (boolean transposed : new boolean[] {false, true}) {
            try (Tensor a = Tensor.randn(DType.BF16, seed, d, m, k); Tensor w = transposed ? Tensor.randn(DType.BF16, seed + 1, d, n, k) : Tensor.randn(DType.BF16, seed + 1, d, k, n);
                 Tensor c = Tensor.full(DType.F32, Double.NaN, d, m, n)) {
                Tensor b = transposed ? w.transpose(0, 1) : w;
                Matmul.tunedThroughDescriptors(tuner, a, b, c);
                Check.close(reference(a, w, transposed), c.toDoubleArray(), Tolerance.of(DType.F32).scaled(100), "tuned, B transposed " + transposed + " on " + d);
            }
        }
        assertTrue(tuner.results().size() == 2, "one key a layout: " + tuner.results().keySet());
    }

    /**
     * Where the device copies descriptors' blocks (TMA), {@code Matmul.tuned} tunes the pointer and
     * the descriptor kernels and keeps the faster: right either way, for operands that can be
     * described (K 200) and for ones that cannot (K 201: rows off a 16-byte boundary), both layouts.
     */
    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void theTunedMatmulIsRightOnEitherRoute(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        org.junit.jupiter.api.Assumptions.assumeTrue(d.info().tensorCopies(), () -> d + " does not copy descriptors' blocks in hardware");
        int m = 300, n = 264;
        for (int k : new int[] {200, 201}) {
            for (boolean transposed : new boolean[] {false, true}) {
                try (Tensor a = Tensor.randn(DType.BF16, seed, d, m, k); Tensor w = transposed ? Tensor.randn(DType.BF16, seed + 1, d, n, k)
                        : Tensor.randn(DType.BF16, seed + 1, d, k, n); Tensor c = Tensor.full(DType.F32, Double.NaN, d, m, n)) {
                    Matmul.tuned(a, transposed ? w.transpose(0, 1) : w, c, false);
                    Check.close(reference(a, w, transposed), c.toDoubleArray(), Tolerance.of(DType.F32).scaled(100),
                            "tuned, K " + k + (transposed ? ", x·Wᵀ" : ", A·B") + " on " + d);
                }
            }
        }
    }

    @Test
    void refusesWhatDescriptorsCannotDescribe() {
        Device d = Device.cpu();
        MatmulConfig cfg = new MatmulConfig(64, 64, 32, 8, 4, 3);
        try (Tensor a = Tensor.randn(DType.F32, 1, d, 64, 64); Tensor b = Tensor.randn(DType.F32, 2, d, 64, 64); Tensor c = Tensor.empty(DType.F32, d, 64, 64)) {
            String why = assertThrows(IllegalArgumentException.class, () -> Matmul.throughDescriptors(a, b, c, cfg)).getMessage();
            assertTrue(why.contains("f16 or bf16"), why);
        }
        // rows of 100 bf16 elements are 200 bytes: not a multiple of 16
        try (Tensor a = Tensor.randn(DType.BF16, 1, d, 64, 100); Tensor b = Tensor.randn(DType.BF16, 2, d, 100, 64); Tensor c = Tensor.empty(DType.F32, d, 64, 64)) {
            // refused at launch, naming the launching line and the argument
            String why = assertThrows(RuntimeException.class, () -> Matmul.throughDescriptors(a, b, c, cfg)).getMessage();
            assertTrue(why.startsWith("Matmul.java:") && why.contains("argument a") && why.contains("multiple of 16 bytes"), why);
        }
    }
}
