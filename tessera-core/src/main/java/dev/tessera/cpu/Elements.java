package dev.tessera.cpu;

import dev.tessera.types.DType;
import dev.tessera.types.Numerics;

/**
 * Element access to a value's array whatever its storage: for the rare paths (conversions between
 * unusual types, debugging, custom combine functions) that are not worth a loop per storage.
 */
final class Elements {
    private Elements() {}

    static double getDouble(Object array, int i) {
        return switch (array) {
            case float[] a -> a[i];
            case double[] a -> a[i];
            case int[] a -> a[i];
            case long[] a -> a[i];
            case boolean[] a -> a[i] ? 1 : 0;
            default -> throw new IllegalStateException();
        };
    }

    /** The integer held at i, extended by its dtype (u32 zero-extends). */
    static long getLong(Object array, int i, DType t) {
        return switch (array) {
            case int[] a -> t == DType.U32 ? Integer.toUnsignedLong(a[i]) : a[i];
            case long[] a -> a[i];
            case boolean[] a -> a[i] ? 1 : 0;
            case float[] a -> (long) a[i];
            case double[] a -> (long) a[i];
            default -> throw new IllegalStateException();
        };
    }

    static void setLong(Object array, int i, long v) {
        switch (array) {
            case int[] a -> a[i] = (int) v;
            case long[] a -> a[i] = v;
            case boolean[] a -> a[i] = v != 0;
            case float[] a -> a[i] = v;
            case double[] a -> a[i] = v;
            default -> throw new IllegalStateException();
        }
    }

    /** The memory bit pattern of the value at i, as dtype t stores it. */
    static long getBits(Object array, int i, DType t) {
        return switch (array) {
            case float[] a -> switch (t) {
                case F32 -> Float.floatToRawIntBits(a[i]) & 0xFFFF_FFFFL;
                default -> NarrowBits.bits(a[i], t);
            };
            case double[] a -> Double.doubleToRawLongBits(a[i]);
            case int[] a -> a[i] & (t.bits() == 32 ? 0xFFFF_FFFFL : (1L << t.bits()) - 1);
            case long[] a -> a[i];
            case boolean[] a -> a[i] ? 1 : 0;
            default -> throw new IllegalStateException();
        };
    }

    /** Stores a memory bit pattern of dtype t into its holding form. */
    static void setBits(Object array, int i, DType t, long bits) {
        switch (array) {
            case float[] a -> a[i] = t == DType.F32 ? Float.intBitsToFloat((int) bits) : NarrowBits.held((int) bits, t);
            case double[] a -> a[i] = Double.longBitsToDouble(bits);
            case int[] a -> a[i] = (int) Numerics.wrap(bits, t);
            case long[] a -> a[i] = bits;
            case boolean[] a -> a[i] = (bits & 1) != 0;
            default -> throw new IllegalStateException();
        }
    }

    /** to[j] = from[i], for arrays of one storage. */
    static void copy(Object from, int i, Object to, int j) {
        switch (to) {
            case float[] o -> o[j] = ((float[]) from)[i];
            case double[] o -> o[j] = ((double[]) from)[i];
            case int[] o -> o[j] = ((int[]) from)[i];
            case long[] o -> o[j] = ((long[]) from)[i];
            case boolean[] o -> o[j] = ((boolean[]) from)[i];
            default -> throw new IllegalStateException();
        }
    }
}
