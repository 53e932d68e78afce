package dev.tessera.runtime;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;
import dev.tessera.lang.Precision;

class EndToEndSmokeTest {
    @Kernel
    static void add(Tile x, Tile y, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), load(x.add(offs), mask).add(load(y.add(offs), mask)), mask);
    }

    @Kernel
    static void softmax(Tile x, Tile out, Tile stride, Tile n, @Constexpr int BLOCK) {
        Tile row = programId(0);
        Tile cols = arange(0, BLOCK);
        Tile mask = cols.lt(n);
        Tile v = load(x.add(row.mul(stride)).add(cols), mask, Double.NEGATIVE_INFINITY);
        Tile e = exp(v.sub(max(v, 0)));
        store(out.add(row.mul(stride)).add(cols), e.div(sum(e, 0)), mask);
    }

    @Kernel
    static void matmul(Tile a, Tile b, Tile c, Tile M, Tile N, Tile K, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile pm = programId(0), pn = programId(1);
        Tile rm = pm.mul(BM).add(arange(0, BM)), rn = pn.mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Var acc = var(zeros(F32, BM, BN));
        for (Tile k : range(0, K, BK)) {
            Tile ka = k.add(rk);
            Tile at = load(a.add(rm.col().mul(K)).add(ka.row()), rm.col().lt(M).and(ka.row().lt(K)), 0.0);
            Tile bt = load(b.add(ka.col().mul(N)).add(rn.row()), ka.col().lt(K).and(rn.row().lt(N)), 0.0);
            acc.set(dot(at, bt, acc.get(), dev.tessera.lang.Precision.IEEE));
        }
        store(c.add(rm.col().mul(N)).add(rn.row()), acc.get(), rm.col().lt(M).and(rn.row().lt(N)));
    }

    @Test
    void vectorAdd() {
        int n = 10_000;
        Tensor x = Tensor.rand(DType.F32, 1, Device.cpu(), n), y = Tensor.rand(DType.F32, 2, Device.cpu(), n);
        Tensor out = Tensor.full(DType.F32, Double.NaN, Device.cpu(), n);
        Jit.kernel(getClass(), "add").launch(grid(cdiv(n, 1024)), x, y, out, n, 1024);
        double[] a = x.toDoubleArray(), b = y.toDoubleArray(), o = out.toDoubleArray();
        for (int i = 0; i < n; i++) assertEquals((float) (a[i] + b[i]), o[i], 0.0, "at " + i);
    }

    @Test
    void softmaxRows() {
        int rows = 37, n = 1000;
        Tensor x = Tensor.randn(DType.F32, 3, Device.cpu(), rows, n);
        Tensor out = Tensor.full(DType.F32, Double.NaN, Device.cpu(), rows, n);
        Jit.kernel(getClass(), "softmax").launch(grid(rows), x, out, n, n, 1024);
        double[] in = x.toDoubleArray(), o = out.toDoubleArray();
        for (int r = 0; r < rows; r++) {
            double mx = Double.NEGATIVE_INFINITY, s = 0;
            for (int j = 0; j < n; j++) mx = Math.max(mx, in[r * n + j]);
            for (int j = 0; j < n; j++) s += Math.exp(in[r * n + j] - mx);
            for (int j = 0; j < n; j++) assertEquals(Math.exp(in[r * n + j] - mx) / s, o[r * n + j], 1e-6);
        }
    }

    @Test
    void matmulWithLoop() {
        int m = 70, n = 50, k = 90;
        Tensor a = Tensor.randn(DType.F32, 4, Device.cpu(), m, k), b = Tensor.randn(DType.F32, 5, Device.cpu(), k, n);
        Tensor c = Tensor.full(DType.F32, Double.NaN, Device.cpu(), m, n);
        Jit.kernel(getClass(), "matmul").launch(grid(cdiv(m, 32), cdiv(n, 32)), a, b, c, m, n, k, 32, 32, 16);
        double[] A = a.toDoubleArray(), B = b.toDoubleArray(), C = c.toDoubleArray();
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += A[i * k + p] * B[p * n + j];
            assertEquals(s, C[i * n + j], 1e-4, "at " + i + "," + j);
        }
    }
}
