package dev.tessera.kernels.loss;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.BenchResult;
import dev.tessera.kernels.bench.BenchProviders;
import dev.tessera.kernels.bench.BenchSettings;
import dev.tessera.kernels.bench.BenchSuite;
import dev.tessera.kernels.bench.KernelBench;
import dev.tessera.kernels.bench.Problem;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;

/** The cross-entropy benchmark is registered, runs at a small size, and says the extra memory it took. */
class CrossEntropyBenchTest {

    @Test
    void theBenchmarkRunsAndReportsItsWorkspace() {
        assertSame(KernelBench.CROSS_ENTROPY, KernelBench.named("crossentropy"));
        BenchSettings settings = BenchSettings.of(DType.BF16, Device.cpu()).withRows(256);
        BenchSuite suite = new BenchSuite(KernelBench.CROSS_ENTROPY, settings, BenchOptions.defaults().withFixedCounts(1, 2).withFlushCache(false));
        long live = Tensor.liveBytes(Device.cpu());
        BenchResult r = suite.measure(BenchProviders.named("tessera"), 1000);
        assertTrue(r.medianMs() > 0);
        // 256 rows: one f32 loss per row, the count and the total
        assertTrue(suite.notes().get("tessera").get(1000L).contains("extra 0.001 MiB"), suite.notes().toString());
        assertEquals(live, Tensor.liveBytes(Device.cpu()), "the workload freed its logits, labels and workspace");
        assertNotNull(BenchProviders.named("java").unsupported(new Problem(KernelBench.CROSS_ENTROPY, 1000, settings)));
    }
}
