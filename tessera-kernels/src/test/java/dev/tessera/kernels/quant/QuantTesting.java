package dev.tessera.kernels.quant;

import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.testing.ReferenceNumerics;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** What the quantization tests share: their cases, the reference roundings, exact comparisons. */
final class QuantTesting {
    private QuantTesting() {}

    /** Every device, with each floating input type. */
    static Stream<Arguments> devicesAndDtypes() {
        return TestDevices.all().flatMap(d -> Stream.of(DType.F32, DType.F16, DType.BF16).map(t -> Arguments.of(d, t)));
    }

    /** {@code x} rounded to {@code t} (f32, f16, bf16 or fp8) by the BigDecimal reference. */
    static double round(double x, DType t) {
        return t == DType.F32 ? (float) x : ReferenceNumerics.round(x, ReferenceNumerics.format(t), false);
    }

    /** Standard normal values times {@code scale}. */
    static double[] normal(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextGaussian() * scale;
        return v;
    }

    /** The smallest positive subnormal of a float type. */
    static double tiny(DType t) {
        return switch (t) {
            case F32 -> Float.MIN_VALUE;
            case F16 -> 0x1p-24;
            case BF16 -> 0x1p-133;
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    /** The largest finite value of a float type. */
    static double largest(DType t) {
        return switch (t) {
            case F32 -> Float.MAX_VALUE;
            case F16 -> 65504;
            case BF16 -> 0x1.FEp127;
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    /** Equal as doubles bit for bit (so -0.0 is not 0.0), every NaN counting as one value. */
    static void sameValues(double[] expected, double[] actual, String what) {
        if (expected.length != actual.length) fail(what + ": " + actual.length + " values for " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (Double.doubleToLongBits(expected[i]) != Double.doubleToLongBits(actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    static double[] toDoubles(long[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }
}
