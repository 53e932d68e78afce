package dev.tessera.cuda.ops;

import static dev.tessera.cuda.ops.Differential.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.backend.KernelFault;
import dev.tessera.ir.Op;
import dev.tessera.ir.Op.Reduce;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Grid;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import dev.tessera.lang.Precision;
import dev.tessera.lang.AtomicOp;

/**
 * Memory access patterns, reductions, scans, sorting, shape ops, dot, atomics, control flow and
 * debugging ops against the CPU backend, over shapes, dtypes and warps per program.
 */
class TileOpsTest {

    private static JitKernel kernel(String name, int warps) { return Jit.kernel(OpKernels.class, name).withOptions(warps, 1); }

    static Stream<Arguments> devicesAndWarps() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (int w : new int[] {1, 4, 8}) out.add(Arguments.of(d, w));
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} warps={1}")
    @MethodSource("devicesAndWarps")
    void maskedLoadWithOther(Device device, int warps) {
        require(device);
        Tensor x = interesting(DType.F32, 41, 64), out = poison(DType.F32, 64);
        check(device, kernel("maskedOther", warps), Grid.grid(1), new Object[] {x, out, 37, 64}, Map.of(1, exact()));
    }

    static Stream<Arguments> transposes() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (DType t : List.of(DType.F32, DType.F16, DType.I8, DType.F64)) {
                for (int[] s : new int[][] {{32, 64}, {64, 16}, {8, 128}, {128, 128}}) out.add(Arguments.of(d, t, s[0], s[1], 4));
            }
            out.add(Arguments.of(d, DType.F32, 16, 16, 8));
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}[{2}, {3}] warps={4}")
    @MethodSource("transposes")
    void transpose(Device device, DType t, int r, int c, int warps) {
        require(device);
        Tensor x = interesting(t, 42, r * c), out = poison(t, (long) r * c);
        check(device, kernel("transpose", warps), Grid.grid(1), new Object[] {x, out, r, c}, Map.of(1, exact()));
    }

    static Stream<Arguments> reductions() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (Reduce.Kind k : List.of(Reduce.Kind.SUM, Reduce.Kind.MAX, Reduce.Kind.MIN, Reduce.Kind.PROD, Reduce.Kind.ARGMAX, Reduce.Kind.ARGMIN,
                    Reduce.Kind.CUSTOM)) {
                for (DType t : List.of(DType.F32, DType.I32, DType.F16, DType.F64, DType.I64)) {
                    for (int axis : new int[] {0, 1}) {
                        for (int[] s : new int[][] {{4, 256}, {64, 32}, {256, 8}, {1024, 2}}) out.add(Arguments.of(d, k, t, axis, s[0], s[1], 4));
                    }
                }
            }
            out.add(Arguments.of(d, Reduce.Kind.XOR, DType.I32, 1, 16, 64, 4));
            out.add(Arguments.of(d, Reduce.Kind.SUM, DType.F32, 1, 16, 4096, 16));
            out.add(Arguments.of(d, Reduce.Kind.ARGMAX, DType.F32, 0, 512, 4, 8));
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} axis={3} [{4}, {5}] warps={6}")
    @MethodSource("reductions")
    void reduce(Device device, Reduce.Kind kind, DType t, int axis, int r, int c, int warps) {
        require(device);
        boolean arg = kind == Reduce.Kind.ARGMAX || kind == Reduce.Kind.ARGMIN;
        Tensor x = kind == Reduce.Kind.PROD ? Tensor.rand(t, 43, Device.cpu(), (long) r * c) : interesting(t, 43, r * c);
        if (kind == Reduce.Kind.PROD && t.isFloat()) x.write(java.util.stream.DoubleStream.of(x.toDoubleArray()).map(v -> 0.9 + 0.2 * v).toArray());
        if (kind == Reduce.Kind.PROD && !t.isFloat()) x = Tensor.randint(t, 43, -1, 3, Device.cpu(), (long) r * c);
        if (kind == Reduce.Kind.SUM && t.isFloat()) x = Tensor.randn(t, 44, Device.cpu(), (long) r * c);
        int n = axis == 0 ? c : r;
        Tensor out = poison(arg ? DType.I32 : t, n);
        Differential.Agreement a = kind == Reduce.Kind.SUM || kind == Reduce.Kind.PROD || kind == Reduce.Kind.CUSTOM
                ? (t == DType.F16 ? relative(1e-2, 1) : relative(1e-5, 1)) : exact();
        check(device, kernel("reduce", warps), Grid.grid(1), new Object[] {x, out, kind, axis, r, c}, Map.of(1, a));
    }

    @ParameterizedTest(name = "{0} warps={1}")
    @MethodSource("devicesAndWarps")
    void reduceToScalar(Device device, int warps) {
        require(device);
        Tensor x = Tensor.randn(DType.F32, 45, Device.cpu(), 2048), out = poison(DType.F32, 2);
        check(device, kernel("reduceAll", warps), Grid.grid(1), new Object[] {x, out, 2048}, Map.of(1, relative(1e-5, 1)));
    }

    static Stream<Arguments> scans() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (Reduce.Kind k : List.of(Reduce.Kind.SUM, Reduce.Kind.MAX, Reduce.Kind.PROD, Reduce.Kind.CUSTOM)) {
                for (DType t : List.of(DType.F32, DType.I32, DType.I64)) {
                    for (int axis : new int[] {0, 1}) {
                        for (boolean reverse : new boolean[] {false, true}) {
                            if (reverse && k != Reduce.Kind.SUM && k != Reduce.Kind.CUSTOM) continue;
                            for (int[] s : new int[][] {{4, 256}, {64, 32}, {512, 4}, {8, 1024}}) out.add(Arguments.of(d, k, t, axis, reverse, s[0], s[1], 4));
                        }
                    }
                }
            }
            out.add(Arguments.of(d, Reduce.Kind.SUM, DType.I32, 1, false, 2, 8192, 8));
            out.add(Arguments.of(d, Reduce.Kind.SUM, DType.F32, 1, false, 16, 16, 1));
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} axis={3} reverse={4} [{5}, {6}] warps={7}")
    @MethodSource("scans")
    void scan(Device device, Reduce.Kind kind, DType t, int axis, boolean reverse, int r, int c, int warps) {
        require(device);
        Tensor x = t.isFloat() ? Tensor.rand(t, 46, Device.cpu(), (long) r * c) : Tensor.randint(t, 46, -3, 4, Device.cpu(), (long) r * c);
        if (kind == Reduce.Kind.PROD && t.isFloat()) x.write(java.util.stream.DoubleStream.of(x.toDoubleArray()).map(v -> 0.98 + 0.04 * v).toArray());
        if (kind == Reduce.Kind.PROD && !t.isFloat()) x = Tensor.randint(t, 46, -1, 2, Device.cpu(), (long) r * c);
        Tensor out = poison(t, (long) r * c);
        check(device, kernel("scan", warps), Grid.grid(1), new Object[] {x, out, kind, axis, reverse, r, c},
                Map.of(1, t.isFloat() ? relative(1e-4, 1) : exact()));
    }

    static Stream<Arguments> sorts() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (DType t : List.of(DType.F32, DType.I32, DType.U32, DType.I64, DType.F16, DType.F64, DType.I8)) {
                for (boolean desc : new boolean[] {false, true}) out.add(Arguments.of(d, t, desc, 4, 256, 4));
            }
            out.add(Arguments.of(d, DType.F32, false, 1, 1024, 8));
            out.add(Arguments.of(d, DType.F32, true, 64, 2, 2));
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} desc={2} [{3}, {4}] warps={5}")
    @MethodSource("sorts")
    void sort(Device device, DType t, boolean descending, int r, int c, int warps) {
        require(device);
        Tensor x = interesting(t, 47, r * c), out = poison(t, (long) r * c);
        check(device, kernel("sort", warps), Grid.grid(1), new Object[] {x, out, descending, r, c}, Map.of(1, exact()));
    }

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (DType t : List.of(DType.F32, DType.I32, DType.F16)) {
                for (int[] s : new int[][] {{8, 32}, {32, 8}, {64, 64}, {1, 128}}) out.add(Arguments.of(d, t, s[0], s[1], 4));
            }
            out.add(Arguments.of(d, DType.F32, 16, 16, 1));
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}[{2}, {3}] warps={4}")
    @MethodSource("shapes")
    void joinSplitCatReshapePermute(Device device, DType t, int r, int c, int warps) {
        require(device);
        int n = r * c;
        Tensor x = interesting(t, 48, n), y = interesting(t, 49, n);
        Tensor joined = poison(t, 2L * n), split = poison(t, n), catted = poison(t, 2L * n), reshaped = poison(t, n), permuted = poison(t, n);
        check(device, kernel("shapes", warps), Grid.grid(1), new Object[] {x, y, joined, split, catted, reshaped, permuted, r, c},
                Map.of(2, exact(), 3, exact(), 4, exact(), 5, exact(), 6, exact()));
    }

    @ParameterizedTest(name = "{0} warps={1}")
    @MethodSource("devicesAndWarps")
    void broadcasts(Device device, int warps) {
        require(device);
        Tensor x = Tensor.randn(DType.F32, 50, Device.cpu(), 64), out = poison(DType.F32, 64L * 32);
        check(device, kernel("broadcasts", warps), Grid.grid(1), new Object[] {x, out, 64, 32}, Map.of(1, exact()));
    }

    static Stream<Arguments> dots() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            out.add(Arguments.of(d, DType.F32, Precision.IEEE, 70, 50, 90, 32, 32, 16, 4));
            out.add(Arguments.of(d, DType.F32, Precision.TF32, 64, 64, 64, 64, 64, 32, 4));
            out.add(Arguments.of(d, DType.F16, Precision.IEEE, 100, 60, 70, 64, 32, 16, 4));
            out.add(Arguments.of(d, DType.BF16, Precision.IEEE, 64, 128, 48, 32, 128, 16, 8));
            out.add(Arguments.of(d, DType.I8, Precision.IEEE, 40, 40, 64, 16, 16, 32, 1));
            out.add(Arguments.of(d, DType.F64, Precision.IEEE, 33, 17, 19, 16, 16, 16, 2));
            out.add(Arguments.of(d, DType.FP8E4M3, Precision.IEEE, 32, 32, 32, 32, 32, 32, 4));
            out.add(Arguments.of(d, DType.F32, Precision.IEEE, 128, 128, 64, 128, 128, 32, 4));
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} {3}x{4}x{5} blocks {6}x{7}x{8} warps={9}")
    @MethodSource("dots")
    void dot(Device device, DType t, Precision p, int m, int n, int k, int bm, int bn, int bk, int warps) {
        require(device);
        Tensor a = t.isInteger() ? Tensor.randint(t, 51, -100, 100, Device.cpu(), m, k) : Tensor.randn(t, 51, Device.cpu(), m, k);
        Tensor b = t.isInteger() ? Tensor.randint(t, 52, -100, 100, Device.cpu(), k, n) : Tensor.randn(t, 52, Device.cpu(), k, n);
        DType outType = t.isInteger() ? DType.I32 : t == DType.F64 ? DType.F64 : DType.F32;
        Tensor c = poison(outType, m, n);
        check(device, kernel("dot", warps), Grid.grid((m + bm - 1) / bm, (n + bn - 1) / bn), new Object[] {a, b, c, m, n, k, p, bm, bn, bk},
                Map.of(2, t.isInteger() ? exact() : relative(1e-4, 1)));
    }

    static Stream<Arguments> atomics() {
        List<Arguments> out = new ArrayList<>();
        devices().forEach(d -> {
            for (AtomicOp fn : AtomicOp.values()) {
                for (DType t : List.of(DType.I32, DType.U32, DType.I64, DType.F32, DType.F64, DType.F16, DType.BF16)) {
                    boolean ok = switch (fn) {
                        case ADD -> true;
                        case MAX, MIN -> t.bits() >= 32;
                        case AND, OR, XOR -> !t.isFloat();
                        case XCHG -> t.bits() >= 32;
                    };
                    if (ok) out.add(Arguments.of(d, fn, t));
                }
            }
        });
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("atomics")
    void atomic(Device device, AtomicOp fn, DType t) {
        require(device);
        boolean narrowAdd = t.isNarrowFloat() && fn == AtomicOp.ADD;
        // narrow sums stay small enough to be exact in any order
        int n = 3000, block = 256, buckets = fn == AtomicOp.XCHG ? 4096 : narrowAdd ? 64 : 7;
        Tensor values = t.isFloat() ? Tensor.randn(t, 53, Device.cpu(), n) : Tensor.randint(t, 53, -1000, 1000, Device.cpu(), n);
        if (t.isFloat() && fn == AtomicOp.ADD) values = Tensor.randint(t, 53, narrowAdd ? -2 : -8, narrowAdd ? 2 : 8, Device.cpu(), n); // exact sums in any order
        Tensor target = t.isFloat() ? Tensor.randn(t, 54, Device.cpu(), buckets) : Tensor.randint(t, 54, -1000, 1000, Device.cpu(), buckets);
        if (t.isFloat() && fn == AtomicOp.ADD) target = Tensor.randint(t, 54, -8, 8, Device.cpu(), buckets);
        Tensor old = poison(t, n);
        Differential.Agreement a = exact();
        Map<Integer, Differential.Agreement> outs = fn == AtomicOp.XCHG ? Map.of(0, a, 2, exact()) : Map.of(0, a);
        check(device, kernel("atomics", 4), Grid.grid((n + block - 1) / block), new Object[] {target, values, old, n, fn, buckets, block}, outs);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.cuda.ops.Differential#devices")
    void scalarAtomicsAndCas(Device device) {
        require(device);
        int programs = 200;
        Tensor counter = Tensor.zeros(DType.I64, device, 2), tickets = poison(DType.I64, programs).to(device);
        kernel("atomicCounter", 4).launch(Grid.grid(programs), counter, tickets, 64);
        long[] c = counter.toLongArray();
        assertEquals(programs, c[0], "each program adds 1 once");
        assertEquals(programs * 64L, c[1], "each lane of each program adds 1");
        long[] got = tickets.toLongArray();
        java.util.Arrays.sort(got);
        for (int i = 0; i < programs; i++) assertEquals(i, got[i], "tickets are a permutation of 0..programs-1");
        Tensor lock = Tensor.fromLongs(new long[] {0, 5, 0, 9}, DType.I32, Device.cpu(), 4), prev = poison(DType.I32, 4);
        check(device, kernel("cas", 4), Grid.grid(1), new Object[] {lock, prev, 4}, Map.of(0, exact(), 1, exact()));
    }

    @ParameterizedTest(name = "{0} warps={1}")
    @MethodSource("devicesAndWarps")
    void loopsAndBranches(Device device, int warps) {
        require(device);
        Tensor x = Tensor.randn(DType.F32, 55, Device.cpu(), 1000), out = poison(DType.F32, 129);
        check(device, kernel("loops", warps), Grid.grid(1), new Object[] {x, out, 1000, 7, 128}, Map.of(1, relative(1e-5, 1)));
        Tensor out2 = poison(DType.F32, 129);
        check(device, kernel("loops", warps), Grid.grid(1), new Object[] {x, out2, 0, 2, 128}, Map.of(1, exact()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.cuda.ops.Differential#devices")
    void programIds(Device device) {
        require(device);
        Tensor out = poison(DType.I32, 5L * 3 * 2);
        check(device, kernel("programs", 1), Grid.grid(5, 3, 2), new Object[] {out}, Map.of(0, exact()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.cuda.ops.Differential#devices")
    void deviceAssertFails(Device device) {
        require(device);
        Tensor x = Tensor.randint(DType.I32, 56, 0, 100, device, 1000);
        JitKernel k = kernel("asserts", 4);
        k.launch(Grid.grid(4), x, 1000, 256);
        device.backendImpl().synchronize(0);
        Tensor bad = Tensor.fromLongs(java.util.stream.LongStream.range(0, 1000).map(i -> i == 700 ? 123 : 1).toArray(), DType.I32, device, 1000);
        KernelFault f = assertThrows(KernelFault.class, () -> {
            k.launch(Grid.grid(4), bad, 1000, 256);
            device.backendImpl().synchronize(0);
        });
        assertTrue(f.getMessage().contains("values stay below 100"), f.getMessage());
        assertTrue(f.getMessage().contains("program 2, 0, 0"), f.getMessage());
        assertTrue(f.getMessage().contains("OpKernels.java"), f.getMessage());
        // the device is usable afterwards
        k.launch(Grid.grid(4), x, 1000, 256);
        device.backendImpl().synchronize(0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.cuda.ops.Differential#devices")
    void devicePrintRuns(Device device) {
        require(device);
        Tensor x = Tensor.randn(DType.F32, 57, device, 4);
        kernel("prints", 1).launch(Grid.grid(1), x);
        device.backendImpl().synchronize(0);
    }
}
