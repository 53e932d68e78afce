package dev.tessera.cuda.math;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.cuda.driver.CudaDriver;
import dev.tessera.ir.Op.Binary;
import dev.tessera.ir.Op.Unary;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Measures each math function's worst error on the GPU over 2^20 random inputs per range, in
 * units in the last place of the result's type, against a double reference (StrictMath, and
 * {@link ErfReference}); f64 errors are therefore known to about one ulp. Writes the table to
 * $OUT/math-ulp.md (or target/math-ulp.md) and fails if a function is off by more than its bound.
 */
class MathUlpGpuTest {
    static final int N = 1 << 20, BLOCK = 1024;

    record Row(String fn, DType type, String range, double maxUlp, double meanUlp, double worstInput, double bound) {}

    private static final double LN2 = Math.log(2);

    private static double reference(Unary.Fn fn, double x) {
        return switch (fn) {
            case EXP -> StrictMath.exp(x);
            case EXP2 -> StrictMath.pow(2, x);
            case LOG -> StrictMath.log(x);
            case LOG2 -> StrictMath.log(x) / LN2;
            case SQRT, SQRT_RN -> StrictMath.sqrt(x);
            case RSQRT -> 1 / StrictMath.sqrt(x);
            case SIN -> StrictMath.sin(x);
            case COS -> StrictMath.cos(x);
            case TANH -> StrictMath.tanh(x);
            case SIGMOID -> 1 / (1 + StrictMath.exp(-x));
            case ERF -> ErfReference.erf(x);
            default -> throw new IllegalArgumentException(fn.toString());
        };
    }

