package dev.tessera.cpu;

import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.backend.CompiledKernel;
import dev.tessera.cpu.AccessRecorder.Access;
import dev.tessera.ir.KernelIR;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.IrRunner;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The sanitizer and the recorder see fused kernels exactly as unfused ones: the same fault, with
 * the same message (line, kernel, program, offset, buffer size, lane), after the same partial
 * writes, a faulty store writing nothing; and the same recorded lanes.
 */
class FusedFaultsTest {
    static final int BLOCK = OutOfBoundsTest.BLOCK;

    /** A store in one loop, then a load past the end in the next: the first store's writes happen, the second store's do not. */
    @Kernel
    static void storeThenFaultyLoad(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), load(x.add(offs), mask).add(1), mask);
        store(out.add(offs.add(n)), load(x.add(offs)).mul(2), mask); // the load is unmasked: the last program faults
    }

    /** A masked store whose tail chunk runs past the end without faulting: that program runs unfused. */
    @Kernel
    static void maskedTail(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), exp(load(x.add(offs), mask, 0.0)), mask);
    }

    private static KernelIR ir(JitKernel k, Object... args) { return k.specialize(args).ir(); }

    @Test
    void faultsAndTheirPartialWritesMatch() {
        int n = 1000, grid = Math.ceilDiv(n, BLOCK);
        try (Tensor x = Tensor.zeros(DType.F32, BothWays.CPU, n); Tensor h = Tensor.zeros(DType.F16, BothWays.CPU, n);
             Tensor l = Tensor.zeros(DType.I64, BothWays.CPU, n)) {
            Supplier<Object[]> f32 = () -> new Object[] {Tensor.randn(DType.F32, 1, BothWays.CPU, n), Tensor.full(DType.F32, Double.NaN, BothWays.CPU, n), n};
            Supplier<Object[]> twice = () -> new Object[] {Tensor.randn(DType.F32, 1, BothWays.CPU, n), Tensor.full(DType.F32, Double.NaN, BothWays.CPU, 2 * n), n};
            Supplier<Object[]> f16 = () -> new Object[] {Tensor.zeros(DType.F16, BothWays.CPU, 300), Tensor.zeros(DType.F16, BothWays.CPU, 512), 300};
            Supplier<Object[]> i64 = () -> new Object[] {Tensor.zeros(DType.I64, BothWays.CPU, 100), Tensor.zeros(DType.I64, BothWays.CPU, 100), 100};
            Supplier<Object[]> strided = () -> new Object[] {Tensor.zeros(DType.F32, BothWays.CPU, 1), Tensor.full(DType.F32, 5, BothWays.CPU, 200), 20};
            expectFault("store past the end", ir(OutOfBoundsTest.STORE, x, x, n, BLOCK), grid, f32, "store out of bounds", true);
            expectFault("load past the end", ir(OutOfBoundsTest.LOAD, h, h, 300, BLOCK), 2, f16, "load out of bounds", true);
            expectFault("before the start", ir(OutOfBoundsTest.NEGATIVE, l, l, 100, 128), 1, i64, "byte offset -24", true);
            expectFault("strided store", ir(OutOfBoundsTest.STRIDED, x, x, 20, 16), 1, strided, "element 200", false);
            expectFault("store, then a faulty load", ir(Jit.kernel(FusedFaultsTest.class, "storeThenFaultyLoad"), x, x, n, BLOCK), grid, twice,
                    "load out of bounds", true);
            KernelIR tail = ir(Jit.kernel(FusedFaultsTest.class, "maskedTail"), x, x, n, BLOCK);
            assertTrue(BothWays.check("masked tail", tail, new int[] {grid}, f32) > 0);
        }
    }

    private static void expectFault(String what, KernelIR ir, int grid, Supplier<Object[]> args, String part, boolean fuses) {
        assertEquals(fuses, BothWays.check(what, ir, new int[] {grid}, args) > 0, what + " fuses");
        String fault = BothWays.run(CpuCompilers.compile(ir, true), new int[] {grid}, args).fault();
        assertNotNull(fault, what + " faults");
        assertTrue(fault.contains(part), fault);
    }

    @Test
    void recordedLanesMatch() {
        int n = 20;
        try (Tensor x = Tensor.rand(DType.F32, 1, BothWays.CPU, n); Tensor y = Tensor.rand(DType.F32, 2, BothWays.CPU, n);
             Tensor out = Tensor.zeros(DType.F32, BothWays.CPU, n)) {
            KernelIR ir = Jit.kernel(AccessRecorderTest.class, "add").specialize(x, y, out, n, 8).ir();
            CompiledKernel fused = CpuCompilers.compile(ir, true), unfused = CpuCompilers.compile(ir, false);
            assertTrue(CpuCompilers.fusedLoops(fused).size() > 0);
            List<Access> expected = record(unfused, x, y, out, n), actual = record(fused, x, y, out, n);
            assertEquals(3 * 8, expected.size(), "two loads and a store of 8 lanes, in program 1");
            assertEquals(expected, actual);
            double[] xs = x.toDoubleArray(), ys = y.toDoubleArray(), o = out.toDoubleArray();
            for (int i = 0; i < n; i++) assertEquals((float) (xs[i] + ys[i]), o[i], 0.0, "programs not recorded run fused, element " + i);
        }
    }

    private static List<Access> record(CompiledKernel k, Tensor x, Tensor y, Tensor out, int n) {
        List<Access> seen = new ArrayList<>();
        AccessRecorder program1 = new AccessRecorder() {
            @Override public boolean records(int px, int py, int pz) { return px == 1; }
            @Override public void record(Access a) { seen.add(a); }
        };
        out.fill(0);
        try (var scope = AccessRecorder.install(program1)) {
            IrRunner.run(k, new int[] {3}, x, y, out, n);
        }
        return seen;
    }
}
