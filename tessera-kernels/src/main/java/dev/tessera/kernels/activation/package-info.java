/**
 * Activations computed in f32 whatever the storage dtype: row-wise {@link dev.tessera.kernels.activation.Softmax}
 * (one row per program, or tuned rows per program).
 */
package dev.tessera.kernels.activation;
