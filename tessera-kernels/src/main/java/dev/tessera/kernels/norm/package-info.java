/**
 * Normalizations over the last dimension, one program per row, statistics in f32 whatever the
 * storage dtype: {@link dev.tessera.kernels.norm.RmsNorm} and {@link dev.tessera.kernels.norm.LayerNorm}.
 */
package dev.tessera.kernels.norm;
