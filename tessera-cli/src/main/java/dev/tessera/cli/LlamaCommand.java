package dev.tessera.cli;

import dev.tessera.examples.llama.KernelTimes;
import dev.tessera.examples.llama.LlamaConfig;
import dev.tessera.examples.llama.LlamaModel;
import dev.tessera.examples.llama.LlamaReference;
import dev.tessera.examples.llama.LlamaWeights;
import dev.tessera.runtime.Device;
import dev.tessera.types.DType;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Generates tokens with the Llama-style decoder of {@code tessera-examples} (random weights from a
 * seed) and reports its speed: time to the first token, decoding tokens/s and the weights' bytes
 * read per second, and the device time of each kernel family. A first, shorter run compiles every
 * kernel; the timed run records no markers; a third run, with markers, gives the breakdown.
 */
@Command(name = "llama", sortOptions = false, mixinStandardHelpOptions = true, version = Main.VERSION,
        description = {"Generate tokens with a Llama-style decoder whose every step is a Tessera kernel (random weights from a seed, no download).",
                "Prints the tokens, prefill time, decoding tokens/s and the time per kernel family."},
        footer = {"", "Examples:", "  tessera llama --device cpu --tokens 64", "  tessera llama --device cuda:0 --tokens 64 --dtype bf16",
                "  tessera llama --layers 2 --dim 256 --heads 4 --kv-heads 1 --vocab 8000 --check"})
final class LlamaCommand implements Callable<Integer> {
    @Option(names = "--device", description = "cpu, cuda or cuda:N (default: the best device present)")
    String device;

    @Option(names = "--tokens", description = "tokens to generate (default: ${DEFAULT-VALUE})")
    int tokens = 64;

    @Option(names = "--prompt-tokens", description = "length of the random prompt (default: ${DEFAULT-VALUE})")
    int promptTokens = 16;

    @Option(names = "--dtype", description = "weights, activations and KV cache: bf16 (default), f16 or f32")
    String dtype = "bf16";

    @Option(names = "--layers", description = "decoder blocks (default: ${DEFAULT-VALUE})")
    int layers = 4;

    @Option(names = "--dim", description = "model dimension (default: ${DEFAULT-VALUE})")
    int dim = 512;

    @Option(names = "--heads", description = "query heads (default: ${DEFAULT-VALUE})")
    int heads = 8;

    @Option(names = "--kv-heads", description = "key/value heads, dividing --heads (default: ${DEFAULT-VALUE})")
    int kvHeads = 2;

    @Option(names = "--hidden", description = "MLP width (default: Llama's, 2/3 of 4·dim rounded up to a multiple of 256)")
    Integer hidden;

    @Option(names = "--vocab", description = "vocabulary size (default: ${DEFAULT-VALUE})")
    int vocab = 32000;

    @Option(names = "--temperature", description = "0 (default) for greedy decoding, else sampling at this temperature")
    double temperature = 0;

    @Option(names = "--top-k", description = "sample among the k largest logits (default: ${DEFAULT-VALUE})")
    int topK = 40;

    @Option(names = "--seed", description = "seed of the weights, the prompt and the sampling (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--no-profile", description = "skip the run with markers that times each kernel family")
    boolean noProfile;

    @Option(names = "--check", description = "compare every step's logits with a float64 reference of the same model (plain Java; slow for big models)")
    boolean check;

    @Override
    public Integer call() {
        BenchCommand.positive("--tokens", tokens);
        BenchCommand.positive("--prompt-tokens", promptTokens);
        DType type = switch (dtype.toLowerCase(java.util.Locale.ROOT)) {
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            case "f32" -> DType.F32;
            default -> throw new IllegalArgumentException("--dtype must be bf16, f16 or f32, not " + dtype);
        };
        Device d = device == null ? Device.defaultDevice() : Device.parse(device).require();
        LlamaConfig config = new LlamaConfig(layers, dim, heads, kvHeads, hidden != null ? hidden : LlamaConfig.llamaHidden(dim), vocab,
                promptTokens + tokens, 10000, 1e-5f);
        int[] prompt = new SplittableRandom(seed).ints(promptTokens, 0, vocab).toArray();
        try (LlamaWeights weights = LlamaWeights.random(config, type, d, seed); LlamaModel model = new LlamaModel(weights)) {
            System.out.printf("llama: %s; %.1fM parameters, %s, on %s%n", config, config.parameters() / 1e6, type, d);
            long t0 = System.nanoTime();
            generate(model, prompt, Math.min(tokens, 9));   // compiles every kernel (the cache's positions take 4 alignments)
            System.out.printf("warm-up (compiles every kernel): %.1f s%n", (System.nanoTime() - t0) / 1e9);

            Run run = generate(model, prompt, tokens);
            StringBuilder text = new StringBuilder();
            for (int t : run.tokens()) text.append(t).append(' ');
            System.out.println("tokens: " + text.toString().trim());
            System.out.printf("prefill: %d tokens, first token after %.2f ms%n", promptTokens, run.firstTokenMs());
            if (tokens > 1) {
                double perToken = run.decodeMs() / (tokens - 1);
                System.out.printf("decode: %d tokens in %.1f ms: %.1f tokens/s, %.3f ms/token, weights read at %.1f GB/s%n", tokens - 1, run.decodeMs(),
                        1000 / perToken, perToken, weights.bytesPerToken() / perToken / 1e6);
            }
            if (!noProfile) profile(model, prompt, d);
            if (check) check(model, weights, prompt, run.tokens());
        }
        return 0;
    }

