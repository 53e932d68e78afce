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
 * integer roundings), so a kernel gives the same bits on the CPU backend and on a GPU.
 *
 * <p>The GEMMs over quantized operands (the compute-bound half: prefill, batched decoding) run on
 * the tensor cores through {@code dot}, each K step's tiles converted in registers where the
 * format needs it; y = x·Wᵀ with W [N, K] as a linear layer keeps it, blocked by a
 * {@link dev.tessera.kernels.quant.GemmConfig}:
 *
 * <ul>
 *   <li>{@link dev.tessera.kernels.quant.Int8#matmul}: s8×s8→s32 (exact sums), then the row
 *       (per-token) and column (per-channel) scales once per output;
 *       {@link dev.tessera.kernels.quant.Int8#matmulW8A16}: int8 weights converted exactly to the
 *       activations' bf16/f16 for a 16-bit dot, the per-channel scale applied to the sum.</li>
 *   <li>{@link dev.tessera.kernels.quant.Nf4#matmul}: NF4 weight tiles dequantized in registers
 *       (as {@code dequantize} writes them) into a bf16/f16 dot; they never go to memory.</li>
 *   <li>{@link dev.tessera.kernels.quant.Fp8#matmul}: DeepSeek-V3's block-scaled e4m3/e5m2 GEMM
 *       (1×128 activation tiles, 128×128 weight blocks): each K step's FP8 dot is summed from zero
 *       and scaled into an f32 accumulator (fp8 mma on sm_89 and later, FMAs before; on sm_90a
 *       through tensor descriptors, TMA feeding wgmma); with one scale a tensor, the products
 *       accumulate on the tensor cores over all of K and are scaled once (torch._scaled_mm's
 *       per-tensor case).</li>
 * </ul>
 *
 * They are tested against float64 products of their dequantized operands; {@code tessera bench
 * int8-gemm|w8a16-gemm|nf4-gemm|fp8-gemm} times them.
 */
package dev.tessera.kernels.quant;
