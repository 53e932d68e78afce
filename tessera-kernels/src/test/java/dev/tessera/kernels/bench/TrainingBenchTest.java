package dev.tessera.kernels.bench;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.BenchResult;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The training-step benchmarks run at their CPU sizes, free what they made, and report as their peak
 * extra memory exactly what the kernels must hold: the gradients and, for the fused linear
 * cross-entropy, one chunk's logits and a few values a token; for the LoRA MLP gate, up, the
 * recomputed activation and the [T, r] factors, never a [T, V] or second activation tensor.
 */
class TrainingBenchTest {
    private static final double MIB = 1048576.0;

    private static double peakExtraMiB(KernelBench kernel, long x, BenchSettings settings) {
        assertTrue(BenchProviders.named("java").unsupported(new Problem(kernel, x, settings)) != null, "no plain Java version");
        BenchSuite suite = new BenchSuite(kernel, settings, BenchOptions.defaults().withFixedCounts(1, 2).withFlushCache(false));
        long live = Tensor.liveBytes(Device.cpu());
        BenchResult r = suite.measure(BenchProviders.named("tessera"), x);
        assertTrue(r.medianMs() > 0);
        assertEquals(live, Tensor.liveBytes(Device.cpu()), "the workload freed everything it made");
        String note = suite.notes().get("tessera").get(x);
        Matcher m = Pattern.compile("peak extra ([0-9.]+) MiB").matcher(note);
        assertTrue(m.find(), note);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void fusedLinearCrossEntropyHoldsTheGradientsAndOneChunk() {
        assertSame(KernelBench.FUSED_LINEAR_CROSS_ENTROPY, KernelBench.named("flce"));
        BenchSettings s = BenchSettings.of(DType.BF16, Device.cpu());
        long[] dims = KernelBench.FUSED_LINEAR_CROSS_ENTROPY.dims(64, s);
        assertArrayEquals(new long[] {64, 128, 2048}, dims);
        // dH [64, 128] and dW [2048, 128] in bf16; Liger's chunk of ⌈64 / ⌈2048/128⌉⌉ = 4 tokens: logits [4, 2048], a column of ones;
        // cross-entropy's workspace, one f32 a token and 8 bytes
        double expected = (2.0 * (64 * 128 + 2048 * 128) + 2.0 * (4 * 2048 + 4) + 4 * 64 + 8) / MIB;
        assertEquals(expected, peakExtraMiB(KernelBench.FUSED_LINEAR_CROSS_ENTROPY, 64, s), 1e-3);
    }

    @Test
    void loraMlpHoldsGateUpTheActivationAndTheFactors() {
        assertSame(KernelBench.LORA_MLP, KernelBench.named("lora"));
        BenchSettings s = BenchSettings.of(DType.F32, Device.cpu());
        assertArrayEquals(new long[] {64, 128, 352, 16}, KernelBench.LORA_MLP.dims(64, s));
        long t = 64, d = 128, i = 352, r = 16;
        long grads = t * d + 3 * (r * d + i * r);   // dX; dA and dB of gate, up (A [r, d], B [I, r]) and down (A [r, I], B [d, r]): as many values
        long forward = t * d + 2 * t * i + 3 * t * r;   // out, gate, up and the three factors
        long backward = t * i + t * r;   // the recomputed activation (then its gradient) and one dXA
        assertEquals(4.0 * (grads + forward + backward) / MIB, peakExtraMiB(KernelBench.LORA_MLP, 64, s), 1e-3);
    }
}
