/**
 * Kernels for one decoding step of a transformer language model (a token at a time, or a few):
 * matrix-vector products, rotary embeddings, the SwiGLU gate, the KV cache, attention over the
 * cache, and choosing the next token. Weights are row-major; activations are contiguous; every
 * kernel computes in f32 whatever the storage dtype (f32, f16, bf16).
 */
package dev.tessera.kernels.decode;
