package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Philox 4x32-10 random numbers: bit-exact against a plain-Java Philox (itself checked against the
 * Random123 known-answer vectors), rand/randn as Triton derives them, and statistics: means and
 * variances within bounds, every bit fair, the same (seed, offset) always giving the same number,
 * neighbouring offsets and seeds uncorrelated.
 */
@ExtendWith(SeedExtension.class)
class RandomTest {
    static final int BLOCK = 1024;

    /** Philox 4x32 with 10 rounds, per Salmon et al. (SC 2011): counter (c0..c3), key (k0, k1). */
    static int[] philox(int c0, int c1, int c2, int c3, int k0, int k1) {
        for (int round = 0; round < 10; round++) {
            long p0 = 0xD2511F53L * Integer.toUnsignedLong(c0), p1 = 0xCD9E8D57L * Integer.toUnsignedLong(c2);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0, hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            int n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
            c0 = n0;
            c1 = lo1;
            c2 = n2;
            c3 = lo0;
            k0 += 0x9E3779B9;
            k1 += 0xBB67AE85;
        }
        return new int[] {c0, c1, c2, c3};
    }

    @Test
    void referencePhiloxMatchesTheRandom123KnownAnswers() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, philox(0, 0, 0, 0, 0, 0));
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, philox(-1, -1, -1, -1, -1, -1));
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                philox(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    /** Triton's u32 to uniform f32 in [0, 1): as i32, negatives folded (-x - 1), times 2^-31 (rounded in f32). */
    static float uniform(int bits) {
        int x = bits < 0 ? -bits - 1 : bits;
        return (float) x * 4.6566127342e-10f;
    }

    @Kernel
    static void random(Tile seed, Tile out, Tile base, Tile n, @Constexpr String KIND, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        Tile o = base.add(offs);
        switch (KIND) {
            case "rand" -> store(out.add(offs), rand(seed, o), m);
            case "randn" -> store(out.add(offs), randn(seed, o), m);
            case "randint" -> store(out.add(offs), randint(seed, o), m);
            case "randint4x" -> {
                Tile[] r = randint4x(seed, o);
                for (int j = 0; j < 4; j++) store(out.add(offs.mul(4)).add(j), r[j], m); // unrolled at trace time
            }
            default -> throw new IllegalArgumentException(KIND);
        }
    }

    static final JitKernel RANDOM = Jit.kernel(RandomTest.class, "random");

    static Tensor generate(Device d, String kind, long seed, int base, int n) {
        DType t = kind.startsWith("randint") ? DType.U32 : DType.F32;
        Tensor out = poisoned(t, d, kind.equals("randint4x") ? 4L * n : n);
        RANDOM.launch(grid(cdiv(n, BLOCK)), seed, out, base, n, kind, BLOCK);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void bitExactAgainstThePlainJavaPhilox(Device device, @Seed long testSeed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(testSeed);
        for (int trial = 0; trial < 3; trial++) {
            long seed = trial == 0 ? 0 : r.nextLong();
            int base = trial == 0 ? 0 : r.nextInt(), n = 3000;
            long[] four = generate(d, "randint4x", seed, base, n).toLongArray(), one = generate(d, "randint", seed, base, n).toLongArray();
            double[] u = generate(d, "rand", seed, base, n).toDoubleArray(), g = generate(d, "randn", seed, base, n).toDoubleArray();
            double[] refU = new double[n], refG = new double[n];
            for (int i = 0; i < n; i++) {
                int[] p = philox(base + i, 0, 0, 0, (int) seed, (int) (seed >>> 32));
                for (int j = 0; j < 4; j++) assertEquals(Integer.toUnsignedLong(p[j]), four[4 * i + j], "randint4x[" + j + "] at offset " + (base + i));
                assertEquals(Integer.toUnsignedLong(p[0]), one[i], "randint at offset " + (base + i));
                refU[i] = uniform(p[0]);
                double u1 = Math.max(uniform(p[0]), 1e-7), u2 = uniform(p[1]);
                refG[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
            }
            Check.close(refU, u, Tolerance.EXACT, "rand, seed " + seed);
            Check.close(refG, g, new Tolerance(1e-5, 2e-5, 2e-5), "randn, seed " + seed);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void statisticsDeterminismAndIndependence(Device device, @Seed long testSeed) {
        Device d = use(device);
        long seed = new SplittableRandom(testSeed).nextLong();
        int n = 1 << 16;
        double[] u = generate(d, "rand", seed, 0, n).toDoubleArray(), g = generate(d, "randn", seed, 0, n).toDoubleArray();
        // uniform: mean 1/2, variance 1/12, all in [0, 1)
        double mean = mean(u), var = variance(u, mean);
        assertTrue(Math.abs(mean - 0.5) < 5 * Math.sqrt(1.0 / 12 / n), "rand mean " + mean);
        assertTrue(Math.abs(var - 1.0 / 12) < 5 * Math.sqrt(1.0 / 180 / n), "rand variance " + var);
        for (double v : u) assertTrue(v >= 0 && v < 1, "rand in [0, 1): " + v);
        // normal: mean 0, variance 1
        double gm = mean(g), gv = variance(g, gm);
        assertTrue(Math.abs(gm) < 5 / Math.sqrt(n), "randn mean " + gm);
        assertTrue(Math.abs(gv - 1) < 5 * Math.sqrt(2.0 / n), "randn variance " + gv);
        // every bit of randint is fair
        long[] bits = generate(d, "randint", seed, 0, n).toLongArray();
        for (int b = 0; b < 32; b++) {
            int ones = 0;
            for (long v : bits) ones += (int) ((v >>> b) & 1);
            assertTrue(Math.abs(ones - n / 2.0) < 5 * Math.sqrt(n / 4.0), "bit " + b + " is one " + ones + " times in " + n);
        }
        // the same (seed, offset) gives the same numbers; an offset window shifted by 1000 overlaps exactly
        assertArrayEquals(u, generate(d, "rand", seed, 0, n).toDoubleArray(), "same seed and offsets");
        double[] shifted = generate(d, "rand", seed, 1000, 5000).toDoubleArray();
        for (int i = 0; i < 5000; i++) assertEquals(u[1000 + i], shifted[i], 0.0, "offset " + (1000 + i) + " from another launch");
        // neighbouring offsets, and neighbouring seeds, are uncorrelated
        double[] next = new double[n - 1], prev = new double[n - 1];
        System.arraycopy(u, 1, next, 0, n - 1);
        System.arraycopy(u, 0, prev, 0, n - 1);
        double[] otherSeed = generate(d, "rand", seed + 1, 0, n).toDoubleArray();
        assertTrue(Math.abs(correlation(prev, next)) < 5 / Math.sqrt(n), "offsets i and i+1 correlate " + correlation(prev, next));
        assertTrue(Math.abs(correlation(u, otherSeed)) < 5 / Math.sqrt(n), "seeds s and s+1 correlate " + correlation(u, otherSeed));
        int same = 0;
        for (int i = 0; i < n; i++) if (u[i] == otherSeed[i]) same++;
        assertTrue(same < 10, same + " equal numbers from different seeds");
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    private static double variance(double[] v, double mean) {
        double s = 0;
        for (double x : v) s += (x - mean) * (x - mean);
        return s / (v.length - 1);
    }

    private static double correlation(double[] a, double[] b) {
        double ma = mean(a), mb = mean(b), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }
}
