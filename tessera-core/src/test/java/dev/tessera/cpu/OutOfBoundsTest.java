package dev.tessera.cpu;

import static dev.tessera.lang.TL.*;
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
import dev.tessera.testing.Check;
import dev.tessera.testing.SourceLines;
import dev.tessera.testing.TestDevices;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CPU backend's sanitizer: an unmasked access past the end (or before the start, or into a freed
 * or misaligned place) fails the launch with a {@link KernelFault} that names the source line, the
 * kernel, the program, the offset and the buffer's size; and a faulty store writes nothing, so no
 * memory outside the buffer, and no lane of the faulty store, changes.
 */
class OutOfBoundsTest {
    static final int BLOCK = 256;

    /** Bounds checks are the CPU backend's; a GPU would need its own sanitizer. */
    static Device cpuOnly(Device device) {
        Device d = TestDevices.require(device);
        Assumptions.assumeTrue(d.backend().equals("cpu"), "bounds-checked memory is a feature of the CPU backend");
        return d;
    }

    @Kernel
    static void oobStore(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile v = load(x.add(offs), offs.lt(n));
        mark("oob store"); store(out.add(offs), v.add(1)); // no mask: the last program runs past the end
    }

    @Kernel
    static void oobLoad(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        mark("oob load"); Tile v = load(x.add(offs));
        store(out.add(offs), v, offs.lt(n));
    }

    @Kernel
    static void beforeTheStart(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = arange(0, BLOCK);
        mark("negative"); Tile v = load(x.add(offs).sub(3), offs.lt(n));
        store(out.add(offs), v, offs.lt(n));
    }

    @Kernel
    static void strided(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile i = arange(0, 16), j = arange(0, 16);
        mark("strided"); store(out.add(i.col().mul(n)).add(j.row()), zeros(F32, 16, 16)); // rows of n: the last rows go past
    }

    @Kernel
    static void atomicPastTheEnd(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        mark("atomic"); atomicAdd(out.add(offs), 1.0);
    }

    static final JitKernel STORE = Jit.kernel(OutOfBoundsTest.class, "oobStore");
    static final JitKernel LOAD = Jit.kernel(OutOfBoundsTest.class, "oobLoad");
    static final JitKernel NEGATIVE = Jit.kernel(OutOfBoundsTest.class, "beforeTheStart");
    static final JitKernel STRIDED = Jit.kernel(OutOfBoundsTest.class, "strided");
    static final JitKernel ATOMIC = Jit.kernel(OutOfBoundsTest.class, "atomicPastTheEnd");

