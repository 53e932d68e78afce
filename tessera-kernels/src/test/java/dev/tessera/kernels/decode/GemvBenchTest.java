package dev.tessera.kernels.decode;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.BenchResult;
import dev.tessera.kernels.bench.BenchProviders;
import dev.tessera.kernels.bench.BenchSettings;
import dev.tessera.kernels.bench.BenchSuite;
import dev.tessera.kernels.bench.KernelBench;
import dev.tessera.kernels.bench.MatmulShape;
import dev.tessera.runtime.Device;
import dev.tessera.types.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The GEMV benchmark is registered and runs one token of a square matrix, and the TxNxK problems of --shapes. */
class GemvBenchTest {

    @Test
    void theGemvBenchmarkRunsSquareAndListedProblems() {
        assertSame(KernelBench.GEMV, KernelBench.named("gemv"));
        BenchOptions quick = BenchOptions.defaults().withFixedCounts(1, 2).withFlushCache(false);
        BenchSettings square = BenchSettings.of(DType.BF16, Device.cpu());
        assertArrayEquals(new long[] {1, 256, 256}, KernelBench.GEMV.dims(256, square));
        BenchResult r = new BenchSuite(KernelBench.GEMV, square, quick).measure(BenchProviders.named("tessera"), 256);
        assertTrue(r.medianMs() > 0);

        BenchSettings listed = square.withShapes(List.of(new MatmulShape(3, 300, 200)));
        assertArrayEquals(new long[] {3, 300, 200}, KernelBench.GEMV.dims(1, listed));
        assertEquals(2.0 * (300 * 200 + 3 * 200 + 3 * 300) / 1e6, KernelBench.GEMV.metric(listed).apply(1, 1.0), 1e-9, "GB/s of W, x and y once each in 1 ms");
        assertTrue(new BenchSuite(KernelBench.GEMV, listed, quick).measure(BenchProviders.named("tessera"), 1).medianMs() > 0);
        assertEquals(java.util.Map.of("layout", "A@W.T"), KernelBench.GEMV.recordFields(listed));
    }
}
