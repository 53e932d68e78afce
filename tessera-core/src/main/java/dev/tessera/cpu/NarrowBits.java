package dev.tessera.cpu;

import dev.tessera.types.DType;
import dev.tessera.types.Numerics;

/**
 * Narrow floats (f16, bf16, fp8) between their memory bit patterns and the f32 values the CPU
 * backend holds them in, bit-exactly, so that a load followed by a store or a bitcast keeps every
 * pattern, as a GPU's loads, stores and moves do.
 *
 * <p>Numbers are exact in f32, and a held number is stored as its own pattern: this is not a
 * conversion, so e5m2's infinities stay infinities (only conversions saturate to ±57344). NaN
 * patterns ride in the payload of a quiet f32 NaN tagged with their format, which keeps their sign
 * and payload (a signalling f16 NaN too, which the hardware's f16→f32 conversion would quiet); a NaN
 * made by arithmetic carries no tag and is stored as the format's canonical NaN. bf16 needs no tag:
 * its patterns are the top halves of f32 patterns.
 */
final class NarrowBits {
    private NarrowBits() {}

    private static final int QUIET_NAN = 0x7FC0_0000, TAG_SHIFT = 16, TAG_MASK = 0x3F << TAG_SHIFT;

    private static int tag(DType t) {
        return switch (t) {
            case F16 -> 1;
            case FP8E4M3 -> 2;
            case FP8E5M2 -> 3;
            default -> 0;
        };
    }

    /** The f32 held for the bit pattern {@code bits} of the narrow float type {@code t}. */
    static float held(int bits, DType t) {
        return switch (t) {
            case BF16 -> Float.intBitsToFloat((bits & 0xFFFF) << 16);
            case F16 -> ((bits & 0x7C00) == 0x7C00 && (bits & 0x3FF) != 0) ? tagged(bits & 0xFFFF, 0x8000, t)
                    : Float.float16ToFloat((short) bits);
            case FP8E4M3, FP8E5M2 -> {
                float v = Numerics.decode(bits & 0xFF, t);
                yield v != v ? tagged(bits & 0xFF, 0x80, t) : v;
            }
            default -> throw new IllegalArgumentException(t + " is not a narrow float");
        };
    }

    private static float tagged(int bits, int signBit, DType t) {
        int sign = (bits & signBit) != 0 ? 0x8000_0000 : 0;
        return Float.intBitsToFloat(sign | QUIET_NAN | tag(t) << TAG_SHIFT | bits);
    }

    private static boolean isNaNPattern(int bits, DType t) {
        return t == DType.F16 ? (bits & 0x7C00) == 0x7C00 && (bits & 0x3FF) != 0 : Float.isNaN(Numerics.decode(bits, t));
    }

    /** The bit pattern of a held value of type {@code t} (a value of that type, already rounded to it). */
    static int bits(float v, DType t) {
        if (v != v) {
            int raw = Float.floatToRawIntBits(v);
            if (t == DType.BF16) {
                int b = raw >>> 16;
                return (b & 0x7F) == 0 ? b | 0x40 : b; // keep it a NaN if the payload was all in the low half
            }
            int pattern = raw & (t.bits() == 16 ? 0xFFFF : 0xFF);
            // the tag alone could come from an untagged NaN's payload (f16->f32 puts the f16 payload in
            // bits 13-22); such NaNs have zeros in their low bits, so a tagged one must also hold a NaN pattern
            if ((raw & TAG_MASK) == tag(t) << TAG_SHIFT && isNaNPattern(pattern, t)) return pattern;
            return Numerics.encode(v, t);
        }
        if (t == DType.FP8E5M2 && Float.isInfinite(v)) return v > 0 ? 0x7C : 0xFC;
        return t == DType.F16 ? Float.floatToFloat16(v) & 0xFFFF : Numerics.encode(v, t);
    }
}
