package dev.tessera.kernels.matmul;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.autotune.Autotuner;
import dev.tessera.autotune.TuningCache;
import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.Benchmarker;
import dev.tessera.bench.Progress;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The matmul kernel's i8 (i32-accumulating) variant, B given as Wᵀ, and configs written as text. */
class MatmulVariantsTest {

    @TempDir Path cache;

    @Test
    void i8InputsAccumulateExactlyInI32() {
        int m = 70, n = 50, k = 90;
        try (Tensor a = Tensor.randint(DType.I8, 21, -128, 128, Device.cpu(), m, k); Tensor b = Tensor.randint(DType.I8, 22, -128, 128, Device.cpu(), k, n);
             Tensor c = Tensor.full(DType.I32, -1, Device.cpu(), m, n)) {
            Matmul.matmul(a, b, c, MatmulConfig.DEFAULT, true);
            long[] av = a.toLongArray(), bv = b.toLongArray(), got = c.toLongArray();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    long s = 0;
                    for (int p = 0; p < k; p++) s += av[i * k + p] * bv[p * n + j];
                    assertEquals(s, got[i * n + j], "c[" + i + "," + j + "]");
                }
            }
        }
    }

    @Test
    void bGivenAsTheTransposeOfARowMajorWeight() {
        int m = 33, n = 47, k = 65;
        try (Tensor a = Tensor.randn(DType.F32, 23, Device.cpu(), m, k); Tensor w = Tensor.randn(DType.F32, 24, Device.cpu(), n, k);
             Tensor b = w.transpose(0, 1); Tensor c = Tensor.full(DType.F32, Double.NaN, Device.cpu(), m, n)) {
            assertArrayEquals(new long[] {1, k}, b.strides(), "W.T reads B with strides (1, K)");
            Matmul.matmul(a, b, c, new MatmulConfig(32, 64, 32, 4, 4, 3), true);
            double[] av = a.toDoubleArray(), wv = w.toDoubleArray(), got = c.toDoubleArray();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0, mag = 0;
                    for (int p = 0; p < k; p++) {
                        s += av[i * k + p] * wv[j * k + p];
                        mag += Math.abs(av[i * k + p] * wv[j * k + p]);
                    }
                    assertEquals(s, got[i * n + j], 1e-6 * mag + 1e-6, "c[" + i + "," + j + "]");
                }
            }
        }
    }

    @Test
    void aTransposedBTunesApartFromARowMajorOne() {
        Autotuner tuner = MatmulTuning.TUNER.toBuilder().cache(TuningCache.at(cache)).progress(Progress.Mode.NONE)
                .benchmarker(Benchmarker.of(BenchOptions.defaults().withFlushCache(false).withFixedCounts(0, 1))).build();
        int s = 48;
        try (Tensor a = Tensor.randn(DType.F32, 25, Device.cpu(), s, s); Tensor b = Tensor.randn(DType.F32, 26, Device.cpu(), s, s);
             Tensor bt = b.transpose(0, 1); Tensor c = Tensor.empty(DType.F32, Device.cpu(), s, s)) {
            Matmul.tuned(tuner, a, b, c, true);
            Matmul.tuned(tuner, a, bt, c, true);
        }
        assertEquals(2, tuner.results().size(), "two keys: " + tuner.results().keySet());
    }

    @Test
    void configsParseFromTextAndBadOnesSayWhy() {
        assertEquals(new MatmulConfig(128, 256, 64, 8, 8, 3), MatmulConfig.parse("BM=128,BN=256,BK=64,GROUP=8,warps=8,stages=3"));
        assertEquals(new MatmulConfig(64, 64, 32, 8, 4, 3), MatmulConfig.parse("BM=64 BN=64 BK=32"));
        MatmulConfig c = new MatmulConfig(128, 128, 64, 8, 4, 4);
        assertEquals(c, MatmulConfig.parse(c.toTuned().toString()), "what the tuner prints parses back: " + c.toTuned());
        MatmulConfig streamK = c.withStreamK(true);
        assertEquals(streamK, MatmulConfig.parse(streamK.toTuned().toString()), "stream-K too: " + streamK.toTuned());
        assertEquals(streamK, MatmulConfig.parse("BM=128,BN=128,BK=64,warps=4,stages=4,STREAM_K=1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MatmulConfig.parse("BM=64,BN=64,BK=32,SPLIT=2,STREAM_K=1")).getMessage()
                .contains("STREAM_K=1 takes no SPLIT"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MatmulConfig.parse("BM=100,BN=64,BK=32")).getMessage()
                .contains("BM=100 must be a power of 2"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MatmulConfig.parse("BM=64,BN=64")).getMessage().contains("lacks BK"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MatmulConfig.parse("BM=64,BN=64,BK=32,XX=1")).getMessage()
                .contains("bad matmul config item 'XX=1'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MatmulConfig.parse("BM=64,BN=64,BK=32,warps=3")).getMessage()
                .contains("numWarps must be a power of 2"));
    }
}
