/** Elementwise kernels over flat contiguous tensors: {@link dev.tessera.kernels.elementwise.VectorAdd}. */
package dev.tessera.kernels.elementwise;
