package dev.tessera.kernels.quant;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.BenchResult;
import dev.tessera.kernels.bench.BenchProviders;
import dev.tessera.kernels.bench.BenchSettings;
import dev.tessera.kernels.bench.BenchSuite;
import dev.tessera.kernels.bench.KernelBench;
import dev.tessera.runtime.Device;
import dev.tessera.types.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The quantization benchmarks are registered, and Tessera's provider runs each at a small size. */
class QuantBenchTest {

    @Test
    void everyQuantizationBenchmarkRuns() {
        List<KernelBench> quant = List.of(KernelBench.INT8_QUANTIZE, KernelBench.FP8_QUANTIZE, KernelBench.NF4_DEQUANTIZE,
                KernelBench.NF4_GEMV, KernelBench.Q4_0_DEQUANTIZE, KernelBench.Q4_0_GEMV, KernelBench.Q8_0_GEMV,
                KernelBench.INT8_GEMM, KernelBench.W8A16_GEMM, KernelBench.NF4_GEMM, KernelBench.FP8_GEMM);
        assertTrue(KernelBench.ALL.containsAll(quant));
        assertSame(KernelBench.Q4_0_GEMV, KernelBench.named("q4-0-gemv"));
        BenchSettings settings = BenchSettings.of(DType.BF16, Device.cpu()).withRows(8);
        for (KernelBench k : quant) {
            long x = k.isGemm() ? 64 : k.name().endsWith("gemv") ? 256 : k.name().endsWith("dequantize") ? 4096 : 384;
            BenchSuite suite = new BenchSuite(k, settings, BenchOptions.defaults().withFixedCounts(1, 2).withFlushCache(false));
            BenchResult r = suite.measure(BenchProviders.named("tessera"), x);
            assertTrue(r.medianMs() > 0, k.name());
            assertNotNull(BenchProviders.named("java").unsupported(new dev.tessera.kernels.bench.Problem(k, x, settings)), k.name());
            if (k.isGemm()) assertEquals(java.util.Map.of("layout", "A@W.T"), k.recordFields(settings), "the quantized GEMMs multiply by W.T");
        }
    }
}
