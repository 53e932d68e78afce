package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;
import static dev.tessera.testing.SourceLines.mark;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.backend.KernelFault;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.semantic.TraceException;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.SourceLines;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hints change nothing but speed; device_assert fails the launch naming its line, program and
 * message (and passes silently when it holds); static_assert fails tracing; device_print prints.
 */
@ExtendWith(SeedExtension.class)
class HintsDebugTest {

    @Kernel
    static void hinted(Tile x, Tile out, Tile n, @Constexpr boolean HINTS, @Constexpr int BLOCK) {
        Tile start = programId(0).mul(BLOCK);
        Tile offs = start.add(arange(0, BLOCK));
        if (HINTS) {
            offs = maxContiguous(multipleOf(offs, BLOCK), BLOCK);
            start = multipleOf(start, BLOCK);
            assume(n.gt(0));
            prefetch(x.add(offs.add(BLOCK)), offs.add(BLOCK).lt(n));   // the next program's block, ahead into L2
        }
        Tile m = offs.lt(n);
        Tile v = load(x.add(offs), m);
        if (HINTS) v = maxConstancy(v, 1);
        store(out.add(offs), v.mul(3), m);
        debugBarrier();
    }

    static final JitKernel HINTED = Jit.kernel(HintsDebugTest.class, "hinted");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void hintsDoNotChangeResults(Device device, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        for (int n : SIZES) {
            Tensor x = randomFloats(DType.F32, d, r, n, -5, 5);
            Tensor plain = poisoned(DType.F32, d, n), hinted = poisoned(DType.F32, d, n);
            HINTED.launch(grid(cdiv(n, 128)), x, plain, n, false, 128);
            HINTED.launch(grid(cdiv(n, 128)), x, hinted, n, true, 128);
            double[] ref = x.toDoubleArray();
            for (int i = 0; i < n; i++) ref[i] *= 3;
            Check.close(ref, plain.toDoubleArray(), Tolerance.of(DType.F32), "without hints, n=" + n);
            Check.close(ref, hinted.toDoubleArray(), Tolerance.of(DType.F32), "with hints, n=" + n);
        }
    }

    @Kernel
    static void checked(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        Tile v = load(x.add(offs), m);
        mark("device assert"); deviceAssert(v.ge(0).or(m.not()), "x must be non-negative");
        store(out.add(offs), sqrt(v), m);
    }

    static final JitKernel CHECKED = Jit.kernel(HintsDebugTest.class, "checked");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void deviceAssertFailsNamingLineProgramAndMessage(Device device) {
        Device d = use(device);
        int n = 300;
        double[] in = new double[n];
        for (int i = 0; i < n; i++) in[i] = i;
        Tensor x = Tensor.from(in, DType.F32, d, n), out = poisoned(DType.F32, d, n);
        CHECKED.launch(grid(3), x, out, n, 128); // holds everywhere: no fault
        in[200] = -1; // program 1, lane 72
        x.write(in);
        KernelFault f = assertThrows(KernelFault.class, () -> CHECKED.launch(grid(3), x, out, n, 128));
        String msg = f.getMessage();
        assertTrue(msg.startsWith(SourceLines.prefix(getClass(), "device assert")), "the assert's line first: " + msg);
        assertTrue(msg.contains("checked") && msg.contains("program 1, 0, 0"), "kernel and program: " + msg);
        assertTrue(msg.contains("x must be non-negative"), "the message: " + msg);
        if (d.backend().equals("cpu")) assertTrue(msg.contains("lane 72"), "the CPU names the lane too: " + msg);
    }

    @Kernel
    static void statically(Tile out, @Constexpr int BLOCK) {
        mark("static assert"); staticAssert(Integer.bitCount(BLOCK) == 1 && BLOCK >= 16, "BLOCK must be a power of 2 of at least 16");
        store(out.add(arange(0, BLOCK)), zeros(F32, BLOCK));
    }

    static final JitKernel STATICALLY = Jit.kernel(HintsDebugTest.class, "statically");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void staticAssertFailsTracing(Device device) {
        Device d = use(device);
        Tensor out = poisoned(DType.F32, d, 32);
        STATICALLY.launch(grid(1), out, 32);
        TraceException e = assertThrows(TraceException.class, () -> STATICALLY.launch(grid(1), out, 8));
        assertTrue(e.getMessage().startsWith(SourceLines.prefix(getClass(), "static assert") + " static assertion failed: BLOCK must be a power of 2"),
                e.getMessage());
    }

    @Kernel
    static void printing(Tile x) {
        devicePrint("x = ", load(x.add(arange(0, 4))));
    }

    static final JitKernel PRINTING = Jit.kernel(HintsDebugTest.class, "printing");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void devicePrintPrintsTheValuesWithTheProgramId(Device device) {
        Device d = use(device);
        assumeCpuStdout(d);
        Tensor x = Tensor.from(new double[] {1, 2, 3, 4}, DType.F32, d, 4);
        PrintStream saved = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            PRINTING.launch(grid(2), x);
        } finally {
            System.setOut(saved);
        }
        String text = captured.toString();
        assertTrue(text.contains("pid (0, 0, 0) x = [1.0, 2.0, 3.0, 4.0]") && text.contains("pid (1, 0, 0)"), text);
    }

    /** A GPU prints from the device into its own buffer; only the CPU backend's output lands in System.out. */
    private static void assumeCpuStdout(Device d) {
        org.junit.jupiter.api.Assumptions.assumeTrue(d.backend().equals("cpu"), "device printing reaches System.out only on the CPU");
    }
}
