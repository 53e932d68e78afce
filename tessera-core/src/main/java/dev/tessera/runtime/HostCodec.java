package dev.tessera.runtime;

import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Reads and writes single elements of any dtype in host memory, in the layout devices use. */
final class HostCodec {
    private HostCodec() {}

    private static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    /** Stores {@code v} rounded (floats) or truncated and wrapped (integers) to {@code t}. */
    static void putDouble(MemorySegment m, long byteOffset, DType t, double v) {
        if (t.isFloat()) {
            switch (t) {
                case F64 -> m.set(D, byteOffset, v);
                case F32 -> m.set(F, byteOffset, (float) v);
                case F16, BF16 -> m.set(S, byteOffset, (short) Numerics.encode(v, t));
                default -> m.set(B, byteOffset, (byte) Numerics.encode(v, t));
            }
        } else {
            putLong(m, byteOffset, t, Numerics.floatToInt(v, t));
        }
    }

    /** Stores the integer {@code v} wrapped to {@code t} (converted for float types). */
    static void putLong(MemorySegment m, long byteOffset, DType t, long v) {
        switch (t) {
            case I1 -> m.set(B, byteOffset, (byte) (v != 0 ? 1 : 0));
            case I8, U8 -> m.set(B, byteOffset, (byte) v);
            case I16, U16 -> m.set(S, byteOffset, (short) v);
            case I32, U32 -> m.set(I, byteOffset, (int) v);
            case I64, U64 -> m.set(L, byteOffset, v);
            default -> putDouble(m, byteOffset, t, t == DType.F64 ? v : Numerics.intToDoubleRoundedToOdd(v, DType.I64)); // one rounding
        }
    }

    static double getDouble(MemorySegment m, long byteOffset, DType t) {
        return switch (t) {
            case F64 -> m.get(D, byteOffset);
            case F32 -> m.get(F, byteOffset);
            case F16, BF16 -> Numerics.decode(m.get(S, byteOffset), t);
            case FP8E4M3, FP8E5M2 -> Numerics.decode(m.get(B, byteOffset), t);
            default -> Numerics.intToDouble(getLong(m, byteOffset, t), t);
        };
    }

    /** The integer at the offset, sign- or zero-extended by {@code t}; floats truncate. */
    static long getLong(MemorySegment m, long byteOffset, DType t) {
        return switch (t) {
            case I1, U8 -> m.get(B, byteOffset) & 0xFF;
            case I8 -> m.get(B, byteOffset);
            case I16 -> m.get(S, byteOffset);
            case U16 -> m.get(S, byteOffset) & 0xFFFF;
            case I32 -> m.get(I, byteOffset);
            case U32 -> m.get(I, byteOffset) & 0xFFFF_FFFFL;
            case I64, U64 -> m.get(L, byteOffset);
            default -> Numerics.floatToInt(getDouble(m, byteOffset, t), DType.I64);
        };
    }
}
