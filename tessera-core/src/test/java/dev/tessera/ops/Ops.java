package dev.tessera.ops;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Shared pieces of the op suite: the device × dtype cases, seeded random inputs, poisoned outputs,
 * and plain-Java integer semantics for references (written here, independently of Tessera).
 */
public final class Ops {
    private Ops() {}

    /** Problem sizes that are not multiples of any block: one element, a partial block, several blocks plus a tail. */
    public static final int[] SIZES = {1, 17, 1000, 4097};

    public static final DType[] INTS = {DType.I8, DType.U8, DType.I16, DType.U16, DType.I32, DType.U32, DType.I64, DType.U64};
    public static final DType[] FLOATS = {DType.F16, DType.BF16, DType.F32, DType.F64};
    public static final DType[] FP8 = {DType.FP8E4M3, DType.FP8E5M2};
    /** Every dtype a tensor can hold except i1. */
    public static final DType[] NUMERIC = concat(INTS, FLOATS, FP8);

    public static DType[] concat(DType[]... groups) {
        return Arrays.stream(groups).flatMap(Arrays::stream).toArray(DType[]::new);
    }

    /** (device, dtype) for every device and every given dtype. */
    public static Stream<Arguments> cases(DType... types) {
        List<Arguments> out = new ArrayList<>();
        TestDevices.all().forEach(d -> {
            for (DType t : types) out.add(Arguments.of(d, t));
        });
        return out.stream();
    }

    /** (device, dtype, extra) for every device, dtype and extra value. */
    public static Stream<Arguments> cases(DType[] types, Object... extras) {
        List<Arguments> out = new ArrayList<>();
        TestDevices.all().forEach(d -> {
            for (DType t : types) for (Object e : extras) out.add(Arguments.of(d, t, e));
        });
        return out.stream();
    }

    /** (device, extra) for every device and extra value. */
    public static Stream<Arguments> devicesWith(Object... extras) {
        List<Arguments> out = new ArrayList<>();
        TestDevices.all().forEach(d -> {
            for (Object e : extras) out.add(Arguments.of(d, e));
        });
        return out.stream();
    }

    public static Device use(Device d) { return TestDevices.require(d); }

    // ------------------------------------------------------------------ inputs

    /** Uniform floats in [lo, hi), stored in {@code t} (rounded there); read back the tensor for the exact inputs. */
    public static Tensor randomFloats(DType t, Device d, SplittableRandom r, int n, double lo, double hi) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * r.nextDouble();
        return Tensor.from(v, t, d, n);
    }

    /** Standard normal floats scaled by {@code scale}. */
    public static Tensor randomNormals(DType t, Device d, SplittableRandom r, double scale, long... shape) {
        double[] v = new double[Math.toIntExact(numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = scale * r.nextGaussian();
        return Tensor.from(v, t, d, shape);
    }

    /** Random integers over the whole range of {@code t} (as their bit patterns). */
    public static Tensor randomBits(DType t, Device d, SplittableRandom r, long... shape) {
        long[] v = new long[Math.toIntExact(numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = wrap(r.nextLong(), t);
        return Tensor.fromLongs(v, t, d, shape);
    }

    /** Random integers in [lo, hi] (as values of {@code t}; both must be in its range). */
    public static Tensor randomInts(DType t, Device d, SplittableRandom r, long lo, long hi, long... shape) {
        long[] v = new long[Math.toIntExact(numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = lo + r.nextLong(hi - lo + 1);
        return Tensor.fromLongs(v, t, d, shape);
    }

    /** A random value of {@code t}'s full range, as its canonical long (zero-extended for unsigned below 64 bits). */
    public static long randomValue(DType t, SplittableRandom r) { return wrap(r.nextLong(), t); }

    // ------------------------------------------------------------------ poisoned outputs

    /** An integer no kernel writes by accident: a byte pattern, wrapped to the dtype. */
    public static long sentinel(DType t) { return wrap(0x5A5A_5A5A_5A5A_5A5AL, t); }

    /** An output where every element shows if left unwritten: NaN for floats, {@link #sentinel} for integers. */
    public static Tensor poisoned(DType t, Device d, long... shape) {
        if (t.isFloat()) return Tensor.full(t, Double.NaN, d, shape);
        long[] v = new long[Math.toIntExact(numel(shape))];
        Arrays.fill(v, sentinel(t));
        return Tensor.fromLongs(v, t, d, shape);
    }

    public static long numel(long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }

    // ------------------------------------------------------------------ integer semantics for references

    /** {@code v} reduced to {@code t}: low bits, sign-extended for signed types, zero-extended for unsigned ones. */
    public static long wrap(long v, DType t) {
        return switch (t) {
            case I1 -> v & 1;
            case I8 -> (byte) v;
            case U8 -> v & 0xFF;
            case I16 -> (short) v;
            case U16 -> v & 0xFFFF;
            case I32 -> (int) v;
            case U32 -> v & 0xFFFFFFFFL;
            case I64, U64 -> v;
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    /** The mathematical value of a canonical long of type {@code t}. */
    public static BigInteger big(long v, DType t) {
        BigInteger b = BigInteger.valueOf(v);
        return t == DType.U64 && v < 0 ? b.add(BigInteger.ONE.shiftLeft(64)) : b;
    }

    /** The mathematical value as a double (u64 values above 2^63 included). */
    public static double toDouble(long v, DType t) { return big(v, t).doubleValue(); }

    public static long min(DType t) {
        return t.isUnsigned() ? 0 : t == DType.I1 ? 0 : -(1L << (t.bits() - 1));
    }

    public static long max(DType t) {
        if (t == DType.U64) return -1L;
        if (t == DType.I64) return Long.MAX_VALUE;
        return t.isUnsigned() ? (1L << t.bits()) - 1 : (1L << (t.bits() - 1)) - 1;
    }

    /** Compares two canonical longs of {@code t} as numbers. */
    public static int compare(long a, long b, DType t) {
        return t == DType.U64 ? Long.compareUnsigned(a, b) : Long.compare(a, b);
    }

    public static String describe(String what, DType t, int n) { return what + " " + t + " n=" + n; }
}
