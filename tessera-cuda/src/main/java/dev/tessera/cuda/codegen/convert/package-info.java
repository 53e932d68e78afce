/**
 * Number formats and the conversions between them: the IR's dtype conversions and bit
 * reinterpretations ({@link dev.tessera.cuda.codegen.convert.ConversionRules}), f16, bf16 and fp8
 * to and from the f32 registers they are computed in ({@link
 * dev.tessera.cuda.codegen.convert.NarrowFloats}: native {@code cvt} where the target has it,
 * exact integer sequences where not), 16-bit floats held packed two to a {@code .b32} register and
 * unpacked where arithmetic first reads them ({@link dev.tessera.cuda.codegen.convert.Packing}), and
 * which f16 values need their NaN patterns kept through unpacking ({@link
 * dev.tessera.cuda.codegen.convert.NanPayloads}).
 *
 * <p>Invariant: every conversion is bit-identical to {@code dev.tessera.types.Numerics}, as the
 * CPU backend's is, for every non-NaN value (one rounding from the exact source value, to
 * nearest even unless the IR says otherwise); a packed register holds exactly the memory bits,
 * NaN payloads included, and an unpacked element remembers the word it came from so that packing
 * it again costs nothing.
 */
package dev.tessera.cuda.codegen.convert;
