package dev.tessera.kernels.attention;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.BenchResult;
import dev.tessera.kernels.bench.BenchProviders;
import dev.tessera.kernels.bench.BenchSettings;
import dev.tessera.kernels.bench.BenchSuite;
import dev.tessera.kernels.bench.KernelBench;
import dev.tessera.kernels.bench.Problem;
import dev.tessera.runtime.Device;
import dev.tessera.types.DType;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The attention benchmarks: FlashAttention-2's problem sizes and FLOP counts (4·B·N²·H·D forward,
 * halved when causal, 2.5 times that backward), and Tessera's provider runs both passes.
 */
class AttentionBenchTest {

    @Test
    void sizesAndFlopsAreFlashAttentionsOnTheGpu() {
        BenchSettings gpu = BenchSettings.of(DType.F16, new Device("cuda", 0)).withHeadDim(128);
        assertArrayEquals(new long[] {4, 16, 4096, 128}, KernelBench.ATTENTION.dims(4096, gpu), "B·N = 16k, H·D = 2048");
        assertArrayEquals(new long[] {1024, 2048, 4096, 8192, 16384}, KernelBench.ATTENTION.defaultSizes(gpu.device()));
        double flops = 4.0 * 4 * 4096L * 4096 * 16 * 128, ms = 2;
        assertEquals(flops / ms / 1e9, KernelBench.ATTENTION.metric(gpu).apply(4096, ms), 1e-9 * flops);
        assertEquals(flops / 2 / ms / 1e9, KernelBench.ATTENTION.metric(gpu.withCausal(true)).apply(4096, ms), 1e-9 * flops);
        assertEquals(2.5 * flops / ms / 1e9, KernelBench.ATTENTION_BACKWARD.metric(gpu).apply(4096, ms), 1e-9 * flops);
        assertEquals(Map.of("causal", true), KernelBench.ATTENTION.recordFields(gpu.withCausal(true)));
        assertEquals(Map.of("causal", false, "deterministic", true), KernelBench.ATTENTION_BACKWARD.recordFields(gpu.withDeterministic(true)));
    }

    @Test
    void tesseraRunsBothPasses() {
        BenchSettings settings = BenchSettings.of(DType.BF16, Device.cpu()).withHeadDim(64).withCausal(true);
        for (KernelBench k : new KernelBench[] {KernelBench.ATTENTION, KernelBench.ATTENTION_BACKWARD}) {
            BenchSuite suite = new BenchSuite(k, settings, BenchOptions.defaults().withFixedCounts(1, 1).withFlushCache(false));
            BenchResult r = suite.measure(BenchProviders.named("tessera"), 64);
            assertTrue(r.medianMs() > 0, k.name());
            assertNotNull(BenchProviders.named("tessera").unsupported(new Problem(k, 64, BenchSettings.of(DType.F32, Device.cpu()))), "f32");
        }
    }
}
