package dev.tessera.cpu;

import dev.tessera.types.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One element of device memory read into, or written from, the form a value's array holds it in:
 * {@link MemoryAccess#read} and {@link MemoryAccess#write} one lane at a time, for fused loops
 * (one method per dtype, named after it, so that generated code calls a fixed method).
 */
final class LaneAccess {
    private LaneAccess() {}

    private static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    static float getF32(MemorySegment s, long off) { return s.get(F, off); }

    static double getF64(MemorySegment s, long off) { return s.get(D, off); }

    static int getI32(MemorySegment s, long off) { return s.get(I, off); }

    static long getI64(MemorySegment s, long off) { return s.get(L, off); }

    static float getF16(MemorySegment s, long off) { return NarrowBits.held(s.get(S, off), DType.F16); }

    static float getBF16(MemorySegment s, long off) { return Float.intBitsToFloat(s.get(S, off) << 16); }

    static float getFP8E4M3(MemorySegment s, long off) { return NarrowBits.held(s.get(B, off), DType.FP8E4M3); }

    static float getFP8E5M2(MemorySegment s, long off) { return NarrowBits.held(s.get(B, off), DType.FP8E5M2); }

    static int getI16(MemorySegment s, long off) { return s.get(S, off); }

    static int getU16(MemorySegment s, long off) { return s.get(S, off) & 0xFFFF; }

    static int getI8(MemorySegment s, long off) { return s.get(B, off); }

    static int getU8(MemorySegment s, long off) { return s.get(B, off) & 0xFF; }

    static boolean getI1(MemorySegment s, long off) { return s.get(B, off) != 0; }

    static void setF32(MemorySegment s, long off, float v) { s.set(F, off, v); }

    static void setF64(MemorySegment s, long off, double v) { s.set(D, off, v); }

    static void setI32(MemorySegment s, long off, int v) { s.set(I, off, v); }

    static void setI64(MemorySegment s, long off, long v) { s.set(L, off, v); }

    static void setF16(MemorySegment s, long off, float v) { s.set(S, off, (short) NarrowBits.bits(v, DType.F16)); }

    static void setBF16(MemorySegment s, long off, float v) { s.set(S, off, (short) NarrowBits.bits(v, DType.BF16)); }

    static void setFP8E4M3(MemorySegment s, long off, float v) { s.set(B, off, (byte) NarrowBits.bits(v, DType.FP8E4M3)); }

    static void setFP8E5M2(MemorySegment s, long off, float v) { s.set(B, off, (byte) NarrowBits.bits(v, DType.FP8E5M2)); }

    static void setI16(MemorySegment s, long off, int v) { s.set(S, off, (short) v); }

    static void setI8(MemorySegment s, long off, int v) { s.set(B, off, (byte) v); }

    static void setI1(MemorySegment s, long off, boolean v) { s.set(B, off, (byte) (v ? 1 : 0)); }

    /** The suffix of the get and set methods for elements of type t (unsigned 32/64-bit share the signed ones' bits). */
    static String suffix(DType t, boolean store) {
        return switch (t) {
            case U32 -> "I32";
            case U64 -> "I64";
            case U16 -> store ? "I16" : "U16";
            case U8 -> store ? "I8" : "U8";
            default -> t.name();
        };
    }
}
