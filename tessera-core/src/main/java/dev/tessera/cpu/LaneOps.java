package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;

/**
 * One lane of the ops whose semantics are more than a bytecode instruction, as static methods that
 * fused loops call ({@link LaneCode}) and C2 inlines. Each body is the loop body of the rule named
 * above it, so that fused and unfused steps agree bit for bit.
 */
final class LaneOps {
    private LaneOps() {}

    // ElementwiseRules.intBinary and uintBinary: division by zero gives -1 (remainder: the dividend),
    // shifts by the width or more give 0 (or the sign)

    static int divI(int a, int b) { return b == 0 ? -1 : a / b; }

    static int remI(int a, int b) { return b == 0 ? a : a % b; }

    static int shlI(int a, int b) { return (b & ~31) != 0 ? 0 : a << b; }

    static int shrI(int a, int b) { return (b & ~31) != 0 ? a >> 31 : a >> b; }

    static int umulhiI(int a, int b) { return (int) ((Integer.toUnsignedLong(a) * Integer.toUnsignedLong(b)) >>> 32); }

    /** ElementwiseRules.narrowUmulhi for width w (8 or 16). */
    static int umulhiNarrow(int a, int b, int w) {
        int mask = (1 << w) - 1;
        return ((a & mask) * (b & mask)) >>> w;
    }

    static int divU(int a, int b) { return b == 0 ? -1 : Integer.divideUnsigned(a, b); }

    static int remU(int a, int b) { return b == 0 ? a : Integer.remainderUnsigned(a, b); }

    static int maxU(int a, int b) { return Integer.compareUnsigned(a, b) >= 0 ? a : b; }

    static int minU(int a, int b) { return Integer.compareUnsigned(a, b) <= 0 ? a : b; }

    static int shrU(int a, int b) { return (b & ~31) != 0 ? 0 : a >>> b; }

    // ElementwiseRules.longBinary and ulongBinary

    static long divL(long a, long b) { return b == 0 ? -1 : a / b; }

    static long remL(long a, long b) { return b == 0 ? a : a % b; }

    static long shlL(long a, long b) { return (b & ~63L) != 0 ? 0 : a << b; }

    static long shrL(long a, long b) { return (b & ~63L) != 0 ? a >> 63 : a >> b; }

    static long divUL(long a, long b) { return b == 0 ? -1 : Long.divideUnsigned(a, b); }

    static long remUL(long a, long b) { return b == 0 ? a : Long.remainderUnsigned(a, b); }

    static long maxUL(long a, long b) { return Long.compareUnsigned(a, b) >= 0 ? a : b; }

    static long minUL(long a, long b) { return Long.compareUnsigned(a, b) <= 0 ? a : b; }

    static long shrUL(long a, long b) { return (b & ~63L) != 0 ? 0 : a >>> b; }

    // ElementwiseRules.floatBinary

    static float powF(float a, float b) { return (float) Math.pow(a, b); }

    // MathRules.floatUnary, doubleUnary, intUnary, longUnary

    static float expF(float v) { return (float) Math.exp(v); }

    static float unaryF(float v, Op.Unary.Fn fn) { return (float) MathRules.apply(fn, v); }

    static double unaryD(double v, Op.Unary.Fn fn) { return MathRules.apply(fn, v); }

    static double exp2D(double v) { return Math.pow(2.0, v); }

    static int popcountI(int v, int mask) { return Integer.bitCount(v & mask); }

    // NarrowTypes.normalized

    static float roundF16(float v) { return Float.float16ToFloat(Float.floatToFloat16(v)); }

    static float roundFloat(float v, DType t) { return Numerics.round(v, t); }

    // ElementwiseRules.select

    static float select(boolean k, float a, float b) { return k ? a : b; }

    static double select(boolean k, double a, double b) { return k ? a : b; }

    static int select(boolean k, int a, int b) { return k ? a : b; }

    static long select(boolean k, long a, long b) { return k ? a : b; }

    static boolean select(boolean k, boolean a, boolean b) { return k ? a : b; }

    // ConversionRules.convert (with Elements.getLong of an integer or i1 array)

    static long boolToLong(boolean v) { return v ? 1 : 0; }

    static double intToDouble(long v, DType from) { return Numerics.intToDouble(v, from); }

    static float intToFloat(long v, DType from, DType to) { return Numerics.round(Numerics.intToDouble(v, from), to); }

    static float wideIntToFloat(long v, DType from, DType to) {
        return Numerics.round(Numerics.intToDoubleRoundedToOdd(v, from), to);
    }

    static float towardZero(double v, DType to, Numerics.Rounding rounding) {
        return Numerics.decode(Numerics.encode(v, to, rounding), to);
    }
}
