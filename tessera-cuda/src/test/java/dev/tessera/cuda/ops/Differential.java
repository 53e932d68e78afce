package dev.tessera.cuda.ops;

import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.backend.Backend;
import dev.tessera.runtime.Backends;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Differential testing of a backend against the CPU backend, whose semantics define the IR: the
 * same kernel runs on copies of the same inputs on both, and the outputs must agree exactly, or
 * within a stated number of units in the last place of the output's dtype, or a relative error.
 */
final class Differential {
    private Differential() {}

    /** The non-CPU devices (each test skips where its device is absent). */
    static Stream<Device> devices() {
        return Backends.all().stream().filter(b -> !b.name().equals("cpu")).map(b -> new Device(b.name(), 0));
    }

    static Device require(Device d) {
        Backend b = d.backendImpl();
        org.junit.jupiter.api.Assumptions.assumeTrue(!b.devices().isEmpty(), () -> d + " is not available: " + b.unavailableReason());
        return d;
    }

    /** How two outputs must agree. */
    interface Agreement {
        void check(Tensor cpu, Tensor device, String what);
    }

    static Agreement exact() { return ulps(0); }

    /** Floats within {@code n} ulps of the output dtype (NaN matching NaN; infinities exactly); integers exactly. */
    static Agreement ulps(double n) {
        return (cpu, dev, what) -> {
            DType t = cpu.dtype();
            if (!t.isFloat()) {
                long[] a = cpu.toLongArray(), b = dev.toLongArray();
                for (int i = 0; i < a.length; i++) {
                    if (a[i] != b[i]) fail(what + ": element " + i + " is " + b[i] + ", the CPU backend gives " + a[i]);
                }
                return;
            }
            double[] a = cpu.toDoubleArray(), b = dev.toDoubleArray();
            for (int i = 0; i < a.length; i++) {
                if (Double.isNaN(a[i]) || Double.isNaN(b[i])) {
                    if (Double.isNaN(a[i]) != Double.isNaN(b[i])) fail(what + ": element " + i + " is " + b[i] + ", the CPU backend gives " + a[i]);
                    continue;
                }
                if (n == 0 ? a[i] != b[i] : ulpDistance(a[i], b[i], t) > n) {
                    fail(what + ": element " + i + " is " + b[i] + ", the CPU backend gives " + a[i] + " (" + ulpDistance(a[i], b[i], t)
                            + " ulps, allowed " + n + ")");
                }
            }
        };
    }

    /** As {@link #ulps}, but values below {@code floor} in magnitude agree with each other (where one side underflows earlier). */
    static Agreement ulpsAbove(double n, double floor) {
        Agreement inner = ulps(n);
        return (cpu, dev, what) -> {
            double[] a = cpu.toDoubleArray(), b = dev.toDoubleArray();
            for (int i = 0; i < a.length; i++) {
                if (Math.abs(a[i]) < floor && Math.abs(b[i]) < floor) continue;
                if (Double.isNaN(a[i]) != Double.isNaN(b[i]) || !Double.isNaN(a[i]) && ulpDistance(a[i], b[i], cpu.dtype()) > n) {
                    fail(what + ": element " + i + " is " + b[i] + ", the CPU backend gives " + a[i]);
                }
            }
        };
    }

