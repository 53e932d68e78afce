package dev.tessera.kernels.bench;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The matmul benchmark's shapes, sweeps, layouts and device-made inputs. */
class MatmulBenchInputsTest {

    @Test
    void shapesParseAndTheSweepsHoldTheLlmLayers() {
        assertEquals(List.of(new MatmulShape(4096, 4096, 4096), new MatmulShape(64, 11008, 4096)),
                MatmulShape.parseList("4096x4096x4096, 64X11008x4096"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MatmulShape.parseList("64x64")).getMessage()
                .contains("bad matmul shape '64x64': write MxNxK"));
        assertThrows(IllegalArgumentException.class, () -> MatmulShape.parseList("0x4x4"));
        assertEquals(16, MatmulShape.LLM.size());
        assertEquals("64x4096x4096", MatmulShape.LLM.getFirst().toString());
        assertTrue(MatmulShape.LLM.contains(new MatmulShape(4096, 128256, 4096)) && MatmulShape.LLM.contains(new MatmulShape(512, 4096, 11008)));
        assertEquals(List.of("1024x1024x1024", "4096x4096x4096", "8192x8192x8192"), MatmulShape.sweep("square").stream().map(Object::toString).toList());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MatmulShape.sweep("big")).getMessage().contains("choose square"));
    }

    @Test
    void listedShapesAreNumberedFromOneAndNameTheirLayout() {
        BenchSettings s = BenchSettings.of(DType.F16, Device.cpu()).withShapes(MatmulShape.parseList("64x32x16,8x8x8")).withBTransposed(true);
        assertArrayEquals(new long[] {1, 2}, KernelBench.MATMUL.listedSizes(s));
        assertEquals("64x32x16", KernelBench.MATMUL.shape(1, s));
        assertEquals("#", KernelBench.MATMUL.xName(s));
        assertEquals(2.0 * 64 * 32 * 16 / 1e9, KernelBench.MATMUL.metric(s).apply(1, 1000.0), 1e-12, "GFLOP/s of 2·M·N·K in one second");
        assertEquals(java.util.Map.of("layout", "A@W.T"), KernelBench.MATMUL.recordFields(s));
        assertEquals(java.util.Map.of("layout", "A@B"), KernelBench.MATMUL.recordFields(s.withBTransposed(false)));
        assertNull(KernelBench.SOFTMAX.listedSizes(s));
        assertEquals("tf32", BenchSettings.of(DType.F32, Device.cpu()).withIeee(false).dtypeLabel(KernelBench.MATMUL));
        assertEquals("f32", BenchSettings.of(DType.F32, Device.cpu()).dtypeLabel(KernelBench.MATMUL));
    }

    @Test
    void deviceMadeInputsCoverI8AndLookNormalForFloats() {
        try (Tensor b = BenchInputs.random(DType.I8, 7, Device.cpu(), 200, 500); Tensor f = BenchInputs.random(DType.F32, 7, Device.cpu(), 100_000)) {
            long[] v = b.toLongArray();
            long min = Long.MAX_VALUE, max = Long.MIN_VALUE;
            for (long x : v) {
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
            assertEquals(-128, min);
            assertEquals(127, max);
            double[] d = f.toDoubleArray();
            double mean = 0, sq = 0;
            for (double x : d) {
                mean += x;
                sq += x * x;
            }
            mean /= d.length;
            double sd = Math.sqrt(sq / d.length - mean * mean);
            assertEquals(0, mean, 0.02);
            assertEquals(1, sd, 0.02);
        }
    }
}
