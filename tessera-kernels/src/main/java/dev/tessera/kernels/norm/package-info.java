/**
 * Normalizations over the last dimension, one program per row, statistics in f32 whatever the
 * storage dtype: {@link dev.tessera.kernels.norm.RmsNorm} (inference, and a training forward and
 * backward with an optional fused residual add, Llama's or Gemma's weight, rstd saved in f32) and
 * {@link dev.tessera.kernels.norm.LayerNorm} (forward; backward to dx, dW and dB). The backward
 * passes split the rows among a fixed number of programs, each accumulating its own partial sums of
 * the weights' gradients, which a second kernel reduces (no atomics, the same bits every run).
 * NormLaunch holds the checks and launch choices they share.
 */
package dev.tessera.kernels.norm;
