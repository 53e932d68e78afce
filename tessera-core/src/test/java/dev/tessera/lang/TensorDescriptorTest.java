package dev.tessera.lang;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.runtime.TensorDescriptor;
import dev.tessera.semantic.TraceException;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tensor descriptors on every device: blocks at element offsets read 0 outside the tensor and
 * stores and atomic adds there are dropped (ragged sizes, negative offsets), a load repeated in a
 * loop, every memory dtype, overlapping blocks added atomically, and the TMA rules checked at launch
 * with the argument named.
 */
@ExtendWith(SeedExtension.class)
class TensorDescriptorTest {
    @Kernel
    static void copy(TensorDesc in, TensorDesc out, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM), n = programId(1).mul(BN);
        store(out, at(m, n), load(in, m, n));
    }

    /** Program (i, j) writes the block of {@code in} at (i·BM + dm, j·BN + dn) to its block of the plain, padded {@code out}. */
    @Kernel
    static void shifted(TensorDesc in, Tile out, Tile dm, Tile dn, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM), n = programId(1).mul(BN), width = numPrograms(1).mul(BN);
        Tile block = load(in, m.add(dm), n.add(dn));
        Tile rows = m.add(arange(0, BM)), cols = n.add(arange(0, BN));
        store(out.add(rows.col().mul(width)).add(cols.row()), block);
    }

    /** Each program sums the row-block's BN-wide column blocks: one load site run K/BN times. */
    @Kernel
    static void rowBlockSum(TensorDesc in, TensorDesc out, Tile cols, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(cols, BN))) acc.set(acc.get().add(load(in, m, k.mul(BN)).to(F32)));
        store(out, at(m, scalar(0)), acc.get());
    }

    @Kernel
    static void oneDimensional(TensorDesc in, TensorDesc out, @Constexpr int B) {
        Tile i = programId(0).mul(B);
        store(out, at(i), load(in, i).add(1));
    }

    /**
     * Program (i, j) adds its [BM, BN] block of the plain {@code in} into {@code out} at (i·BM/2, j·BN/2):
     * neighbouring programs' blocks overlap, so most elements take four programs' adds.
     */
    @Kernel
    static void overlappingAdds(Tile in, TensorDesc out, @Constexpr int BM, @Constexpr int BN) {
        Tile i = programId(0), j = programId(1), width = numPrograms(1).mul(BN);
        Tile rows = i.mul(BM).add(arange(0, BM)), cols = j.mul(BN).add(arange(0, BN));
        atomicAdd(out, at(i.mul(BM / 2), j.mul(BN / 2)), load(in.add(rows.col().mul(width)).add(cols.row())));
    }

    /** {@link #overlappingAdds} with every block moved by (dm, dn), which may start it before the tensor. */
    @Kernel
    static void shiftedAdds(Tile in, TensorDesc out, Tile dm, Tile dn, @Constexpr int BM, @Constexpr int BN) {
        Tile i = programId(0), j = programId(1), width = numPrograms(1).mul(BN);
        Tile rows = i.mul(BM).add(arange(0, BM)), cols = j.mul(BN).add(arange(0, BN));
        atomicAdd(out, at(i.mul(BM / 2).add(dm), j.mul(BN / 2).add(dn)), load(in.add(rows.col().mul(width)).add(cols.row())));
    }

    static final JitKernel COPY = Jit.kernel(TensorDescriptorTest.class, "copy");
    static final JitKernel OVERLAPPING_ADDS = Jit.kernel(TensorDescriptorTest.class, "overlappingAdds");
    static final JitKernel SHIFTED_ADDS = Jit.kernel(TensorDescriptorTest.class, "shiftedAdds");
    static final JitKernel SHIFTED = Jit.kernel(TensorDescriptorTest.class, "shifted");
    static final JitKernel ROW_BLOCK_SUM = Jit.kernel(TensorDescriptorTest.class, "rowBlockSum");
    static final JitKernel ONE_D = Jit.kernel(TensorDescriptorTest.class, "oneDimensional");

    static Tensor random(DType t, long seed, Device d, long... shape) {
        return t.isFloat() ? Tensor.randn(t, seed, d, shape) : Tensor.randint(t, seed, -100, 100, d, shape);
    }

    static Tensor poisoned(DType t, Device d, long... shape) { return Tensor.full(t, t.isFloat() ? Double.NaN : 77, d, shape); }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void copiesEveryMemoryType(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        for (DType t : new DType[] {DType.F32, DType.F16, DType.BF16, DType.I8, DType.FP8E4M3, DType.I32}) {
            // ragged: neither size is a multiple of its block; the inner block is 16 bytes or more
            int rows = 45, cols = 112, bm = 16, bn = Math.max(16, 64 / t.byteSize());
            try (Tensor in = random(t, seed, d, rows, cols); Tensor out = poisoned(t, d, rows, cols)) {
                COPY.launch(grid(cdiv(rows, bm), cdiv(cols, bn)), TensorDescriptor.of(in, bm, bn), TensorDescriptor.of(out, bm, bn), bm, bn);
                Check.close(in.toDoubleArray(), out.toDoubleArray(), Tolerance.EXACT, t + " copy through descriptors");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void readsZeroOutsideTheTensor(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 37, cols = 52, bm = 16, bn = 8, dm = -3;
        int gm = cdiv(rows, bm) + 1, gn = cdiv(cols, bn);
        // columns shifted by 5 f32 (20 bytes: a box off a 16-byte column, read as masked loads) and by 16 (TMA on Hopper)
        for (int dn : new int[] {5, 16}) {
            try (Tensor in = Tensor.randn(DType.F32, seed, d, rows, cols); Tensor out = poisoned(DType.F32, d, (long) gm * bm, (long) gn * bn)) {
                SHIFTED.launch(grid(gm, gn), TensorDescriptor.of(in, bm, bn), out, dm, dn, bm, bn);
                double[] x = in.toDoubleArray(), ref = new double[gm * bm * gn * bn];
                for (int i = 0; i < gm * bm; i++) {
                    for (int j = 0; j < gn * bn; j++) {
                        int si = i + dm, sj = j + dn;
                        ref[i * gn * bn + j] = si >= 0 && si < rows && sj >= 0 && sj < cols ? x[si * cols + sj] : 0;
                    }
                }
                Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, "blocks shifted by (" + dm + ", " + dn + "), zero outside");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void loadsInALoop(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 70, cols = 200, bm = 32, bn = 32; // 7 iterations, the last one ragged
        try (Tensor in = random(DType.BF16, seed, d, rows, cols); Tensor out = poisoned(DType.F32, d, rows, bn)) {
            ROW_BLOCK_SUM.launch(grid(cdiv(rows, bm)), TensorDescriptor.of(in, bm, bn), TensorDescriptor.of(out, bm, bn), cols, bm, bn);
            double[] x = in.toDoubleArray(), ref = new double[rows * bn];
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) ref[i * bn + j % bn] += x[i * cols + j];
            Check.close(ref, out.toDoubleArray(), Tolerance.of(DType.F32).scaled(10), "sums of blocks loaded in a loop");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void oneDimensionalDescriptors(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        int n = 1000;
        try (Tensor in = random(DType.I32, seed, d, n); Tensor out = poisoned(DType.I32, d, n)) {
            ONE_D.launch(grid(cdiv(n, 128)), TensorDescriptor.of(in, 128), TensorDescriptor.of(out, 128), 128);
            long[] x = in.toLongArray(), ref = new long[n];
            for (int i = 0; i < n; i++) ref[i] = x[i] + 1;
            Check.equal(ref, out.toLongArray(), "1-d descriptor");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void atomicAddsSumOverlappingBlocks(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        // ragged: the blocks run past the tensor's end in both dimensions; (-3, -8) starts the first row and column of blocks before it
        int rows = 41, cols = 56, bm = 16, bn = 16, gm = 5, gn = 7;
        for (DType t : new DType[] {DType.F32, DType.I32, DType.BF16}) {
            for (int[] shift : new int[][] {null, {-3, -8}, {5, 8}}) {
                try (Tensor in = random(t, seed, d, (long) gm * bm, (long) gn * bn); Tensor out = random(t, seed + 1, d, rows, cols)) {
                    double[] x = in.toDoubleArray(), ref = out.toDoubleArray();
                    TensorDescriptor desc = TensorDescriptor.of(out, bm, bn);
                    if (shift == null) OVERLAPPING_ADDS.launch(grid(gm, gn), in, desc, bm, bn);
                    else SHIFTED_ADDS.launch(grid(gm, gn), in, desc, shift[0], shift[1], bm, bn);
                    int dm = shift == null ? 0 : shift[0], dn = shift == null ? 0 : shift[1];
                    for (int i = 0; i < gm * bm; i++) {
                        for (int j = 0; j < gn * bn; j++) {
                            int r = i / bm * (bm / 2) + i % bm + dm, c = j / bn * (bn / 2) + j % bn + dn;
                            if (r >= 0 && r < rows && c >= 0 && c < cols) ref[r * cols + c] += x[i * gn * bn + j];
                        }
                    }
                    String what = t + " blocks added " + (shift == null ? "in place" : "shifted by " + dm + ", " + dn);
                    if (t == DType.I32) Check.equal(java.util.Arrays.stream(ref).mapToLong(v -> (long) v).toArray(), out.toLongArray(), what);
                    else Check.close(ref, out.toDoubleArray(), Tolerance.of(t).scaled(4), what);
                }
            }
        }
    }

    @Kernel
    static void addIntoBytes(TensorDesc out) { atomicAdd(out, at(scalar(0), scalar(0)), zeros(I8, 16, 16)); }

    @Test
    void atomicAddRefusesWhatTheCopyUnitCannotAdd() {
        try (Tensor t = Tensor.zeros(DType.I8, Device.cpu(), 16, 16)) {
            TraceException e = assertThrows(TraceException.class, () -> Jit.kernel(TensorDescriptorTest.class, "addIntoBytes")
                    .launch(grid(1), TensorDescriptor.of(t, 16, 16)));
            assertTrue(e.getMessage().startsWith("TensorDescriptorTest.java:"), e.getMessage());
            assertMentions(e, "atomic add through a descriptor does not support i8");
        }
    }

    @Test
    void stridesThatBreakTheRulesAreRefusedNamingTheArgument() {
        Device d = Device.cpu();
        try (Tensor odd = Tensor.zeros(DType.F32, d, 10, 13); Tensor ok = Tensor.zeros(DType.F32, d, 16, 16)) {
            // 13 f32 = 52 bytes per row: not a multiple of 16
            TraceException e = assertThrows(TraceException.class, () -> COPY.launch(grid(1, 1),
                    TensorDescriptor.of(odd, 8, 8), TensorDescriptor.of(ok, 8, 8), 8, 8));
            assertMentions(e, "argument in", "stride of dimension 0", "52 bytes");
            // a slice that starts one element in: misaligned base
            e = assertThrows(TraceException.class, () -> COPY.launch(grid(1, 1),
                    TensorDescriptor.of(ok, 8, 8), TensorDescriptor.of(ok.slice(1, 1, 9), 8, 8), 8, 8));
            assertMentions(e, "argument out", "16-byte boundary");
            // a transposed view: the innermost stride is not 1
            e = assertThrows(TraceException.class, () -> COPY.launch(grid(1, 1),
                    TensorDescriptor.of(ok.transpose(0, 1), 8, 8), TensorDescriptor.of(ok, 8, 8), 8, 8));
            assertMentions(e, "argument in", "innermost stride is 16");
            e = assertThrows(TraceException.class, () -> COPY.launch(grid(1, 1),
                    TensorDescriptor.of(ok, 8, 2), TensorDescriptor.of(ok, 8, 2), 8, 2));
            assertMentions(e, "argument in", "innermost dimension is 8 bytes");
            e = assertThrows(TraceException.class, () -> COPY.launch(grid(1, 1),
                    TensorDescriptor.of(ok, 6, 8), TensorDescriptor.of(ok, 8, 8), 8, 8));
            assertMentions(e, "argument in", "block dimension 0 is 6");
            e = assertThrows(TraceException.class, () -> COPY.launch(grid(1, 1), ok, TensorDescriptor.of(ok, 8, 8), 8, 8));
            assertMentions(e, "argument in", "declared TensorDesc");
            assertThrows(IllegalArgumentException.class, () -> TensorDescriptor.of(ok, 8));
        }
    }

    @Test
    void theKernelIsSpecializedForDtypeAndBlockNotForTheTensorsShape() {
        JitKernel copy = Jit.kernel(TensorDescriptorTest.class, "copy");
        Device d = Device.cpu();
        try (Tensor a = Tensor.zeros(DType.F32, d, 32, 32); Tensor b = Tensor.zeros(DType.F32, d, 48, 64); Tensor h = Tensor.zeros(DType.F16, d, 32, 32)) {
            copy.launch(grid(4, 4), TensorDescriptor.of(a, 8, 8), TensorDescriptor.of(a, 8, 8), 8, 8);
            copy.launch(grid(6, 8), TensorDescriptor.of(b, 8, 8), TensorDescriptor.of(b, 8, 8), 8, 8);
            assertEquals(1, copy.compiledCount(), "another shape and strides, the same code");
            copy.launch(grid(4, 2), TensorDescriptor.of(a, 8, 16), TensorDescriptor.of(a, 8, 16), 8, 16);
            copy.launch(grid(4, 4), TensorDescriptor.of(h, 8, 8), TensorDescriptor.of(h, 8, 8), 8, 8);
            assertEquals(3, copy.compiledCount(), "a block shape and a dtype of their own");
        }
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
    }

    @Kernel
    static void wrongOffsets(TensorDesc in, TensorDesc out) { store(out, at(scalar(0)), load(in, scalar(0), scalar(0))); }

    @Test
    void offsetsMustMatchTheRank() {
        try (Tensor t = Tensor.zeros(DType.F32, Device.cpu(), 16, 16)) {
            TraceException e = assertThrows(TraceException.class, () -> Jit.kernel(TensorDescriptorTest.class, "wrongOffsets")
                    .launch(grid(1), TensorDescriptor.of(t, 8, 8), TensorDescriptor.of(t, 8, 8)));
            assertTrue(e.getMessage().startsWith("TensorDescriptorTest.java:"), e.getMessage());
            assertMentions(e, "takes 2 offsets", "got 1");
        }
    }
}
