package dev.tessera.examples.llama;

/**
 * The shape of a Llama-style decoder: {@code layers} blocks of grouped-query attention ({@code heads}
 * query heads sharing {@code kvHeads} key/value heads of {@code dim / heads} each) and a SwiGLU MLP
 * of {@code hidden} units, a vocabulary of {@code vocab} tokens, room for {@code maxSeq} positions in
 * the KV cache, RoPE with base {@code ropeBase}, RMSNorm with {@code eps}.
 */
public record LlamaConfig(int layers, int dim, int heads, int kvHeads, int hidden, int vocab, int maxSeq, double ropeBase, float eps) {
    public LlamaConfig {
        if (java.util.stream.IntStream.of(layers, dim, heads, kvHeads, hidden, vocab, maxSeq).anyMatch(v -> v < 1)) {
            throw new IllegalArgumentException("llama config: every size must be positive: " + describe(layers, dim, heads, kvHeads, hidden, vocab, maxSeq));
        }
        if (dim % heads != 0) throw new IllegalArgumentException("llama config: dim " + dim + " is not a multiple of the " + heads + " heads");
        if (heads % kvHeads != 0) throw new IllegalArgumentException("llama config: " + heads + " query heads cannot share " + kvHeads + " key/value heads");
        if ((dim / heads) % 2 != 0) throw new IllegalArgumentException("llama config: RoPE needs an even head dimension, not " + dim / heads);
        if (!(ropeBase > 1) || Double.isInfinite(ropeBase)) throw new IllegalArgumentException("llama config: the RoPE base must be a finite number above 1, not " + ropeBase);
        if (!(eps > 0)) throw new IllegalArgumentException("llama config: eps must be positive, not " + eps);
    }

    /** The example of issue 13: 4 layers, dim 512, 8 heads sharing 2 key/value heads, vocabulary 32000. */
    public static LlamaConfig small() { return new LlamaConfig(4, 512, 8, 2, 1536, 32000, 512, 10000, 1e-5f); }

    /** Llama's MLP width for a model dimension: 2/3 of 4·dim, rounded up to a multiple of 256. */
    public static int llamaHidden(int dim) { return (8 * dim / 3 + 255) / 256 * 256; }

    public int headDim() { return dim / heads; }

    /** Width of one token's keys (or values) in the cache. */
    public int kvDim() { return kvHeads * headDim(); }

    /** Parameters, embedding and LM head included. */
    public long parameters() {
        long attention = (long) dim * (dim + 2L * kvDim()) + (long) dim * dim, mlp = 3L * dim * hidden;
        return layers * (attention + mlp + 2L * dim) + 2L * vocab * dim + dim;
    }

    private static String describe(int layers, int dim, int heads, int kvHeads, int hidden, int vocab, int maxSeq) {
        return "layers " + layers + ", dim " + dim + ", heads " + heads + ", kv heads " + kvHeads + ", hidden " + hidden + ", vocab " + vocab + ", max seq " + maxSeq;
    }

    @Override
    public String toString() { return describe(layers, dim, heads, kvHeads, hidden, vocab, maxSeq) + ", rope base " + ropeBase + ", eps " + eps; }
}
