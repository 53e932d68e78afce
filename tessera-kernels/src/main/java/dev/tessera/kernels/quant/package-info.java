/**
 * Quantization kernels, written in Tessera's tile language: the memory-bound half of what LLM
 * inference engines need — quantize, dequantize, and batch-1 matrix-vector products over
 * quantized weights. Each family is one class with its kernels and a small host API (tensors in,
 * tensors out; every form also writes into given outputs):
 *
 * <ul>
 *   <li>{@link dev.tessera.kernels.quant.Int8}: dynamic absmax per row (per token) or per
 *       column, round half to even; LLM.int8()'s decomposition into outlier columns (16-bit) and
 *       the int8 rest.</li>
 *   <li>{@link dev.tessera.kernels.quant.Nf4}: QLoRA's NF4, bit-exact with bitsandbytes
 *       (blocks of 64, the decision thresholds, the packing), with double quantization of the
 *       absmax over the dynamic map, dequantization and a GEMV.</li>
 *   <li>{@link dev.tessera.kernels.quant.Fp8}: e4m3 and e5m2 with f32 scales per tensor, per
 *       row, per 1×128 tile and per 128×128 block; saturating, as the OCP specification allows.</li>
 *   <li>{@link dev.tessera.kernels.quant.Gguf}: llama.cpp's Q8_0 and Q4_0 blocks, byte for byte,
 *       with dequantization and GEMVs over the raw blocks.</li>
 * </ul>
 *
 * <p>Every rounding is spelled out in the kernels (correctly rounded divisions, the formats' own
 * integer roundings), so a kernel gives the same bits on the CPU backend and on a GPU. The GEMMs
 * over quantized operands (INT8, FP8 block-scaled, fused NF4) need tensor-core {@code dot} and are
 * not here yet.
 */
package dev.tessera.kernels.quant;