    /** |a - b| / max(|a|, floor) for floats (sums in another order), integers exactly. */
    static Agreement relative(double tol, double floor) {
        return (cpu, dev, what) -> {
            if (!cpu.dtype().isFloat()) {
                exact().check(cpu, dev, what);
                return;
            }
            double[] a = cpu.toDoubleArray(), b = dev.toDoubleArray();
            for (int i = 0; i < a.length; i++) {
                if (Double.isNaN(a[i]) != Double.isNaN(b[i])) fail(what + ": element " + i + " is " + b[i] + ", the CPU backend gives " + a[i]);
                if (Double.isNaN(a[i]) || a[i] == b[i]) continue;
                double err = Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), floor);
                if (!(err <= tol)) fail(what + ": element " + i + " is " + b[i] + ", the CPU backend gives " + a[i] + " (relative error " + err + ")");
            }
        };
    }

    /** The distance in units in the last place of {@code t} (both values are of type t). */
    static double ulpDistance(double a, double b, DType t) {
        if (a == b) return 0;
        if (Double.isInfinite(a) || Double.isInfinite(b)) return Double.POSITIVE_INFINITY;
        double ulp = ulp(Math.max(Math.abs(a), Math.abs(b)), t);
        return Math.abs(a - b) / ulp;
    }

    static double ulp(double x, DType t) {
        return switch (t) {
            case F64 -> Math.ulp(x);
            case F32 -> Math.ulp((float) x);
            case F16 -> Math.scalb(1.0, Math.max(Math.getExponent(x), -14) - 10);
            case BF16 -> Math.scalb(1.0, Math.max(Math.getExponent(x), -126) - 7);
            case FP8E4M3 -> Math.scalb(1.0, Math.max(Math.getExponent(x), -6) - 3);
            case FP8E5M2 -> Math.scalb(1.0, Math.max(Math.getExponent(x), -14) - 2);
            default -> 1;
        };
    }

    /**
     * Runs {@code kernel} on the CPU with {@code args} (tensors on the CPU), and on {@code device} with
     * copies of them; the tensors at the keys of {@code outputs} must then agree as their values say.
     */
    static void check(Device device, JitKernel kernel, Grid grid, Object[] args, Map<Integer, Agreement> outputs) {
        Object[] devArgs = new Object[args.length];
        for (int i = 0; i < args.length; i++) devArgs[i] = args[i] instanceof Tensor t ? t.to(device) : args[i];
        kernel.launch(grid, args);
        kernel.launch(grid, devArgs);
        outputs.forEach((i, agreement) -> agreement.check((Tensor) args[i], (Tensor) devArgs[i], kernel.name() + " output " + i + " on " + device));
        for (Object o : devArgs) if (o instanceof Tensor t) t.close();
    }

    // ------------------------------------------------------------------ inputs

    /** Values of {@code t} that exercise its corners: zeros of both signs, infinities, NaN, tiny and huge values, and random ones. */
    static Tensor interesting(DType t, long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        double[] specials = t.isFloat()
                ? new double[] {0.0, -0.0, 1.0, -1.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 0.5, -2.5, 3.0,
                Numerics.maxFinite(t), -Numerics.maxFinite(t), 1e-30, -1e-40, 65504, 1e-6}
                : new double[] {0, 1, -1, 2, -2, 7, -8, Numerics.minValue(t), Numerics.maxValue(t), 31, 32, 33, 63, 64};
        for (int i = 0; i < n; i++) {
            if (i < specials.length && r.nextInt(4) != 0) {
                v[i] = specials[i];
            } else if (t.isFloat()) {
                v[i] = r.nextGaussian() * Math.pow(10, r.nextInt(-3, 4));
            } else if (t == DType.I1) {
                v[i] = r.nextInt(2);
            } else {
                long max = t == DType.U64 ? Long.MAX_VALUE : Numerics.maxValue(t);
                long lo = Math.max(Numerics.minValue(t), -100000), hi = Math.min(max, 100000);
                v[i] = r.nextInt(3) == 0 ? r.nextLong(lo, hi + 1) : r.nextLong(-20, 21);
            }
        }
        if (!t.isFloat()) {
            long[] l = new long[n];
            for (int i = 0; i < n; i++) l[i] = (long) v[i];
            return Tensor.fromLongs(l, t, Device.cpu(), n);
        }
        return Tensor.from(v, t, Device.cpu(), n);
    }

    static Tensor poison(DType t, long... shape) {
        return t.isFloat() ? Tensor.full(t, Double.NaN, Device.cpu(), shape) : Tensor.full(t, -7, Device.cpu(), shape);
    }
}
