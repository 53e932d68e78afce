package dev.tessera.learn.advanced;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.learn.Sources;
import dev.tessera.runtime.Device;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The advanced chapters run on the CPU and say what they should. */
class AdvancedChaptersTest {

    @Test
    void quantizationChapterRunsOnTheCpu() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Chapter.get("quantization").run(out, Device.cpu(), true);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("every GEMV matches float64 of its dequantized weights"), text);
        assertTrue(text.contains("every GEMM matches float64 of its dequantized operands"), text);
        assertTrue(text.contains("GGUF Q4_0") && text.contains("NF4, double-quantized") && text.contains("fp8 e4m3"), text);
        assertTrue(text.matches("(?s).*NF4 moves 3\\.[0-9]+x fewer bytes than bf16, Q4_0 3\\.[0-9]+x.*"), text);
        assertNotNull(Sources.of(Advanced03Quantization.class), "source bundled for --readme");
        assertNotNull(Sources.readme("advanced"), "advanced/README.md");
        assertEquals("quantization", Chapter.get("3").name());
    }

    @Test
    void fusedTrainingChapterRunsOnTheCpu() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Chapter.get("fused-training").run(out, Device.cpu(), true);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("both ways agree"), text);
        assertTrue(text.contains("2.0x fewer bytes"), text);
        assertNotNull(Sources.of(Advanced02FusedTraining.class), "source bundled for --readme");
        assertEquals("fused-training", Chapter.get("2").name());
    }

    @Test
    void fusionsSaveTheirBytesAndMemory() {
        int rows = 8, vocab = 3000, width = 500;
        Advanced02FusedTraining.Result r = Advanced02FusedTraining.measure(Device.cpu(), rows, vocab, width, true);
        assertEquals(4.0 * 2 * rows * vocab, r.unfusedLoss().bytes());
        assertEquals(2.0 * 2 * rows * vocab, r.fusedLoss().bytes());
        assertEquals(2L * 2 * rows * vocab + 4L * rows, r.unfusedLoss().extraBytes(), "probabilities, gradient and losses");
        assertEquals(4L * rows + 8, r.fusedLoss().extraBytes(), "the workspace alone");
        assertEquals(r.unfusedNorm().extraBytes(), r.fusedNorm().extraBytes(), "both keep h, y and rstd");
        assertTrue(Advanced02FusedTraining.difference(r.unfusedLoss().result(), r.fusedLoss().result()) < 2e-2);
        assertTrue(Math.abs(r.unfusedLoss().loss() - r.fusedLoss().loss()) < 1e-2 * Math.abs(r.fusedLoss().loss()));
        // SwiGLU: 14 passes against 8; autograd keeps silu(g), ds, du and dg, the fused backward writes over g and u
        assertEquals(14.0 * 2 * rows * width, r.unfusedGlu().bytes());
        assertEquals(8.0 * 2 * rows * width, r.fusedGlu().bytes());
        assertEquals(4L * 2 * rows * width, r.unfusedGlu().extraBytes());
        assertEquals(0, r.fusedGlu().extraBytes(), "in place: nothing of its own");
        assertTrue(Advanced02FusedTraining.difference(r.unfusedGlu().result(), r.fusedGlu().result()) < 2e-2);
        // the head (d 64, V 750, chunks of 1 token): all the logits and cross-entropy's workspace, against one chunk's and a column of ones
        Advanced02FusedTraining.MatmulSizes m = Advanced02FusedTraining.MatmulSizes.of(rows, vocab, width, true);
        assertEquals(new Advanced02FusedTraining.MatmulSizes(64, 750, 1, 125, 16), m);
        assertEquals(2L * rows * 750 + 4L * rows + 8, r.unfusedLinearLoss().extraBytes());
        assertEquals(2L * (750 + 1) + 4L * rows + 8, r.fusedLinearLoss().extraBytes());
        assertEquals(r.unfusedLinearLoss().bytes(), r.fusedLinearLoss().bytes(), "chunks save memory, not bytes");
        assertTrue(Math.abs(r.unfusedLinearLoss().loss() - r.fusedLinearLoss().loss()) < 1e-2 * Math.abs(r.fusedLinearLoss().loss()));
        assertTrue(Advanced02FusedTraining.difference(r.unfusedLinearLoss().result(), r.fusedLinearLoss().result()) < 2e-2);
        // LoRA (125 by 125, rank 16): X·Wᵀ and the low-rank term besides X·Aᵀ, against X·Aᵀ alone
        assertEquals(2L * (2 * rows * 125 + rows * 16), r.unfusedLora().extraBytes());
        assertEquals(2L * rows * 16, r.fusedLora().extraBytes());
        assertEquals(4 * 2.0 * rows * 125, r.unfusedLora().bytes() - r.fusedLora().bytes(), "four passes over the output fewer");
        assertTrue(Advanced02FusedTraining.difference(r.unfusedLora().result(), r.fusedLora().result()) < 2e-2);
    }

    @Test
    void flashAttentionChapterRunsOnTheCpu() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Chapter.get("flash-attention").run(out, Device.cpu(), true);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("online softmax matches the two-pass softmax"), text);
        assertTrue(text.contains("flash attention matches float64, forward and backward"), text);
        assertTrue(text.contains("16384") && text.contains("flash: log-sum-exp"), text);
        assertEquals("flash-attention", Chapter.get("1").name());
        assertNotNull(Sources.of(Advanced01FlashAttention.class), "source bundled for --readme");
    }

    @Test
    void theOnlineSoftmaxRescalesWhatItSummed() {
        double[] s = {1, 5, -2, 0, 7, 3, 3};
        Advanced01FlashAttention.Walk w = Advanced01FlashAttention.onlineSoftmax(s, 3);
        assertArrayEquals(new double[] {5, 7, 7}, w.maxima());
        assertArrayEquals(w.twoPass(), w.online(), 1e-15);
        double l = 0;
        for (double x : s) l += Math.exp(x - 7);
        assertEquals(l, w.sums()[2], 1e-12);
    }

    @Test
    void measureCountsTheBytesOfEachGemv() {
        Advanced03Quantization.Result r = Advanced03Quantization.measure(Device.cpu(), 64, 256, true);
        assertEquals(6, r.formats().size());
        double vectors = 2.0 * 256 + 2.0 * 64;
        assertEquals(2.0 * 64 * 256 + vectors, r.gemvs().get(0).bytes());
        assertEquals(64 * 256 * (0.5 + 4.0 / 64) + vectors, r.gemvs().get(1).bytes());
        assertEquals(64 * 256 * 18.0 / 32 + vectors, r.gemvs().get(2).bytes());
        for (Advanced03Quantization.Gemv g : r.gemvs()) assertTrue(g.maxRelativeError() < 1e-2 && g.ms() > 0, g.toString());
        for (Advanced03Quantization.Format f : r.formats()) assertTrue(f.relativeError() > 0 && f.relativeError() < 0.2, f.toString());
    }

    @Test
    void prefillIsBoundByBytesForFewTokensAndByFlopsForMany() {
        double bf16 = Advanced03Quantization.floorSeconds(1, 4096, 4096, 2, 2, Advanced03Quantization.BF16_RATE);
        double nf4 = Advanced03Quantization.floorSeconds(1, 4096, 4096, 0.5625, 2, Advanced03Quantization.BF16_RATE);
        assertEquals(2 / 0.5625, bf16 / nf4, 0.05, "one token: the weights' bytes decide");
        assertEquals(2.0 * 4096 * 4096 * 4096 / Advanced03Quantization.BF16_RATE,
                Advanced03Quantization.floorSeconds(4096, 4096, 4096, 0.5625, 2, Advanced03Quantization.BF16_RATE), 1e-12, "4096 tokens: the flops");
        List<Advanced03Quantization.Gemm> gemms = Advanced03Quantization.measureGemms(Device.cpu(), 20, 40, 96);
        assertEquals(4, gemms.size());
        for (Advanced03Quantization.Gemm g : gemms) {
            assertTrue(g.kernelError() < 2e-3 && g.formatError() > g.kernelError() && g.formatError() < 0.1, g.toString());
        }
    }
}
