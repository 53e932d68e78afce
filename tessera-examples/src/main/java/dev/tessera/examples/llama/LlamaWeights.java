package dev.tessera.examples.llama;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A decoder's weights, row-major as a checkpoint stores them ({@code nn.Linear}'s [out, in]), made
 * from a seed instead of read from a file: projections ~ N(0, 1/in) so that activations keep their
 * scale through the layers, norm weights 1 + N(0, 0.1²), embeddings N(0, 1), a separate LM head.
 * Each tensor comes from its own stream of the seed, so the same seed gives the same weights in
 * every dtype (rounded to it) and on every device.
 */
public record LlamaWeights(LlamaConfig config, DType dtype, Tensor embedding, List<Layer> layers, Tensor norm, Tensor output) implements AutoCloseable {

    /** One block: the attention's norm and projections, the MLP's norm and its gate (w1), up (w3) and down (w2) projections. */
    public record Layer(Tensor attentionNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor mlpNorm, Tensor w1, Tensor w3, Tensor w2) {
        List<Tensor> all() { return List.of(attentionNorm, wq, wk, wv, wo, mlpNorm, w1, w3, w2); }
    }

    /** Random weights for {@code config} in {@code dtype} (f32, f16 or bf16) on {@code device}. */
    public static LlamaWeights random(LlamaConfig config, DType dtype, Device device, long seed) {
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) throw new IllegalArgumentException("llama weights are f32, f16 or bf16, not " + dtype);
        var made = new Maker(dtype, device, seed);
        int d = config.dim(), q = config.heads() * config.headDim(), kv = config.kvDim(), f = config.hidden();
        try {
            Tensor embedding = made.normal(1, config.vocab(), d);
            List<Layer> layers = new ArrayList<>();
            for (int l = 0; l < config.layers(); l++) {
                layers.add(new Layer(made.norm(d), made.linear(q, d), made.linear(kv, d), made.linear(kv, d), made.linear(d, q),
                        made.norm(d), made.linear(f, d), made.linear(f, d), made.linear(d, f)));
            }
            return new LlamaWeights(config, dtype, embedding, List.copyOf(layers), made.norm(d), made.linear(config.vocab(), d));
        } catch (RuntimeException e) {
            made.closeAll();
            throw e;
        }
    }

    /** Bytes of weights one decoding step reads (every matrix once; the embedding only its row). */
    public long bytesPerToken() { return (config.parameters() - (long) config.vocab() * config.dim()) * dtype.byteSize(); }

    @Override
    public void close() {
        embedding.close();
        for (Layer l : layers) l.all().forEach(Tensor::close);
        norm.close();
        output.close();
    }

    /** Makes the tensors in order, each from the next stream of the seed, and closes them if one fails. */
    private static final class Maker {
        private final DType dtype;
        private final Device device;
        private final SplittableRandom streams;
        private final List<Tensor> made = new ArrayList<>();

        Maker(DType dtype, Device device, long seed) {
            this.dtype = dtype;
            this.device = device;
            this.streams = new SplittableRandom(seed);
        }

        Tensor linear(int out, int in) { return normal(1 / Math.sqrt(in), out, in); }

        Tensor norm(int n) {
            SplittableRandom r = streams.split();
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.1 * r.nextGaussian());
            return add(v, n);
        }

        Tensor normal(double std, int rows, int cols) {
            SplittableRandom r = streams.split();
            float[] v = new float[rows * cols];
            for (int i = 0; i < v.length; i++) v[i] = (float) (std * r.nextGaussian());
            return add(v, rows, cols);
        }

        private Tensor add(float[] values, long... shape) {
            Tensor t;
            if (dtype == DType.F32) {
                t = Tensor.of(values, device, shape);
            } else {
                short[] bits = new short[values.length];
                for (int i = 0; i < values.length; i++) bits[i] = (short) Numerics.encode(values[i], dtype);
                t = Tensor.ofBits(bits, dtype, device, shape);
            }
            made.add(t);
            return t;
        }

        void closeAll() { made.forEach(Tensor::close); }
    }
}
