package dev.tessera.examples.llama;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decoder against its float64 reference: a prompt in two pieces (the second attends over the
 * first's cache), then greedy decoding, every step's logits compared with the reference's at the
 * same position of the same tokens. The model is small (sizes not multiples of the kernels' blocks)
 * so that the test takes seconds; the sizes of issue 13 are what {@code tessera llama} runs.
 */
@ExtendWith(SeedExtension.class)
class LlamaModelTest {
    static final LlamaConfig CONFIG = new LlamaConfig(2, 96, 3, 1, 208, 1003, 24, 10000, 1e-5f);

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Stream.of(DType.F32, DType.BF16).map(t -> Arguments.of(d, t)));
    }

    /** ‖out − ref‖ / ‖ref‖ over one position's logits. */
    static double relativeError(double[] out, double[] ref) {
        double diff = 0, norm = 0;
        for (int i = 0; i < ref.length; i++) {
            diff += (out[i] - ref[i]) * (out[i] - ref[i]);
            norm += ref[i] * ref[i];
        }
        return Math.sqrt(diff / norm);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void logitsMatchTheFloat64Reference(Device device, DType dtype, @Seed long seed) {
        Device d = TestDevices.require(device);
        // f32: the kernels' f32 sums; bf16: activations and the cache rounded to 8 bits at every step
        double tolerance = dtype == DType.F32 ? 2e-5 : 3e-2;
        SplittableRandom r = new SplittableRandom(seed);
        int[] prompt = r.ints(7, 0, CONFIG.vocab()).toArray();
        int decoded = 6;
        try (LlamaWeights w = LlamaWeights.random(CONFIG, dtype, d, seed); LlamaModel model = new LlamaModel(w)) {
            List<double[]> logits = new ArrayList<>();
            List<Integer> tokens = new ArrayList<>();
            for (int t : prompt) tokens.add(t);
            model.logits().fill(Double.NaN);
            model.prefill(java.util.Arrays.copyOfRange(prompt, 0, 4));
            double[] firstPiece = model.logits().toDoubleArray();
            model.logits().fill(Double.NaN);
            model.prefill(java.util.Arrays.copyOfRange(prompt, 4, prompt.length));
            logits.add(model.logits().toDoubleArray());
            for (int i = 0; i < decoded; i++) {
                model.token().fill(-1);
                model.sample(0, 1, 0);
                int next = model.token().toIntArray()[0];
                tokens.add(next);
                model.logits().fill(Double.NaN);
                model.decode(model.token());
                logits.add(model.logits().toDoubleArray());
            }
            assertEquals(prompt.length + decoded, model.length());
            double[][] ref = new LlamaReference(w).forward(tokens.stream().mapToInt(Integer::intValue).toArray());
            String what = dtype + " on " + d + ", tokens " + tokens;
            assertTrue(relativeError(firstPiece, ref[3]) <= tolerance, what + ": the first piece's logits are off by " + relativeError(firstPiece, ref[3]));
            for (int i = 0; i < logits.size(); i++) {
                int pos = prompt.length - 1 + i;
                double err = relativeError(logits.get(i), ref[pos]);
                System.out.printf("%s position %d: relative error %.3g%n", dtype, pos, err);
                assertTrue(err <= tolerance, what + ": logits at position " + pos + " are off by " + err + " (tolerance " + tolerance + ")");
                if (i + 1 < logits.size()) {
                    int chosen = tokens.get(pos + 1);
                    double[] own = logits.get(i);
                    for (double v : own) assertTrue(v <= own[chosen], "greedy decoding chose " + chosen + ", not the largest logit, at position " + pos);
                }
            }
        }
    }

    @Test
    void aPromptLongerThanTheCacheIsRefused() {
        try (LlamaWeights w = LlamaWeights.random(CONFIG, DType.F32, Device.cpu(), 1); LlamaModel model = new LlamaModel(w)) {
            var e = assertThrows(IllegalArgumentException.class, () -> model.prefill(new int[CONFIG.maxSeq() + 1]));
            assertTrue(e.getMessage().contains("do not fit a KV cache of " + CONFIG.maxSeq()), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> model.prefill(CONFIG.vocab()));
            assertTrue(e.getMessage().contains("outside the vocabulary"), e.getMessage());
        }
    }
}
