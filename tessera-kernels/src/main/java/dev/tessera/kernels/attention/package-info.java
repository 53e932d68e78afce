/**
 * Flash attention (FlashAttention-2's algorithm) in the tile language: {@link
 * dev.tessera.kernels.attention.FlashAttention#forward} returns the output and the saved context
 * (the inputs and the f32 log-sum-exp of each query), {@link
 * dev.tessera.kernels.attention.FlashAttention#backward} turns the output's gradient into dQ, dK and
 * dV. Full or causal (aligned bottom-right when Nq ≠ Nk), a sliding window, grouped-query heads,
 * (B, H, N, D) or (B, N, H, D) through strides, f16 and bf16 accumulating in f32. The
 * decode path (a few queries against a long cache) is {@link dev.tessera.kernels.decode.AttentionDecode}.
 */
package dev.tessera.kernels.attention;
