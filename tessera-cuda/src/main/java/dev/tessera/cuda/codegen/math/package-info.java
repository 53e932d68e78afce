/**
 * Elementwise lowering and the arithmetic of one element: tile construction, relabelings and
 * elementwise ops register by register ({@link dev.tessera.cuda.codegen.math.ElementwiseRules}),
 * one element's integer and float operations, shared with reductions, scans and inlined combine
 * functions ({@link dev.tessera.cuda.codegen.math.ScalarOps}), and float math without libdevice
 * ({@link dev.tessera.cuda.codegen.math.MathRules}: f32 in {@code MathF32}, f64 in {@code MathF64},
 * the exact remainder in {@code Fmod}, written with the small assembler {@code Fp}).
 *
 * <p>Invariant: nothing here moves data between threads; every result follows the CPU backend
 * (integer division by zero, shifts past the width, NaN-ignoring max and min, explicit rounding
 * modifiers so that ptxas fuses no multiply and add the CPU rounds twice), and the math
 * functions' measured worst errors are those in {@code tessera-cuda/MATH.md}.
 */
package dev.tessera.cuda.codegen.math;
