package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;

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
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import dev.tessera.lang.Precision;

/**
 * The surface's helpers for what Java cannot write as an operator: scalars on the left of a
 * subtraction or division ({@code rsub}, {@code rdiv}), scalar atomic adds under a mask, and
 * {@code dot(a, b, precision)}.
 */
@ExtendWith(SeedExtension.class)
class SurfaceHelpersTest {
    static final int N = 100, BLOCK = 128, DOT = 16;

    @Kernel
    static void scalarsOnTheLeft(Tile x, Tile k, Tile fx, Tile fk, Tile total, Tile counts, Tile n) {
        Tile i = arange(0, BLOCK), m = i.lt(n);
        Tile xv = load(x.add(i), m, 1.0), kv = load(k.add(i), m, 1L);
        store(fx.add(i), xv.rsub(2.5).add(xv.rdiv(1.0).mul(1000.0)), m);
        store(fk.add(i), kv.rsub(10).mul(1000).add(kv.rdiv(100)), m);
        // every masked-on lane adds 0.5 to one f32 and 3 to the counter of its parity
        atomicAdd(total.add(zerosLike(i)), 0.5, m);
        atomicAdd(counts.add(i.rem(2)), 3L, m);
    }

    @Kernel
    static void ieeeDot(Tile a, Tile b, Tile c) {
        Tile r = arange(0, DOT);
        Tile offs = r.col().mul(DOT).add(r.row());
        store(c.add(offs), dot(load(a.add(offs)), load(b.add(offs)), Precision.IEEE));
    }

    static final JitKernel SCALARS = Jit.kernel(SurfaceHelpersTest.class, "scalarsOnTheLeft");
    static final JitKernel DOT_KERNEL = Jit.kernel(SurfaceHelpersTest.class, "ieeeDot");

    static Stream<Arguments> devices() { return cases(new DType[] {DType.F32}); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void scalarsOnTheLeftAndMaskedScalarAtomics(Device device, DType t, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        double[] xs = new double[N];
        long[] ks = new long[N];
        for (int i = 0; i < N; i++) {
            xs[i] = r.nextDouble(0.5, 4) * (r.nextBoolean() ? 1 : -1);
            ks[i] = r.nextInt(1, 40) * (r.nextBoolean() ? 1 : -1);
        }
        Tensor x = Tensor.from(xs, DType.F32, d, N), k = Tensor.fromLongs(ks, DType.I32, d, N);
        Tensor fx = poisoned(DType.F32, d, N), fk = poisoned(DType.I32, d, N);
        Tensor total = Tensor.zeros(DType.F32, d, 1), counts = Tensor.zeros(DType.I32, d, 2);
        SCALARS.launch(grid(1), x, k, fx, fk, total, counts, N);
        double[] in = x.toDoubleArray(), refX = new double[N];
        long[] refK = new long[N];
        for (int i = 0; i < N; i++) {
            refX[i] = (2.5 - in[i]) + 1000.0 / in[i];
            refK[i] = (10 - ks[i]) * 1000 + 100 / ks[i];
        }
        Check.close(refX, fx.toDoubleArray(), Tolerance.of(DType.F32).scaled(4), "2.5 - x + 1000 (1 / x)");
        Check.equal(refK, fk.toLongArray(), "(10 - k) 1000 + 100 / k");
        Check.close(new double[] {0.5 * N}, total.toDoubleArray(), Tolerance.EXACT, "atomicAdd(p, 0.5, mask)");
        Check.equal(new long[] {3L * ((N + 1) / 2), 3L * (N / 2)}, counts.toLongArray(), "atomicAdd(p, 3L, mask)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("devices")
    void dotWithAPrecisionAndNoAccumulator(Device device, DType t, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        Tensor a = randomFloats(DType.F32, d, r, DOT * DOT, -1, 1), b = randomFloats(DType.F32, d, r, DOT * DOT, -1, 1);
        Tensor c = poisoned(DType.F32, d, DOT * DOT);
        DOT_KERNEL.launch(grid(1), a, b, c);
        double[] av = a.toDoubleArray(), bv = b.toDoubleArray(), ref = new double[DOT * DOT];
        for (int i = 0; i < DOT; i++) for (int j = 0; j < DOT; j++) for (int p = 0; p < DOT; p++) ref[i * DOT + j] += av[i * DOT + p] * bv[p * DOT + j];
        // IEEE f32 products: far inside tf32's error, which a tf32 dot would exceed
        Check.close(ref, c.toDoubleArray(), new Tolerance(1e-6, 1e-5, 1e-5), "dot(a, b, IEEE)");
    }
}