    private static void expect(KernelFault f, String mark, String... parts) {
        String msg = f.getMessage(), prefix = SourceLines.prefix(OutOfBoundsTest.class, mark);
        assertTrue(msg.startsWith(prefix + " "), "expected the line of the access first ('" + prefix + "'): " + msg);
        for (String p : parts) assertTrue(msg.contains(p), "expected '" + p + "' in: " + msg);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void storePastTheEndFaultsAndWritesNothingOutside(Device device) {
        Device d = cpuOnly(device);
        int n = 1000;
        double[] in = new double[n];
        for (int i = 0; i < n; i++) in[i] = i;
        Tensor before = Tensor.full(DType.F32, -7, d, 64); // neighbours allocated around the output
        Tensor x = Tensor.from(in, DType.F32, d, n), out = Tensor.full(DType.F32, Double.NaN, d, n);
        Tensor after = Tensor.full(DType.F32, -7, d, 64);
        KernelFault f = assertThrows(KernelFault.class, () -> STORE.launch(grid(cdiv(n, BLOCK)), x, out, n, BLOCK));
        // program 3 covers elements 768..1023: lane 232 is element 1000, the first past the end
        expect(f, "oob store", "oobStore (program 3, 0, 0)", "store out of bounds", "byte offset 4000 (element 1000)",
                "buffer of 4000 bytes (1000 × f32)", "lane 232", "mask the access");
        double[] o = out.toDoubleArray();
        for (int i = 768; i < n; i++) assertTrue(Double.isNaN(o[i]), "the faulty store wrote element " + i + ": " + o[i]);
        for (int i = 0; i < 768; i++) assertTrue(Double.isNaN(o[i]) || o[i] == i + 1, "element " + i + " is " + o[i]);
        double[] guard = new double[64];
        Arrays.fill(guard, -7);
        Check.close(guard, before.toDoubleArray(), Tolerance.EXACT, "the tensor before is untouched");
        Check.close(guard, after.toDoubleArray(), Tolerance.EXACT, "the tensor after is untouched");
        Check.close(in, x.toDoubleArray(), Tolerance.EXACT, "the input is untouched");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void storePastTheEndOfASliceFaultsNamingTheView(Device device) {
        Device d = cpuOnly(device);
        Tensor base = Tensor.full(DType.F32, -7, d, 1000), view = base.slice(0, 100, 300); // elements 100..299
        Tensor x = Tensor.zeros(DType.F32, d, 200);
        KernelFault f = assertThrows(KernelFault.class, () -> STORE.launch(grid(1), x, view, 200, BLOCK));
        expect(f, "oob store", "store out of bounds", "byte offset 800 (element 200)",
                "of a view of 800 bytes (200 × f32) at byte 400 of a buffer of 4000 bytes", "lane 200");
        double[] guard = new double[1000];
        Arrays.fill(guard, -7);
        Check.close(guard, base.toDoubleArray(), Tolerance.EXACT, "the base, inside the view and past it, is untouched");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void loadPastTheEndFaults(Device device) {
        Device d = cpuOnly(device);
        int n = 300;
        Tensor x = Tensor.zeros(DType.F16, d, n), out = Tensor.zeros(DType.F16, d, 512);
        KernelFault f = assertThrows(KernelFault.class, () -> LOAD.launch(grid(2), x, out, n, BLOCK));
        expect(f, "oob load", "oobLoad (program 1, 0, 0)", "load out of bounds", "byte offset 600 (element 300)",
                "buffer of 600 bytes (300 × f16)", "lane 44");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void accessBeforeTheStartFaults(Device device) {
        Device d = cpuOnly(device);
        Tensor x = Tensor.zeros(DType.I64, d, 100), out = Tensor.zeros(DType.I64, d, 100);
        KernelFault f = assertThrows(KernelFault.class, () -> NEGATIVE.launch(grid(1), x, out, 100, 128));
        expect(f, "negative", "(program 0, 0, 0)", "byte offset -24 (element -3)", "buffer of 800 bytes (100 × i64)", "lane 0");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void stridedStoreFaultsAtItsFirstBadLaneAndWritesNothing(Device device) {
        Device d = cpuOnly(device);
        int n = 20; // 16 rows of 20 would need 316 elements; 200 hold rows 0..9
        Tensor x = Tensor.zeros(DType.F32, d, 1), out = Tensor.full(DType.F32, 5, d, 200);
        KernelFault f = assertThrows(KernelFault.class, () -> STRIDED.launch(grid(1), x, out, n, 16));
        expect(f, "strided", "store out of bounds", "element 200", "buffer of 800 bytes (200 × f32)", "lane 160");
        double[] fives = new double[200];
        Arrays.fill(fives, 5);
        Check.close(fives, out.toDoubleArray(), Tolerance.EXACT, "a faulty store writes none of its lanes");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void atomicPastTheEndFaults(Device device) {
        Device d = cpuOnly(device);
        Tensor out = Tensor.zeros(DType.F32, d, 256 + 10);
        KernelFault f = assertThrows(KernelFault.class, () -> ATOMIC.launch(grid(2), out, out, 0, BLOCK));
        expect(f, "atomic", "(program 1, 0, 0)", "atomic add out of bounds", "element 266", "lane 10");
        double[] o = out.toDoubleArray();
        for (int i = 256; i < 266; i++) assertTrue(o[i] == 0, "the faulty atomic applied its lane " + (i - 256) + ": " + o[i]);
    }

    // ------------------------------------------------------------------ freed and misaligned memory

    @Kernel
    static void throughAddress(Tile address, Tile out, @Constexpr boolean MISALIGNED) {
        Tile p = address.bitcast(dev.tessera.types.DType.I64).asPointerTo(F32); // an integer turned into a pointer
        if (MISALIGNED) p = p.asPointerTo(U8).add(1).asPointerTo(F32);
        mark("raw address"); store(out, load(p));
    }

    static final JitKernel ADDRESS = Jit.kernel(OutOfBoundsTest.class, "throughAddress");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void useAfterFreeAndMisalignedAccessFault(Device device) {
        Device d = cpuOnly(device);
        Tensor out = Tensor.zeros(DType.F32, d, 1), live = Tensor.zeros(DType.F32, d, 4), freed = Tensor.zeros(DType.F32, d, 4);
        long address = freed.dataPointer();
        freed.close();
        KernelFault f = assertThrows(KernelFault.class, () -> ADDRESS.launch(grid(1), address, out, false));
        expect(f, "raw address", "load address 0x", "is not in any live buffer");
        KernelFault g = assertThrows(KernelFault.class, () -> ADDRESS.launch(grid(1), live.dataPointer(), out, true));
        expect(g, "raw address", "misaligned f32 access at byte offset 1");
    }
}
