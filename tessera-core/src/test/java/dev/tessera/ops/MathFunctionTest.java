package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;

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
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The elementwise math functions in f16, bf16, f32 and f64 against float64 references, and their special values. */
@ExtendWith(SeedExtension.class)
class MathFunctionTest {
    static final int BLOCK = 512;

    @Kernel
    static void unary(Tile x, Tile out, Tile n, @Constexpr String FN, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        Tile a = load(x.add(offs), m);
        Tile r = switch (FN) {
            case "exp" -> exp(a);
            case "exp2" -> exp2(a);
            case "fastExp2" -> fastExp2(a);
            case "log" -> log(a);
            case "log2" -> log2(a);
            case "sqrt" -> sqrt(a);
            case "sqrtRn" -> sqrtRn(a);
            case "rsqrt" -> rsqrt(a);
            case "sin" -> sin(a);
            case "cos" -> cos(a);
            case "tanh" -> tanh(a);
            case "sigmoid" -> sigmoid(a);
            case "erf" -> dev.tessera.lang.TL.erf(a);
            case "floor" -> floor(a);
            case "ceil" -> ceil(a);
            case "abs" -> abs(a);
            default -> throw new IllegalArgumentException(FN);
        };
        store(out.add(offs), r, m);
    }

    static final JitKernel K = Jit.kernel(MathFunctionTest.class, "unary");

    static final String[] FUNCTIONS = {"exp", "exp2", "fastExp2", "log", "log2", "sqrt", "sqrtRn", "rsqrt", "sin", "cos", "tanh",
            "sigmoid", "erf", "floor", "ceil", "abs"};

    static Stream<Arguments> functions() { return cases(concat(FLOATS, FP8), (Object[]) FUNCTIONS); }

    /** Inputs where the function is defined and its result fits the dtype (fp8 saturates at 448 or 57344). */
    static double[] domain(String fn, DType t) {
        if (t.isFp8()) {
            switch (fn) {
                case "exp": return new double[] {-4, 4};
                case "exp2", "fastExp2": return new double[] {-6, 6};
                case "rsqrt": return new double[] {0.1, 100};
                default: break;
            }
        }
        return switch (fn) {
            case "exp" -> new double[] {-8, 8};
            case "exp2" -> new double[] {-13, 13};
            case "fastExp2" -> new double[] {-140, 13};   // reaching the flushed results below 2^-126
            case "log", "log2", "rsqrt" -> new double[] {0.01, 100};
            case "sqrt", "sqrtRn" -> new double[] {0, 100};
            case "tanh", "erf" -> new double[] {-3.5, 3.5};
            default -> new double[] {-10, 10};
        };
    }

    static double reference(String fn, double x) {
        return switch (fn) {
            case "exp" -> Math.exp(x);
            case "exp2" -> Math.pow(2, x);
            case "fastExp2" -> Math.abs(Math.pow(2, x)) < 0x1p-126 ? 0.0 : Math.pow(2, x);
            case "log" -> Math.log(x);
            case "log2" -> Math.log(x) / Math.log(2);
            case "sqrt", "sqrtRn" -> Math.sqrt(x);
            case "rsqrt" -> 1 / Math.sqrt(x);
            case "sin" -> Math.sin(x);
            case "cos" -> Math.cos(x);
            case "tanh" -> Math.tanh(x);
            case "sigmoid" -> 1 / (1 + Math.exp(-x));
            case "erf" -> erfRef(x);
            case "floor" -> Math.floor(x);
            case "ceil" -> Math.ceil(x);
            case "abs" -> Math.abs(x);
            default -> throw new IllegalArgumentException(fn);
        };
    }

    /**
     * erf by the series 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (2n+1)!!, whose terms are all positive
     * (no cancellation); accurate to a few ulp for |x| ≤ 6.
     */
    static double erfRef(double x) {
        if (Double.isInfinite(x)) return Math.signum(x);
        if (Math.abs(x) > 6) return Math.signum(x);
        double a = Math.abs(x), term = a, sum = a;
        for (int n = 1; n < 400 && term > 1e-18 * sum; n++) {
            term *= 2 * a * a / (2 * n + 1);
            sum += term;
        }
        return Math.copySign(2 / Math.sqrt(Math.PI) * Math.exp(-a * a) * sum, x);
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("functions")
    void againstFloat64(Device device, DType t, String fn, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        double[] dom = domain(fn, t);
        for (int n : SIZES) {
            Tensor x = randomFloats(t, d, r, n, dom[0], dom[1]);
            double[] in = x.toDoubleArray(), ref = new double[n];
            for (int i = 0; i < n; i++) ref[i] = reference(fn, in[i]);
            Tensor out = poisoned(t, d, n);
            K.launch(grid(cdiv(n, BLOCK)), x, out, n, fn, BLOCK);
            // f32 math is "fast" (a few ulp), so it gets a little more than the f32 rounding bound
            Tolerance tol = t == DType.F32 ? Tolerance.of(t).scaled(4) : Tolerance.of(t);
            Check.close(ref, out.toDoubleArray(), tol, describe(fn, t, n));
        }
    }

    /** In f64, fastExp2 of an integer is the exact power of 2 (as exp2's is), and 0 below 2^-126: the flush is f32's in every precision. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void fastExp2InF64IsExactAtIntegersAndFlushesBelowTheSmallestNormalF32(Device device) {
        Device d = use(device);
        int n = 300;
        double[] in = new double[n], ref = new double[n];
        for (int i = 0; i < n; i++) {
            in[i] = i - 200;   // -200 .. 99
            ref[i] = in[i] < -126 ? 0.0 : Math.scalb(1.0, (int) in[i]);
        }
        Tensor x = Tensor.from(in, DType.F64, d, n), out = poisoned(DType.F64, d, n);
        K.launch(grid(1), x, out, n, "fastExp2", BLOCK);
        Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, "fastExp2 f64 at the integers -200..99");
    }

    static final double INF = Double.POSITIVE_INFINITY, NAN = Double.NaN;
    static final double[] SPECIAL = {0.0, -0.0, 1.0, -1.0, INF, -INF, NAN, 0.5, -0.5};

    static Stream<Arguments> specials() { return cases(new DType[] {DType.F32, DType.F64, DType.F16, DType.BF16}, (Object[]) FUNCTIONS); }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("specials")
    void specialValues(Device device, DType t, String fn) {
        Device d = use(device);
        int n = SPECIAL.length;
        Tensor x = Tensor.from(SPECIAL, t, d, n);
        double[] ref = new double[n];
        for (int i = 0; i < n; i++) ref[i] = reference(fn, SPECIAL[i]);
        Tensor out = poisoned(t, d, n);
        K.launch(grid(1), x, out, n, fn, BLOCK);
        double[] o = out.toDoubleArray();
        // exact where the result is exact (0, ±inf, NaN, integers); elsewhere the dtype's rounding
        Check.close(ref, o, Tolerance.of(t), fn + " " + t + " at 0, ±1, ±inf, NaN, ±0.5");
        for (int i = 0; i < n; i++) {
            if (ref[i] == 0 && o[i] == 0 && fn.matches("sqrt|sqrtRn|floor|ceil|abs")) {
                org.junit.jupiter.api.Assertions.assertEquals(Double.doubleToRawLongBits(ref[i]) < 0, Double.doubleToRawLongBits(o[i]) < 0,
                        fn + "(" + SPECIAL[i] + ") keeps the sign of zero");
            }
        }
    }
}
