package dev.tessera.cpu;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.backend.KernelFault;
import dev.tessera.cpu.AccessRecorder.Access;
import dev.tessera.cpu.AccessRecorder.Kind;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccessRecorderTest {
    @Kernel
    static void add(Tile x, Tile y, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), load(x.add(offs), mask).add(load(y.add(offs), mask)), mask);
    }

    @Kernel
    static void unmasked(Tile x, Tile out, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        store(out.add(offs), load(x.add(offs)).mul(2));
    }

    @Kernel
    static void histogram(Tile x, Tile bins, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        atomicAdd(bins.add(load(x.add(offs), mask)), full(I32, 1L, BLOCK), mask);
    }

    private static final JitKernel ADD = Jit.kernel(AccessRecorderTest.class, "add");
    private static final Device CPU = Device.cpu();

    @Test
    void recordsEveryLaneOfTheChosenProgram() {
        int n = 10;
        try (Tensor x = Tensor.rand(DType.F32, 1, CPU, n); Tensor y = Tensor.rand(DType.F32, 2, CPU, n);
             Tensor out = Tensor.zeros(DType.F32, CPU, n)) {
            List<Access> seen = new ArrayList<>();
            AccessRecorder onlyProgram1 = new AccessRecorder() {
                @Override public boolean records(int px, int py, int pz) { return px == 1; }
                @Override public void record(Access a) { seen.add(a); }
            };
            try (var scope = AccessRecorder.install(onlyProgram1)) {
                ADD.launch(grid(2), x, y, out, n, 8);
            }
            assertEquals(3 * 8, seen.size(), "two loads and a store of 8 lanes");
            assertTrue(seen.stream().allMatch(a -> a.pidX() == 1));
            List<Access> xLoads = seen.stream().filter(a -> a.bufferAddress() == x.buffer().address()).toList();
            assertEquals(8, xLoads.size());
            for (int lane = 0; lane < 8; lane++) {
                Access a = xLoads.get(lane);
                assertEquals(Kind.LOAD, a.kind());
                assertEquals(8 + lane, a.element());
                assertEquals(lane, a.lane());
                assertEquals(8 + lane >= n, a.masked(), "lane " + lane);
                assertFalse(a.outOfBounds());
                assertEquals("AccessRecorderTest.java", a.loc().file());
            }
            List<Access> stores = seen.stream().filter(a -> a.kind() == Kind.STORE).toList();
            assertEquals(8, stores.size());
            assertTrue(stores.stream().allMatch(a -> a.bufferAddress() == out.buffer().address()));
            // the launch still computed every program
            double[] xs = x.toDoubleArray(), ys = y.toDoubleArray(), o = out.toDoubleArray();
            for (int i = 0; i < n; i++) assertEquals((float) (xs[i] + ys[i]), o[i], 0.0);
        }
    }

    @Test
    void outOfBoundsLanesAreRecordedInsteadOfFailing() {
        JitKernel k = Jit.kernel(AccessRecorderTest.class, "unmasked");
        try (Tensor x = Tensor.full(DType.F32, 3, CPU, 6); Tensor out = Tensor.zeros(DType.F32, CPU, 6)) {
            assertThrows(KernelFault.class, () -> k.launch(grid(2), x, out, 4));
            List<Access> seen = new ArrayList<>();
            try (var scope = AccessRecorder.install(seen::add)) {
                k.launch(grid(2), x, out, 4);
            }
            List<Access> bad = seen.stream().filter(Access::outOfBounds).toList();
            assertEquals(4, bad.size(), "elements 6 and 7 of x and of out");
            assertTrue(bad.stream().allMatch(a -> a.pidX() == 1 && a.element() >= 6 && !a.masked()));
            assertArrayEquals(new double[] {6, 6, 6, 6, 6, 6}, out.toDoubleArray());
            // and with the recorder gone the check is back
            assertThrows(KernelFault.class, () -> k.launch(grid(2), x, out, 4));
        }
    }

    @Test
    void atomicsAreRecorded() {
        JitKernel k = Jit.kernel(AccessRecorderTest.class, "histogram");
        try (Tensor x = Tensor.of(new int[] {0, 1, 1, 3, 7}, 5); Tensor bins = Tensor.fromLongs(new long[4], DType.I32, CPU, 4)) {
            List<Access> seen = new ArrayList<>();
            try (var scope = AccessRecorder.install(seen::add)) {
                k.launch(grid(1), x, bins, 5, 8);
            }
            List<Access> atomics = seen.stream().filter(a -> a.kind() == Kind.ATOMIC).toList();
            assertEquals(8, atomics.size());
            assertEquals(3, atomics.stream().filter(Access::masked).count());
            assertEquals(1, atomics.stream().filter(Access::outOfBounds).count(), "bin 7 of 4");
            assertArrayEquals(new long[] {1, 2, 0, 1}, bins.toLongArray());
        }
    }
}
