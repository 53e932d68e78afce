/**
 * Activations computed in f32 whatever the storage dtype: row-wise {@link dev.tessera.kernels.activation.Softmax}
 * (one row per program, or tuned rows per program), and the gated units of an MLP,
 * {@link dev.tessera.kernels.activation.Glu} (SwiGLU and GeGLU in its erf and tanh forms), forward
 * and backward, the backward recomputing the activation and optionally writing over its inputs.
 */
package dev.tessera.kernels.activation;
