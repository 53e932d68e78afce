package dev.tessera.kernels;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.autotune.Autotuner;
import dev.tessera.autotune.Config;
import dev.tessera.autotune.TuningCache;
import dev.tessera.autotune.TuningResult;
import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.Benchmarker;
import dev.tessera.bench.Progress;
import dev.tessera.kernels.activation.Softmax;
import dev.tessera.kernels.decode.Gemv;
import dev.tessera.kernels.matmul.Matmul;
import dev.tessera.kernels.matmul.MatmulConfig;
import dev.tessera.kernels.matmul.MatmulTuning;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AutotunedKernelsTest {

    @TempDir Path cache;

    static final Benchmarker QUICK = Benchmarker.of(BenchOptions.defaults().withFlushCache(false).withFixedCounts(1, 3));

    Autotuner quick(Autotuner t) {
        return t.toBuilder().benchmarker(QUICK).cache(TuningCache.at(cache)).progress(Progress.Mode.NONE).build();
    }

    static double[] softmaxRef(double[] in, int rows, int cols) {
        double[] ref = new double[in.length];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < cols; j++) max = Math.max(max, in[r * cols + j]);
            for (int j = 0; j < cols; j++) sum += Math.exp(in[r * cols + j] - max);
            for (int j = 0; j < cols; j++) ref[r * cols + j] = Math.exp(in[r * cols + j] - max) / sum;
        }
        return ref;
    }

    @Test
    void tunedSoftmaxMatchesTheReferenceForOddShapes() {
        Autotuner tuner = quick(Softmax.TUNER);
        for (int[] shape : new int[][] {{37, 1000}, {5, 3000}, {129, 17}}) {
            int rows = shape[0], cols = shape[1];
            try (Tensor x = Tensor.randn(DType.F32, 11, Device.cpu(), rows, cols);
                 Tensor out = Tensor.full(DType.F32, Double.NaN, Device.cpu(), rows, cols)) {
                Softmax.tuned(tuner, x, out);
                double[] ref = softmaxRef(x.toDoubleArray(), rows, cols), got = out.toDoubleArray();
                for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 1e-6, rows + "x" + cols + " at " + i);
            }
        }
        assertEquals(3, tuner.results().size(), "one tuning per shape");
        for (TuningResult r : tuner.results().values()) {
            // On the CPU each ROWS is timed once; ROWS beyond the row count or the tile limit are pruned.
            assertTrue(r.timed().size() >= 1 && r.timed().size() <= 5, r.table().toString());
            assertTrue(r.skipped().stream().anyMatch(t -> t.skipped().contains("ignores warps and stages")), r.table().toString());
        }
    }

    @Test
    void tunedSoftmaxThroughTheDefaultTuner() {
        try (Tensor x = Tensor.randn(DType.F32, 12, Device.cpu(), 64, 300); Tensor out = Softmax.tuned(x)) {
            double[] ref = softmaxRef(x.toDoubleArray(), 64, 300), got = out.toDoubleArray();
            for (int i = 0; i < ref.length; i++) assertEquals(ref[i], got[i], 1e-6);
        }
        assertTrue(Softmax.TUNER.cache().dir().startsWith(Path.of(System.getProperty("tessera.cache.dir"))),
                "tests keep tuning results under target/: " + Softmax.TUNER.cache().dir());
    }

    @Test
    void tunedGemvMatchesTheReference() {
        Autotuner tuner = quick(Gemv.TUNER);
        int m = 203, k = 777, tokens = 3;
        try (Tensor w = Tensor.randn(DType.F32, 15, Device.cpu(), m, k); Tensor x = Tensor.randn(DType.F32, 16, Device.cpu(), tokens, k);
             Tensor y = Tensor.full(DType.F32, Double.NaN, Device.cpu(), tokens, m)) {
            Gemv.tuned(tuner, w, x, null, null, y);
            double[] wv = w.toDoubleArray(), xv = x.toDoubleArray(), got = y.toDoubleArray();
            for (int t = 0; t < tokens; t++) {
                for (int r = 0; r < m; r++) {
                    double s = 0, scale = 0;
                    for (int j = 0; j < k; j++) {
                        s += wv[r * k + j] * xv[t * k + j];
                        scale += Math.abs(wv[r * k + j] * xv[t * k + j]);
                    }
                    assertEquals(s, got[t * m + r], 1e-6 * scale, "token " + t + ", row " + r);
                }
            }
        }
        assertEquals(1, tuner.results().size(), "one tuning for the shape");
    }

    @Test
    void tunedMatmulMatchesTheReferenceAndPrunesOversizedTiles() {
        Autotuner tuner = quick(MatmulTuning.TUNER);
        int m = 70, n = 50, k = 90;
        try (Tensor a = Tensor.randn(DType.F32, 13, Device.cpu(), m, k); Tensor b = Tensor.randn(DType.F32, 14, Device.cpu(), k, n);
             Tensor c = Tensor.full(DType.F32, Double.NaN, Device.cpu(), m, n)) {
            Matmul.tuned(tuner, a, b, c, true);
            double[] av = a.toDoubleArray(), bv = b.toDoubleArray(), got = c.toDoubleArray();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += av[i * k + p] * bv[p * n + j];
                    assertEquals(s, got[i * n + j], 1e-4, "c[" + i + "," + j + "]");
                }
            }
            TuningResult r = tuner.results().values().iterator().next();
            assertTrue(r.key().contains("M=70 N=50 K=90"), r.key());
            assertTrue(r.key().contains("IEEE=true"), r.key());
            assertTrue(r.skipped().stream().anyMatch(t -> t.config().intValue("BM") == 128 && t.skipped().equals("pruned by the prune hook")),
                    "tiles far larger than a 70x50 output are pruned:\n" + r.table());
            MatmulConfig best = MatmulConfig.of(r.best());
            assertEquals(r.best(), best.toTuned());
        }
    }

    @Test
    void matmulConfigsSkipWhatDoesNotFitSharedMemory() {
        Autotuner tuner = quick(MatmulTuning.TUNER).toBuilder().limits(java.util.Map.of("sharedMemoryPerBlock", 48L * 1024))
                .launchOptionsMatter(d -> true).build();
        int s = 256;
        try (Tensor a = Tensor.randn(DType.F32, 15, Device.cpu(), s, s); Tensor b = Tensor.randn(DType.F32, 16, Device.cpu(), s, s);
             Tensor c = Tensor.zeros(DType.F32, Device.cpu(), s, s)) {
            Matmul.tuned(tuner, a, b, c, true);
            TuningResult r = tuner.results().values().iterator().next();
            Config big = MatmulTuning.CONFIGS.getFirst();   // 128x256x64, 3 stages: 288 KiB of f32 tiles
            String why = r.trials().stream().filter(t -> t.config().equals(big)).findFirst().orElseThrow().skipped();
            assertTrue(why.contains("sharedMemoryPerBlock"), why);
        }
    }
}
