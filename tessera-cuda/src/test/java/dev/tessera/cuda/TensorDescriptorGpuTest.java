package dev.tessera.cuda;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.cuda.codegen.DescriptorKernels;
import dev.tessera.cuda.driver.CudaDriver;
import dev.tessera.cuda.driver.KernelArgs;
import dev.tessera.cuda.driver.TensorMaps;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.TensorDesc;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.runtime.TensorDescriptor;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tensor descriptors on a real GPU. On sm_90+ they are TMA
 * copies (each test checks the PTX says so): round trips of every memory dtype over ragged sizes, blocks shifted past every edge (zeros
 * read, stores dropped), two load sites repeated in a loop of an odd number of trips (each
 * barrier's phase parity), big boxes (256 wide, 32 KiB), a wgmma matmul fed by descriptor loads;
 * and the same kernels without it ({@code -Dtessera.cuda.tma=false}: the masked loads and stores) on the
 * same card. The cost of encoding a tensor map at launch is reported.
 */
@ExtendWith(SeedExtension.class)
class TensorDescriptorGpuTest {
    private Device device;

    @BeforeEach
    void gpu() {
        assumeTrue(CudaDriver.isAvailable(), () -> "no CUDA here: " + CudaDriver.unavailableReason().orElse(""));
        device = Device.cuda(0);
    }

    /** Block (i, j) of {@code in} shifted by (dm, dn) into the descriptor {@code out}, which is shifted back by (dm, dn). */
    @Kernel
    static void shifted(TensorDesc in, TensorDesc out, Tile dm, Tile dn, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM).sub(BM), n = programId(1).mul(BN).sub(BN);
        store(out, at(m.sub(dm), n.sub(dn)), load(in, m.add(dm), n.add(dn)));
    }

    /** out[row block] = Σ_k (a[rows, k block] + 2·b[rows, k block]): two load sites in one loop. */
    @Kernel
    static void twoSitesInALoop(TensorDesc a, TensorDesc b, TensorDesc out, Tile cols, @Constexpr int BM, @Constexpr int BN) {
        Tile m = programId(0).mul(BM);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(cols, BN))) {
            acc.set(acc.get().add(load(a, m, k.mul(BN)).to(F32)).add(load(b, m, k.mul(BN)).to(F32).mul(2)));
        }
        store(out, at(m, scalar(0)), acc.get());
    }

    /**
     * A fresh kernel (with its own memory cache, so a compilation from the other path is not reused:
     * the launch's specialization key does not hold the backend's testing switches).
     */
    private static JitKernel kernel(Class<?> owner, String name) { return Jit.kernel(owner, name); }

    /** Runs {@code body} with TMA (the default, used where the GPU has it), then without ({@code tessera.cuda.tma=false}). */
    private static void bothPaths(java.util.function.Consumer<Boolean> body) {
        body.accept(true);
        System.setProperty("tessera.cuda.tma", "false");
        try {
            body.accept(false);
        } finally {
            System.clearProperty("tessera.cuda.tma");
        }
    }

    /** The compiled kernel uses TMA exactly when it is wanted and its target (sm_90 or newer) has it. */
    private static void assertPath(JitKernel k, Object[] args, boolean tmaWanted) {
        String ptx = ((CudaKernel) k.specialize(args)).ptx.ptx();
        var target = java.util.regex.Pattern.compile("\\.target sm_(\\d+)").matcher(ptx);
        assertTrue(target.find(), "a .target line");
        boolean expected = tmaWanted && Integer.parseInt(target.group(1)) >= 90, used = ptx.contains("cp.async.bulk.tensor");
        assertEquals(expected, used, () -> k.name() + ": TMA " + (used ? "used" : "not used") + " in\n" + ptx);
    }

    static Tensor random(DType t, long seed, Device d, long... shape) {
        return t.isFloat() ? Tensor.randn(t, seed, d, shape) : Tensor.randint(t, seed, -100, 100, d, shape);
    }

    static Tensor poisoned(DType t, Device d, long... shape) { return Tensor.full(t, t.isFloat() ? Double.NaN : 77, d, shape); }

    @ParameterizedTest
    @ValueSource(strings = {"f16", "bf16", "f32", "i8", "fp8e4m3", "i32"})
    void roundTripsEveryDtype(String name, @Seed long seed) {
        DType t = DType.parse(name);
        bothPaths(tma -> {
            int rows = 301, cols = 208, bm = 64, bn = Math.min(256, 128 / t.byteSize());
            try (Tensor in = random(t, seed, device, rows, cols); Tensor out = poisoned(t, device, rows, cols)) {
                JitKernel copy = kernel(DescriptorKernels.class, "copy");
                Object[] args = {TensorDescriptor.of(in, bm, bn), TensorDescriptor.of(out, bm, bn), bm, bn};
                assertPath(copy, args, tma);
                copy.launch(grid(cdiv(rows, bm), cdiv(cols, bn)), args);
                Check.close(in.toDoubleArray(), out.toDoubleArray(), Tolerance.EXACT, t + " round trip, TMA " + tma);
            }
        });
    }

    @Test
    void readsZerosAndDropsStoresPastEveryEdge(@Seed long seed) {
        // rows of 92 f32 (368 bytes: a legal stride, ragged against the 16-column block); columns shifted by -3 (12 bytes
        // off a 16-byte column: masked loads even where TMA is wanted) and by -16 (a 16-byte column: TMA on sm_90)
        for (int dn : new int[] {-3, -16}) {
            bothPaths(tma -> {
                int rows = 77, cols = 92, bm = 32, bn = 16, dm = 5;
                try (Tensor in = Tensor.randn(DType.F32, seed, device, rows, cols); Tensor out = poisoned(DType.F32, device, rows, cols)) {
                    JitKernel shifted = kernel(TensorDescriptorGpuTest.class, "shifted");
                    Object[] args = {TensorDescriptor.of(in, bm, bn), TensorDescriptor.of(out, bm, bn), dm, dn, bm, bn};
                    assertPath(shifted, args, tma && dn % 16 == 0);
                    // one block row and column of programs before the tensor and one after: blocks hang over every edge
                    shifted.launch(grid(cdiv(rows, bm) + 2, cdiv(cols, bn) + 2), args);
                    // the stored blocks tile the plane, each out[i, j] from in[i + 2·dm, j + 2·dn] (0 outside)
                    double[] x = in.toDoubleArray(), ref = new double[rows * cols];
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < cols; j++) {
                            int si = i + 2 * dm, sj = j + 2 * dn;
                            ref[i * cols + j] = si >= 0 && si < rows && sj >= 0 && sj < cols ? x[si * cols + sj] : 0;
                        }
                    }
                    Check.close(ref, out.toDoubleArray(), Tolerance.EXACT, "shifted blocks by (" + dm + ", " + dn + "), TMA " + tma);
                }
            });
        }
    }

    @Test
    void twoLoadSitesKeepTheirPhasesOverAnOddNumberOfTrips(@Seed long seed) {
        bothPaths(tma -> {
            int rows = 200, cols = 1000, bm = 64, bn = 64; // 16 trips, the last one ragged
            for (int c : new int[] {cols, cols - 64 * 3}) { // and 13 trips
                try (Tensor a = random(DType.F16, seed, device, rows, c); Tensor b = random(DType.BF16, seed + 1, device, rows, c);
                     Tensor out = poisoned(DType.F32, device, rows, bn)) {
                    JitKernel twoSites = kernel(TensorDescriptorGpuTest.class, "twoSitesInALoop");
                    Object[] args = {TensorDescriptor.of(a, bm, bn), TensorDescriptor.of(b, bm, bn), TensorDescriptor.of(out, bm, bn), c, bm, bn};
                    assertPath(twoSites, args, tma);
                    twoSites.launch(grid(cdiv(rows, bm)), args);
                    double[] x = a.toDoubleArray(), y = b.toDoubleArray(), ref = new double[rows * bn];
                    for (int i = 0; i < rows; i++) for (int j = 0; j < c; j++) ref[i * bn + j % bn] += x[i * c + j] + 2 * y[i * c + j];
                    Check.close(ref, out.toDoubleArray(), Tolerance.of(DType.F32).scaled(20), c + " columns, TMA " + tma);
                }
            }
        });
    }

    @Test
    void bigBoxes(@Seed long seed) {
        int[][] blocks = {{128, 128}, {8, 256}, {256, 64}}; // f16: 32 KiB, 4 KiB, 32 KiB
        bothPaths(tma -> {
            for (int[] blk : blocks) {
                int rows = 700, cols = 600;
                try (Tensor in = random(DType.F16, seed, device, rows, cols); Tensor out = poisoned(DType.F16, device, rows, cols)) {
                    JitKernel k = kernel(DescriptorKernels.class, "copy").withOptions(8, 1);
                    Object[] args = {TensorDescriptor.of(in, blk), TensorDescriptor.of(out, blk), blk[0], blk[1]};
                    assertPath(k, args, tma);
                    k.launch(grid(cdiv(rows, blk[0]), cdiv(cols, blk[1])), args);
                    Check.close(in.toDoubleArray(), out.toDoubleArray(), Tolerance.EXACT, "f16 boxes of " + blk[0] + "x" + blk[1] + ", TMA " + tma);
                }
            }
        });
    }

    @Test
    void matmulFedByDescriptorLoads(@Seed long seed) {
        bothPaths(tma -> {
            int m = 300, n = 264, k = 200;
            try (Tensor a = Tensor.randn(DType.BF16, seed, device, m, k); Tensor b = Tensor.randn(DType.BF16, seed + 1, device, k, n);
                 Tensor c = poisoned(DType.F32, device, m, n)) {
                JitKernel mm = kernel(DescriptorKernels.class, "matmul").withOptions(4, 1);
                Object[] args = {TensorDescriptor.of(a, 64, 64), TensorDescriptor.of(b, 64, 64), TensorDescriptor.of(c, 64, 64), k, 64, 64, 64};
                assertPath(mm, args, tma);
                mm.launch(grid(cdiv(m, 64), cdiv(n, 64)), args);
                double[] av = a.toDoubleArray(), bv = b.toDoubleArray(), ref = new double[m * n];
                for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) ref[i * n + j] += av[i * k + p] * bv[p * n + j];
                Check.close(ref, c.toDoubleArray(), Tolerance.of(DType.F32).scaled(100), "bf16 matmul through descriptors, TMA " + tma);
            }
        });
    }

    /** What encoding a tensor map at launch costs (the launch encodes one per descriptor, uncached). */
    @Test
    void encodingCost(TestReporter report) {
        try (Tensor t = Tensor.zeros(DType.F16, device, 4096, 4096); Arena arena = Arena.ofConfined()) {
            MemorySegment map = arena.allocate(KernelArgs.TENSOR_MAP_BYTES, KernelArgs.TENSOR_MAP_ALIGNMENT);
            long[] words = {t.dataPointer(), 4096, 4096, 4096, 1};
            int[] block = {128, 64};
            for (int i = 0; i < 20_000; i++) TensorMaps.encode(map, DType.F16, block, 0, words, 0); // warm-up
            int n = 200_000;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) TensorMaps.encode(map, DType.F16, block, 0, words, 0);
            double nanos = (System.nanoTime() - start) / (double) n;
            report.publishEntry("cuTensorMapEncodeTiled", String.format("%.0f ns per 2-d map", nanos));
            System.out.printf("cuTensorMapEncodeTiled: %.0f ns per 2-d map%n", nanos);
            assertTrue(nanos < 20_000, () -> nanos + " ns per encode");
        }
    }
}
