package dev.tessera.lang;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.semantic.TraceException;
import dev.tessera.testing.Check;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.TestDevices;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Block pointers: a matmul that walks its operands with advance, and a strided transpose copy. */
@ExtendWith(SeedExtension.class)
class BlockPtrTest {
    @Kernel
    static void matmul(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile pm = programId(0), pn = programId(1);
        BlockPtr pa = blockPtr(a).shape(M, K).strides(K, 1).offsets(pm.mul(BM), 0).block(BM, BK);
        BlockPtr pb = blockPtr(b).shape(K, N).strides(N, 1).offsets(0, pn.mul(BN)).block(BK, BN);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, cdiv(K, BK))) {
            acc.set(dot(load(pa, 0, 1), load(pb, 0, 1), acc.get(), dev.tessera.lang.Precision.IEEE));
            pa.advance(0, BK);
            pb.advance(BK, 0);
        }
        store(blockPtr(c).shape(M, N).strides(N, 1).offsets(pm.mul(BM), pn.mul(BN)).block(BM, BN), acc.get(), 0, 1);
    }

    @Kernel
    static void transposeCopy(Tile src, Tile dst, Tile rows, Tile cols, @Constexpr int B) {
        Tile pr = programId(0), pc = programId(1);
        // read src[rows, cols] through a column-major view of dst's transposed layout
        Tile block = load(blockPtr(src).shape(rows, cols).strides(cols, 1).offsets(pr.mul(B), pc.mul(B)).block(B, B), 0, 1);
        store(blockPtr(dst).shape(rows, cols).strides(1, rows).offsets(pr.mul(B), pc.mul(B)).block(B, B), block, 0, 1);
    }

    @Kernel
    static void incomplete(Tile a) {
        load(blockPtr(a).shape(4).strides(1).block(16));
    }

    static final JitKernel MATMUL = Jit.kernel(BlockPtrTest.class, "matmul");
    static final JitKernel TRANSPOSE = Jit.kernel(BlockPtrTest.class, "transposeCopy");

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void matmulWithAdvance(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        int m = 45, n = 37, k = 70;
        try (Tensor a = Tensor.randn(DType.F32, seed, d, m, k); Tensor b = Tensor.randn(DType.F32, seed + 1, d, k, n);
             Tensor c = Tensor.full(DType.F32, Double.NaN, d, m, n)) {
            MATMUL.launch(grid(cdiv(m, 32), cdiv(n, 16)), a, b, c, m, n, k, 32, 16, 16);
            double[] av = a.toDoubleArray(), bv = b.toDoubleArray(), ref = new double[m * n];
            for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) ref[i * n + j] += av[i * k + p] * bv[p * n + j];
            Check.close(ref, c.toDoubleArray(), Tolerance.of(DType.F32).scaled(10), "block-pointer matmul");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void stridedStore(Device device, @Seed long seed) {
        Device d = TestDevices.require(device);
        int rows = 21, cols = 50;
        try (Tensor src = Tensor.randn(DType.F32, seed, d, rows, cols); Tensor dst = Tensor.full(DType.F32, Double.NaN, d, cols, rows)) {
            TRANSPOSE.launch(grid(cdiv(rows, 16), cdiv(cols, 16)), src, dst, rows, cols, 16);
            double[] s = src.toDoubleArray(), ref = new double[rows * cols];
            for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) ref[j * rows + i] = s[i * cols + j];
            Check.close(ref, dst.toDoubleArray(), Tolerance.EXACT, "transpose through block pointers");
        }
    }

    @ParameterizedTest
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void incompleteBlockPointerIsATraceError(Device device) {
        Device d = TestDevices.require(device);
        try (Tensor a = Tensor.zeros(DType.F32, d, 4)) {
            TraceException e = assertThrows(TraceException.class, () -> Jit.kernel(BlockPtrTest.class, "incomplete").launch(grid(1), a));
            assertTrue(e.getMessage().startsWith("BlockPtrTest.java:"), e.getMessage());
            assertTrue(e.getMessage().contains("offsets"), e.getMessage());
        }
    }
}