    /** The tokens made, the time to the first (prefill and its sample) and the time of the decoding steps after it. */
    private record Run(int[] tokens, double firstTokenMs, double decodeMs) {}

    private Run generate(LlamaModel model, int[] prompt, int count) {
        int[] out = new int[count];
        model.reset();
        long t0 = System.nanoTime();
        model.prefill(prompt);
        model.sample(temperature, topK, seed);
        out[0] = model.token().toIntArray()[0];
        long t1 = System.nanoTime();
        for (int i = 1; i < count; i++) {
            model.decode(model.token());
            model.sample(temperature, topK, seed + i);
            out[i] = model.token().toIntArray()[0];
        }
        return new Run(out, (t1 - t0) / 1e6, (System.nanoTime() - t1) / 1e6);
    }

    private void profile(LlamaModel model, int[] prompt, Device d) {
        try (KernelTimes prefill = new KernelTimes(d); KernelTimes decode = new KernelTimes(d)) {
            model.reset();
            model.timeWith(prefill);
            model.prefill(prompt);
            model.sample(temperature, topK, seed);
            model.timeWith(decode);
            for (int i = 1; i < tokens; i++) {
                model.decode(model.token());
                model.sample(temperature, topK, seed + i);
            }
            model.timeWith(null);
            Map<KernelTimes.Family, Double> p = prefill.millis(), s = decode.millis();
            double prefillTotal = p.values().stream().mapToDouble(Double::doubleValue).sum(), decodeTotal = s.values().stream().mapToDouble(Double::doubleValue).sum();
            int steps = Math.max(1, tokens - 1);
            System.out.printf("time per kernel family (a run with %s markers):%n", d.backend().equals("cpu") ? "host-clock" : "device event");
            System.out.printf("  %-10s %12s %7s %16s %7s%n", "family", "prefill ms", "share", "decode ms/token", "share");
            for (KernelTimes.Family f : KernelTimes.Family.values()) {
                double pm = p.getOrDefault(f, 0.0), sm = s.getOrDefault(f, 0.0);
                if (pm == 0 && sm == 0) continue;
                System.out.printf("  %-10s %12.3f %6.1f%% %16.4f %6.1f%%%n", f.label(), pm, 100 * pm / prefillTotal, sm / steps, 100 * sm / Math.max(decodeTotal, 1e-12));
            }
            System.out.printf("  %-10s %12.3f %7s %16.4f%n", "total", prefillTotal, "", decodeTotal / steps);
        }
    }

    /** Runs the same tokens again and compares each step's logits with the float64 reference's. */
    private static void check(LlamaModel model, LlamaWeights weights, int[] prompt, int[] generated) {
        int n = prompt.length + generated.length - 1;
        int[] sequence = new int[n];
        System.arraycopy(prompt, 0, sequence, 0, prompt.length);
        System.arraycopy(generated, 0, sequence, prompt.length, generated.length - 1);
        double[][] logits = new double[generated.length][];
        model.reset();
        model.prefill(prompt);
        logits[0] = model.logits().toDoubleArray();
        for (int i = 1; i < generated.length; i++) {
            model.token().write(new double[] {generated[i - 1]});
            model.decode(model.token());
            logits[i] = model.logits().toDoubleArray();
        }
        double[][] ref = new LlamaReference(weights).forward(sequence);
        double worst = 0;
        for (int i = 0; i < logits.length; i++) {
            double diff = 0, norm = 0;
            double[] r = ref[prompt.length - 1 + i];
            for (int j = 0; j < r.length; j++) {
                diff += (logits[i][j] - r[j]) * (logits[i][j] - r[j]);
                norm += r[j] * r[j];
            }
            worst = Math.max(worst, Math.sqrt(diff / norm));
        }
        System.out.printf("check: logits of %d steps against the float64 reference: largest relative error %.3g%n", logits.length, worst);
    }
}
