/**
 * The kernel library, written in Tessera's tile language, in families: each package holds its
 * kernels, a host API (tensors in, tensors out, shapes checked with errors that name them), its
 * configs and tuners, and one launch helper. {@code elementwise}, {@code activation}, {@code norm},
 * {@code matmul}, {@code loss}, {@code lora} (LoRA adapters for training), {@code decode} (one decoding step of a language model), {@code quant}
 * (quantization formats and their GEMVs), and {@code bench} (what {@code tessera bench} runs).
 */
package dev.tessera.kernels;
