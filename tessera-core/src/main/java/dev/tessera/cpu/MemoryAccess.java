package dev.tessera.cpu;

import dev.tessera.types.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Moves runs of consecutive elements between device memory and a value's array; narrow floats keep their bit patterns ({@link NarrowBits}). */
final class MemoryAccess {
    private MemoryAccess() {}

    private static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    /** Reads {@code n} elements of type {@code t} at byte {@code off} into {@code dst[at..at+n)}. */
    static void read(DType t, MemorySegment seg, long off, Object dst, int at, int n) {
        switch (t) {
            case F32 -> MemorySegment.copy(seg, F, off, (float[]) dst, at, n);
            case F64 -> MemorySegment.copy(seg, D, off, (double[]) dst, at, n);
            case I32, U32 -> MemorySegment.copy(seg, I, off, (int[]) dst, at, n);
            case I64, U64 -> MemorySegment.copy(seg, L, off, (long[]) dst, at, n);
            case F16 -> { float[] o = (float[]) dst; for (int k = 0; k < n; k++) o[at + k] = NarrowBits.held(seg.get(S, off + 2L * k), t); }
            case BF16 -> { float[] o = (float[]) dst; for (int k = 0; k < n; k++) o[at + k] = Float.intBitsToFloat(seg.get(S, off + 2L * k) << 16); }
            case FP8E4M3, FP8E5M2 -> { float[] o = (float[]) dst; for (int k = 0; k < n; k++) o[at + k] = NarrowBits.held(seg.get(B, off + k), t); }
            case I16 -> { int[] o = (int[]) dst; for (int k = 0; k < n; k++) o[at + k] = seg.get(S, off + 2L * k); }
            case U16 -> { int[] o = (int[]) dst; for (int k = 0; k < n; k++) o[at + k] = seg.get(S, off + 2L * k) & 0xFFFF; }
            case I8 -> { int[] o = (int[]) dst; for (int k = 0; k < n; k++) o[at + k] = seg.get(B, off + k); }
            case U8 -> { int[] o = (int[]) dst; for (int k = 0; k < n; k++) o[at + k] = seg.get(B, off + k) & 0xFF; }
            case I1 -> { boolean[] o = (boolean[]) dst; for (int k = 0; k < n; k++) o[at + k] = seg.get(B, off + k) != 0; }
        }
    }

    /** Writes {@code src[at..at+n)} as {@code n} elements of type {@code t} at byte {@code off}. */
    static void write(DType t, Object src, int at, MemorySegment seg, long off, int n) {
        switch (t) {
            case F32 -> MemorySegment.copy((float[]) src, at, seg, F, off, n);
            case F64 -> MemorySegment.copy((double[]) src, at, seg, D, off, n);
            case I32, U32 -> MemorySegment.copy((int[]) src, at, seg, I, off, n);
            case I64, U64 -> MemorySegment.copy((long[]) src, at, seg, L, off, n);
            case F16, BF16 -> { float[] a = (float[]) src; for (int k = 0; k < n; k++) seg.set(S, off + 2L * k, (short) NarrowBits.bits(a[at + k], t)); }
            case FP8E4M3, FP8E5M2 -> { float[] a = (float[]) src; for (int k = 0; k < n; k++) seg.set(B, off + k, (byte) NarrowBits.bits(a[at + k], t)); }
            case I16, U16 -> { int[] a = (int[]) src; for (int k = 0; k < n; k++) seg.set(S, off + 2L * k, (short) a[at + k]); }
            case I8, U8 -> { int[] a = (int[]) src; for (int k = 0; k < n; k++) seg.set(B, off + k, (byte) a[at + k]); }
            case I1 -> { boolean[] a = (boolean[]) src; for (int k = 0; k < n; k++) seg.set(B, off + k, (byte) (a[at + k] ? 1 : 0)); }
        }
    }

    /** Sets element i of a value's array to {@code other[i]}, or to zero when there is no other. */
    static void fill(Object dst, int i, Object other) {
        switch (dst) {
            case float[] o -> o[i] = other == null ? 0f : ((float[]) other)[i];
            case double[] o -> o[i] = other == null ? 0.0 : ((double[]) other)[i];
            case int[] o -> o[i] = other == null ? 0 : ((int[]) other)[i];
            case long[] o -> o[i] = other == null ? 0L : ((long[]) other)[i];
            case boolean[] o -> o[i] = other != null && ((boolean[]) other)[i];
            default -> throw new IllegalStateException();
        }
    }
}
