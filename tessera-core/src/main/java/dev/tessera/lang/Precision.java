package dev.tessera.lang;

/**
 * The input precision of a {@code dot}: IEEE (exact f32 products) or TF32 (the default for f32
 * operands, as in Triton) for f32 operands; FAST_ACCUMULATION lets fp8 operands be summed by the
 * tensor cores with fewer bits than f32 (about 2^-12 relative on Hopper's wgmma), which the
 * block-scaled FP8 GEMM promotes into an f32 accumulator per K block.
 */
public enum Precision { IEEE, TF32, FAST_ACCUMULATION }