    /** Inputs: uniform in [lo, hi], or log-uniform positive magnitudes when logScale. */
    private static double[] inputs(long seed, double lo, double hi, boolean logScale, DType t) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[N];
        for (int i = 0; i < N; i++) {
            double x = logScale ? Math.exp(r.nextDouble(Math.log(lo), Math.log(hi))) : r.nextDouble(lo, hi);
            v[i] = t == DType.F32 ? (float) x : x;
        }
        return v;
    }

    private static double ulps(double got, double want, DType t) {
        if (Double.isNaN(want) || Double.isNaN(got)) return Double.isNaN(want) == Double.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
        if (t == DType.F32) want = (float) want; // the correctly rounded result is 0 ulps away
        if (got == want) return 0;
        if (Double.isInfinite(want) || Double.isInfinite(got)) return Double.POSITIVE_INFINITY;
        double ulp = t == DType.F32 ? Math.ulp((float) Math.max(Math.abs(want), Float.MIN_NORMAL)) : Math.ulp(Math.max(Math.abs(want), Double.MIN_NORMAL));
        return Math.abs(got - want) / ulp;
    }

    private static Row measure(Device d, Unary.Fn fn, DType t, String range, double[] x, double bound) {
        Tensor in = Tensor.from(x, t, d, N), out = Tensor.full(t, Double.NaN, d, N);
        Jit.kernel(MathKernels.class, "unary").launch(Grid.grid(N / BLOCK), in, out, N, fn, BLOCK);
        double[] got = out.toDoubleArray();
        in.close();
        out.close();
        double max = 0, sum = 0, worst = Double.NaN;
        for (int i = 0; i < N; i++) {
            double e = ulps(got[i], reference(fn, x[i]), t);
            sum += e;
            if (e > max) {
                max = e;
                worst = x[i];
            }
        }
        return new Row(fn.name().toLowerCase(), t, range, max, sum / N, worst, bound);
    }

    private static Row measureBinary(Device d, Binary.Fn fn, DType t, String range, double[] x, double[] y, DoubleBinaryOperator ref, double bound) {
        Tensor a = Tensor.from(x, t, d, N), b = Tensor.from(y, t, d, N), out = Tensor.full(t, Double.NaN, d, N);
        Jit.kernel(MathKernels.class, "binary").launch(Grid.grid(N / BLOCK), a, b, out, N, fn, BLOCK);
        double[] got = out.toDoubleArray();
        double max = 0, sum = 0, worst = Double.NaN;
        for (int i = 0; i < N; i++) {
            double e = ulps(got[i], ref.applyAsDouble(x[i], y[i]), t);
            sum += e;
            if (e > max) {
                max = e;
                worst = x[i];
            }
        }
        return new Row(fn.name().toLowerCase(), t, range, max, sum / N, worst, bound);
    }

    @Test
    void measureAll() throws Exception {
        assumeTrue(CudaDriver.isAvailable(), () -> "no CUDA here: " + CudaDriver.unavailableReason().orElse(""));
        Device d = Device.cuda(0);
        List<Row> rows = new ArrayList<>();
        for (DType t : List.of(DType.F32, DType.F64)) {
            boolean f = t == DType.F32;
            long s = f ? 1 : 1001;
            rows.add(measure(d, Unary.Fn.EXP, t, "[-1, 1]", inputs(s++, -1, 1, false, t), 3));
            rows.add(f ? measure(d, Unary.Fn.EXP, t, "[-103, 88]", inputs(s++, -103, 88, false, t), 3)
                    : measure(d, Unary.Fn.EXP, t, "[-740, 709]", inputs(s++, -740, 709, false, t), 2));
            rows.add(measure(d, Unary.Fn.EXP2, t, "[-1, 1]", inputs(s++, -1, 1, false, t), 3));
            rows.add(f ? measure(d, Unary.Fn.EXP2, t, "[-149, 127]", inputs(s++, -149, 127, false, t), 3)
                    : measure(d, Unary.Fn.EXP2, t, "[-1074, 1023]", inputs(s++, -1074, 1023, false, t), 3));
            for (Unary.Fn fn : List.of(Unary.Fn.LOG, Unary.Fn.LOG2)) {
                rows.add(measure(d, fn, t, "[0.5, 2]", inputs(s++, 0.5, 2, false, t), 2));
                rows.add(f ? measure(d, fn, t, "(1e-45, 3e38) log-uniform", inputs(s++, 1e-45, 3e38, true, t), 2)
                        : measure(d, fn, t, "(1e-320, 1e308) log-uniform", inputs(s++, 1e-320, 1e308, true, t), 2));
            }
            for (Unary.Fn fn : List.of(Unary.Fn.SQRT, Unary.Fn.SQRT_RN, Unary.Fn.RSQRT)) {
                rows.add(f ? measure(d, fn, t, "(1e-45, 3e38) log-uniform", inputs(s++, 1e-45, 3e38, true, t), fn == Unary.Fn.SQRT_RN ? 0.5 : 2)
                        : measure(d, fn, t, "(1e-320, 1e308) log-uniform", inputs(s++, 1e-320, 1e308, true, t), 1));
            }
            for (Unary.Fn fn : List.of(Unary.Fn.SIN, Unary.Fn.COS)) {
                rows.add(measure(d, fn, t, "[-pi, pi]", inputs(s++, -Math.PI, Math.PI, false, t), 2));
                rows.add(measure(d, fn, t, "[-1e4, 1e4]", inputs(s++, -1e4, 1e4, false, t), 2));
                rows.add(measure(d, fn, t, "[-1e6, 1e6]", inputs(s++, -1e6, 1e6, false, t), 3));
            }
            rows.add(measure(d, Unary.Fn.TANH, t, "[-1, 1]", inputs(s++, -1, 1, false, t), 3));
            rows.add(measure(d, Unary.Fn.TANH, t, "[-10, 10]", inputs(s++, -10, 10, false, t), 3));
            rows.add(measure(d, Unary.Fn.SIGMOID, t, "[-20, 20]", inputs(s++, -20, 20, false, t), 3));
            rows.add(measure(d, Unary.Fn.SIGMOID, t, f ? "[-100, 0]" : "[-700, 0]", inputs(s++, f ? -100 : -700, 0, false, t), 4));
            rows.add(measure(d, Unary.Fn.ERF, t, "[-1, 1]", inputs(s++, -1, 1, false, t), f ? 2 : 4)); // f64: the reference itself is good to 2 ulps
            rows.add(measure(d, Unary.Fn.ERF, t, "[-6, 6]", inputs(s++, -6, 6, false, t), f ? 2 : 4));
            rows.add(measureBinary(d, Binary.Fn.POW, t, "x (1e-3, 1e3) log-uniform, y [-10, 10]", inputs(s++, 1e-3, 1e3, true, t),
                    inputs(s++, -10, 10, false, t), StrictMath::pow, f ? 1 : 1e6));
            rows.add(measureBinary(d, Binary.Fn.DIV, t, "x, y (1e-30, 1e30) log-uniform", inputs(s++, 1e-30, 1e30, true, t),
                    inputs(s++, 1e-30, 1e30, true, t), (a, b) -> a / b, f ? 2 : 0.5));
            rows.add(measureBinary(d, Binary.Fn.REM, t, "x (1e-3, 1e30), y (1e-3, 1e3) log-uniform", inputs(s++, 1e-3, 1e30, true, t),
                    inputs(s++, 1e-3, 1e3, true, t), (a, b) -> a % b, 0));
        }
        String table = table(rows);
        System.out.println(table);
        String out = System.getenv().getOrDefault("TESSERA_OUT", System.getenv("OUT"));
        Path file = out != null && !out.isBlank() ? Path.of(out, "math-ulp.md") : Path.of("target", "math-ulp.md");
        Files.createDirectories(file.getParent());
        Files.writeString(file, table);
        List<String> over = rows.stream().filter(r -> !(r.maxUlp() <= r.bound())).map(r -> r.fn() + " " + r.type() + " " + r.range() + ": "
                + r.maxUlp() + " > " + r.bound()).toList();
        assertTrue(over.isEmpty(), "functions above their error bounds: " + over);
    }

    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder("| function | type | inputs (2^20 random) | max ulp | mean ulp | worst input | bound |\n|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append(String.format("| %s | %s | %s | %.2f | %.3f | %.9g | %s |%n", r.fn(), r.type(), r.range(), r.maxUlp(), r.meanUlp(), r.worstInput(),
                    r.bound() >= 1e5 ? "-" : String.valueOf(r.bound())));
        }
        return sb.toString();
    }
}
