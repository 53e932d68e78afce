package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Precision;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
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
 * dot in every input precision: f16, bf16, fp8 (f32 accumulator, or f16 for f16), f32 as IEEE and
 * as tf32 (inputs rounded, ties away), i8 and u8 (exact, i32), f64; with an accumulator, in a K loop
 * over sizes that are not multiples of the blocks.
 */
@ExtendWith(SeedExtension.class)
class DotTest {

    @Kernel
    static void matmul(Tile a, Tile b, Tile c, Tile acc0, Tile M, Tile N, Tile K, @Constexpr String MODE, @Constexpr int BM,
                       @Constexpr int BN, @Constexpr int BK) {
        Tile rm = programId(0).mul(BM).add(arange(0, BM)), rn = programId(1).mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Tile cm = rm.col().lt(M).and(rn.row().lt(N));
        DType in = a.elementType();
        DType accType = switch (MODE) {
            case "f16 accumulator" -> F16;
            default -> in == I8 || in == U8 ? I32 : in == F64 ? F64 : F32;
        };
        Tile init = MODE.equals("with accumulator") ? load(acc0.add(rm.col().mul(N)).add(rn.row()), cm, 0L).to(accType)
                : zeros(accType, BM, BN);
        Var acc = var(init);
        for (Tile k : range(0, K, BK)) {
            Tile ka = k.add(rk);
            Tile at = load(a.add(rm.col().mul(K)).add(ka.row()), rm.col().lt(M).and(ka.row().lt(K)), 0L);
            Tile bt = load(b.add(ka.col().mul(N)).add(rn.row()), ka.col().lt(K).and(rn.row().lt(N)), 0L);
            acc.set(switch (MODE) {
                case "ieee" -> dot(at, bt, acc.get(), Precision.IEEE);
                case "tf32" -> dot(at, bt, acc.get(), Precision.TF32);
                case "f16 accumulator" -> acc.get().add(dot(at, bt, F16));
                default -> dot(at, bt, acc.get());
            });
        }
        store(c.add(rm.col().mul(N)).add(rn.row()), acc.get(), cm);
    }

    static final JitKernel MATMUL = Jit.kernel(DotTest.class, "matmul");

    record Config(DType in, String mode) {
        @Override
        public String toString() { return in + " " + mode; }
    }

    static Stream<Arguments> configs() {
        return devicesWith(new Config(DType.F16, "default"), new Config(DType.BF16, "default"), new Config(DType.F32, "ieee"),
                new Config(DType.F32, "tf32"), new Config(DType.I8, "default"), new Config(DType.U8, "default"), new Config(DType.F64, "default"),
                new Config(DType.F16, "f16 accumulator"), new Config(DType.FP8E4M3, "default"), new Config(DType.FP8E5M2, "default"),
                new Config(DType.F16, "with accumulator"), new Config(DType.I8, "with accumulator"), new Config(DType.F32, "with accumulator"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("configs")
    void productsMatchFloat64(Device device, Config cfg, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        DType in = cfg.in();
        boolean integer = !in.isFloat();
        DType out = integer ? DType.I32 : in == DType.F64 ? DType.F64 : cfg.mode().equals("f16 accumulator") ? DType.F16 : DType.F32;
        for (int[] mnk : new int[][] {{16, 16, 16}, {50, 40, 70}, {33, 65, 17}}) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            Tensor a = Dots.operand(in, d, r, m * k), b = Dots.operand(in, d, r, k * n);
            Tensor acc0 = integer ? randomInts(DType.I32, d, r, -1000, 1000, m * n) : randomFloats(DType.F32, d, r, m * n, -2, 2);
            Tensor c = poisoned(out, d, (long) m * n);
            MATMUL.launch(grid(cdiv(m, 32), cdiv(n, 32)), a, b, c, acc0, m, n, k, cfg.mode(), 32, 32, 32);
            double[] A = a.toDoubleArray(), B = b.toDoubleArray();
            if (in == DType.F32 && !cfg.mode().equals("ieee")) { // tf32, also the default: the tensor cores see the inputs rounded
                A = Dots.tf32(A);
                B = Dots.tf32(B);
            }
            Dots.Reference ref = Dots.product(A, B, cfg.mode().equals("with accumulator") ? acc0.toDoubleArray() : null, m, n, k);
            Dots.check(ref, c, "dot " + cfg + " " + m + "x" + n + "x" + k);
        }
    }

    @Kernel
    static void single(Tile a, Tile b, Tile c, @Constexpr String MODE) {
        Tile i = arange(0, 16);
        Tile at = load(a.add(i.col().mul(16)).add(i.row())), bt = load(b.add(i.col().mul(16)).add(i.row()));
        Tile r = switch (MODE) {
            case "default" -> dot(at, bt);
            case "ieee" -> dot(at, bt, zeros(F32, 16, 16), Precision.IEEE);
            default -> dot(at, bt, zeros(F32, 16, 16), Precision.TF32);
        };
        store(c.add(i.col().mul(16)).add(i.row()), r);
    }

    static final JitKernel SINGLE = Jit.kernel(DotTest.class, "single");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void tf32RoundsInputsAndIsTheDefaultForF32(Device device) {
        Device d = use(device);
        // every a is 1 + 2^-12 (lost in tf32's 10 mantissa bits) and b is 1: a row sums to 16 in tf32, 16 + 2^-8 in IEEE
        double[] ones = new double[256], a = new double[256];
        java.util.Arrays.fill(ones, 1);
        java.util.Arrays.fill(a, 1 + Math.scalb(1.0, -12));
        Tensor ta = Tensor.from(a, DType.F32, d, 256), tb = Tensor.from(ones, DType.F32, d, 256);
        for (String mode : new String[] {"default", "ieee", "tf32"}) {
            Tensor c = poisoned(DType.F32, d, 256);
            SINGLE.launch(grid(1), ta, tb, c, mode);
            double expected = mode.equals("ieee") ? 16 * (1 + Math.scalb(1.0, -12)) : 16;
            double[] ref = new double[256];
            java.util.Arrays.fill(ref, expected);
            Check.close(ref, c.toDoubleArray(), Tolerance.EXACT, "f32 dot, " + mode);
        }
        // a tie of tf32 rounds away from zero: 1 + 2^-11 becomes 1 + 2^-10
        java.util.Arrays.fill(a, 1 + Math.scalb(1.0, -11));
        ta.write(a);
        Tensor c = poisoned(DType.F32, d, 256);
        SINGLE.launch(grid(1), ta, tb, c, "tf32");
        double[] ref = new double[256];
        java.util.Arrays.fill(ref, 16 * (1 + Math.scalb(1.0, -10)));
        Check.close(ref, c.toDoubleArray(), Tolerance.EXACT, "tf32 tie");
    }
}
