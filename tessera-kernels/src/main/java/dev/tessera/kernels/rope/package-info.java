/**
 * Rotary position embeddings for training: {@link dev.tessera.kernels.rope.RotaryEmbedding}
 * rotates queries and keys in place at their position ids (rotate-half layout, grouped-query heads)
 * and its backward pass turns their gradients back by −θ. (One decoding step's RoPE, in the
 * interleaved layout, is {@code dev.tessera.kernels.decode.Rope}.)
 */
package dev.tessera.kernels.rope;
