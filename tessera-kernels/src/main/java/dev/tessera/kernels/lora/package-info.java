/**
 * LoRA adapters for training, forward and backward: {@link dev.tessera.kernels.lora.Lora} (one linear
 * layer, out = X·Wᵀ + s·(X·Aᵀ)·Bᵀ with the base W frozen), {@link dev.tessera.kernels.lora.LoraMlp}
 * (gate, up and down with SwiGLU between, the activation recomputed in backward) and
 * {@link dev.tessera.kernels.lora.LoraQkv} (Q, K and V of one input). The base and low-rank products
 * are one launch of the matmul family's fused epilogue.
 */
package dev.tessera.kernels.lora;
