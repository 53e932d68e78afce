package dev.tessera.cuda.ops;

import static dev.tessera.cuda.ops.Differential.*;

import dev.tessera.ir.Op.Binary;
import dev.tessera.ir.Op.Compare;
import dev.tessera.ir.Op.Unary;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Elementwise arithmetic, comparisons, selection and fma against the CPU backend, for every dtype. */
class ElementwiseOpsTest {
    static final int N = 1000, BLOCK = 256;
    static final List<DType> FLOATS = List.of(DType.F32, DType.F64, DType.F16, DType.BF16, DType.FP8E4M3, DType.FP8E5M2);
    static final List<DType> INTS = List.of(DType.I8, DType.U8, DType.I16, DType.U16, DType.I32, DType.U32, DType.I64, DType.U64);
    static final Set<Binary.Fn> FLOAT_FNS = EnumSet.of(Binary.Fn.ADD, Binary.Fn.SUB, Binary.Fn.MUL, Binary.Fn.DIV, Binary.Fn.DIV_RN,
            Binary.Fn.REM, Binary.Fn.MAX, Binary.Fn.MIN, Binary.Fn.MAX_NAN, Binary.Fn.MIN_NAN, Binary.Fn.POW);
    static final Set<Binary.Fn> INT_FNS = EnumSet.of(Binary.Fn.ADD, Binary.Fn.SUB, Binary.Fn.MUL, Binary.Fn.DIV, Binary.Fn.REM, Binary.Fn.MAX,
            Binary.Fn.MIN, Binary.Fn.AND, Binary.Fn.OR, Binary.Fn.XOR, Binary.Fn.SHL, Binary.Fn.SHR, Binary.Fn.UMULHI);

    static Stream<Arguments> binaryCases() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (DType t : FLOATS) for (Binary.Fn fn : FLOAT_FNS) out.add(Arguments.of(d, t, fn));
            for (DType t : INTS) for (Binary.Fn fn : INT_FNS) out.add(Arguments.of(d, t, fn));
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {2} {1}")
    @MethodSource("binaryCases")
    void binary(Device device, DType t, Binary.Fn fn) {
        require(device);
        Tensor x = interesting(t, 1, N), y = interesting(t, 2, N);
        DType outType = !t.isFloat() && (fn == Binary.Fn.DIV_RN || fn == Binary.Fn.POW) ? DType.F32 : t;
        Tensor out = poison(outType, N);
        double tol = switch (fn) {
            case DIV -> t == DType.F32 ? 2 : 0;
            case POW -> t == DType.F32 || t == DType.F64 ? 2 : 1;
            default -> 0;
        };
        JitKernel k = Jit.kernel(OpKernels.class, "binary");
        // f64 pow goes through exp2(y log2 x) in double: its error grows with |y log2 x| (MATH.md)
        Differential.Agreement a = fn == Binary.Fn.POW && t == DType.F64 ? relative(2e-13, 1e-300) : ulps(tol);
        check(device, k, Grid.grid((N + BLOCK - 1) / BLOCK), new Object[] {x, y, out, N, fn, BLOCK}, Map.of(2, a));
    }

    static Stream<Arguments> compareCases() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (DType t : List.of(DType.F32, DType.F64, DType.BF16, DType.I8, DType.U32, DType.I64, DType.U64)) {
                for (Compare.Fn fn : Compare.Fn.values()) out.add(Arguments.of(d, t, fn));
            }
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {2} {1}")
    @MethodSource("compareCases")
    void compare(Device device, DType t, Compare.Fn fn) {
        require(device);
        Tensor x = interesting(t, 3, N), y = interesting(t, 3, N);
        // half the elements equal
        Tensor z = interesting(t, 4, N);
        Tensor out = poison(DType.I1, N);
        check(device, Jit.kernel(OpKernels.class, "compare"), Grid.grid((N + BLOCK - 1) / BLOCK), new Object[] {x, fn.ordinal() % 2 == 0 ? y : z, out, N, fn, BLOCK},
                Map.of(2, exact()));
    }

    static final Set<Unary.Fn> MATH = EnumSet.of(Unary.Fn.EXP, Unary.Fn.EXP2, Unary.Fn.LOG, Unary.Fn.LOG2, Unary.Fn.SQRT, Unary.Fn.SQRT_RN,
            Unary.Fn.RSQRT, Unary.Fn.SIN, Unary.Fn.COS, Unary.Fn.TANH, Unary.Fn.SIGMOID, Unary.Fn.ERF, Unary.Fn.FLOOR, Unary.Fn.CEIL,
            Unary.Fn.NEG, Unary.Fn.ABS);

    static Stream<Arguments> unaryCases() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (DType t : List.of(DType.F32, DType.F64, DType.F16, DType.BF16)) for (Unary.Fn fn : MATH) out.add(Arguments.of(d, t, fn));
            for (DType t : INTS) for (Unary.Fn fn : List.of(Unary.Fn.NEG, Unary.Fn.ABS, Unary.Fn.NOT, Unary.Fn.POPCOUNT)) out.add(Arguments.of(d, t, fn));
        });
        return out.stream();
    }

    /** Worst ulps allowed against the CPU's double-precision functions rounded to the dtype (see MATH.md for the measured errors). */
    static double unaryTolerance(Unary.Fn fn, DType t) {
        if (!t.isFloat()) return 0;
        return switch (fn) {
            case NEG, ABS, FLOOR, CEIL, SQRT_RN -> 0;
            case SQRT -> t == DType.F32 ? 1 : 0;
            // the CPU's own erf is good to about 1e-14 (its series loses digits above 2)
            case ERF -> t == DType.F64 ? 200 : t == DType.F32 ? 3 : 1;
            default -> t == DType.F32 || t == DType.F64 ? 3 : 1;
        };
    }

    @ParameterizedTest(name = "{0} {2} {1}")
    @MethodSource("unaryCases")
    void unary(Device device, DType t, Unary.Fn fn) {
        require(device);
        Tensor x = interesting(t, 5, N), out = poison(t, N);
        // the CPU's f64 sigmoid 1 / (1 + e^-x) underflows to 0 where the GPU's e / (1 + e) still gives a subnormal
        Differential.Agreement a = fn == Unary.Fn.SIGMOID && t == DType.F64 ? ulpsAbove(3, Double.MIN_NORMAL) : ulps(unaryTolerance(fn, t));
        check(device, Jit.kernel(OpKernels.class, "unary"), Grid.grid((N + BLOCK - 1) / BLOCK), new Object[] {x, out, N, fn, BLOCK}, Map.of(1, a));
    }

    static Stream<Arguments> selectCases() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (DType t : List.of(DType.F32, DType.F16, DType.F64)) out.add(Arguments.of(d, t));
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("selectCases")
    void selectAndFma(Device device, DType t) {
        require(device);
        Tensor c = interesting(DType.I1, 6, N), x = interesting(t, 7, N), y = interesting(t, 8, N);
        Tensor out = poison(t, N), fused = poison(t, N);
        check(device, Jit.kernel(OpKernels.class, "selectFma"), Grid.grid((N + BLOCK - 1) / BLOCK), new Object[] {c, x, y, out, fused, N, BLOCK},
                Map.of(3, exact(), 4, exact()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.cuda.ops.Differential#devices")
    void booleans(Device device) {
        require(device);
        Tensor x = interesting(DType.I1, 9, N), out = poison(DType.I1, N);
        check(device, Jit.kernel(OpKernels.class, "bools"), Grid.grid((N + BLOCK - 1) / BLOCK), new Object[] {x, out, N, BLOCK}, Map.of(1, exact()));
    }
}
