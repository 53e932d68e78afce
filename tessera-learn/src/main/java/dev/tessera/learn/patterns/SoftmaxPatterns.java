package dev.tessera.learn.patterns;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.bench.Bench;
import dev.tessera.bench.BenchResult;
import dev.tessera.bench.TextTable;
import dev.tessera.bench.Throughput;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.learn.Timing;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Softmax three ways, each with the bytes it must move and the bandwidth it reaches:
 * <ul>
 *   <li>naive: five kernels (row max, subtract, exp, row sum, divide), as an eager framework runs
 *       {@code x - x.max(1)}, {@code exp}, {@code sum}, {@code /}: every intermediate goes to memory and back;</li>
 *   <li>fused: one kernel, one program per row, the row read once and written once;</li>
 *   <li>online: one kernel that walks the row in chunks, finding the max and the normalizer in one
 *       pass (rescaling the running sum when the max grows), then writing in a second pass: any row
 *       length, a bounded tile.</li>
 * </ul>
 */
public final class SoftmaxPatterns {
    private SoftmaxPatterns() {}

    // ------------------------------------------------------------------ naive: five kernels

    @Kernel
    static void rowMax(Tile x, Tile m, Tile n, @Constexpr int BLOCK) {
        Tile cols = arange(0, BLOCK);
        Tile row = programId(0).to(I64).mul(n);
        store(m.add(programId(0)), max(load(x.add(row).add(cols), cols.lt(n), Double.NEGATIVE_INFINITY), 0));
    }

    @Kernel
    static void subtractRow(Tile x, Tile m, Tile z, Tile n, @Constexpr int BLOCK) {
        Tile cols = arange(0, BLOCK);
        Tile row = programId(0).to(I64).mul(n);
        Tile v = load(x.add(row).add(cols), cols.lt(n));
        store(z.add(row).add(cols), v.sub(load(m.add(programId(0)))), cols.lt(n));
    }

    @Kernel
    static void expAll(Tile z, Tile e, Tile total, @Constexpr int BLOCK) {
        Tile offs = programId(0).to(I64).mul(BLOCK).add(arange(0, BLOCK));
        store(e.add(offs), exp(load(z.add(offs), offs.lt(total))), offs.lt(total));
    }

    @Kernel
    static void rowSum(Tile e, Tile s, Tile n, @Constexpr int BLOCK) {
        Tile cols = arange(0, BLOCK);
        Tile row = programId(0).to(I64).mul(n);
        store(s.add(programId(0)), sum(load(e.add(row).add(cols), cols.lt(n), 0.0), 0));
    }

    @Kernel
    static void divideRow(Tile e, Tile s, Tile y, Tile n, @Constexpr int BLOCK) {
        Tile cols = arange(0, BLOCK);
        Tile row = programId(0).to(I64).mul(n);
        store(y.add(row).add(cols), load(e.add(row).add(cols), cols.lt(n)).div(load(s.add(programId(0)))), cols.lt(n));
    }

    // ------------------------------------------------------------------ fused

    @Kernel
    static void fused(Tile x, Tile y, Tile n, @Constexpr int BLOCK) {
        Tile cols = arange(0, BLOCK);
        Tile row = programId(0).to(I64).mul(n);
        Tile v = load(x.add(row).add(cols), cols.lt(n), Double.NEGATIVE_INFINITY);
        Tile e = exp(v.sub(max(v, 0)));
        store(y.add(row).add(cols), e.div(sum(e, 0)), cols.lt(n));
    }

    // ------------------------------------------------------------------ online

    @Kernel
    static void online(Tile x, Tile y, Tile n, @Constexpr int BLOCK) {
        Tile row = programId(0).to(I64).mul(n);
        Var m = var(Double.NEGATIVE_INFINITY), s = var(0.0);   // running max and running sum of exp(x - max)
        for (Tile start : range(0, n, BLOCK)) {                // pass 1: both statistics at once
            Tile cols = start.add(arange(0, BLOCK));
            Tile v = load(x.add(row).add(cols), cols.lt(n), Double.NEGATIVE_INFINITY);
            Tile mNew = maximum(m.get(), max(v, 0));
            s.set(s.get().mul(exp(m.get().sub(mNew))).add(sum(exp(v.sub(mNew)), 0))); // rescale what was summed against the old max
            m.set(mNew);
        }
        for (Tile start : range(0, n, BLOCK)) {                // pass 2: normalize
            Tile cols = start.add(arange(0, BLOCK));
            Tile v = load(x.add(row).add(cols), cols.lt(n), Double.NEGATIVE_INFINITY);
            store(y.add(row).add(cols), exp(v.sub(m.get())).div(s.get()), cols.lt(n));
        }
    }

    static final JitKernel ROW_MAX = Jit.kernel(SoftmaxPatterns.class, "rowMax"), SUBTRACT = Jit.kernel(SoftmaxPatterns.class, "subtractRow"),
            EXP = Jit.kernel(SoftmaxPatterns.class, "expAll"), ROW_SUM = Jit.kernel(SoftmaxPatterns.class, "rowSum"),
            DIVIDE = Jit.kernel(SoftmaxPatterns.class, "divideRow"), FUSED = Jit.kernel(SoftmaxPatterns.class, "fused"),
            ONLINE = Jit.kernel(SoftmaxPatterns.class, "online");

    /** The five launches of the naive softmax; z and e are [M, N] scratch, m and s [M]. */
    public static void naive(Tensor x, Tensor y, Tensor m, Tensor z, Tensor e, Tensor s) {
        int rows = Math.toIntExact(x.shape(0)), n = Math.toIntExact(x.shape(1)), block = nextPowerOf2(n);
        ROW_MAX.launch(grid(rows), x, m, n, block);
        SUBTRACT.launch(grid(rows), x, m, z, n, block);
        int total = rows * n;
        EXP.launch(grid(cdiv(total, 1024)), z, e, total, 1024);
        ROW_SUM.launch(grid(rows), e, s, n, block);
        DIVIDE.launch(grid(rows), e, s, y, n, block);
    }

    public static void fused(Tensor x, Tensor y) {
        int rows = Math.toIntExact(x.shape(0)), n = Math.toIntExact(x.shape(1));
        FUSED.launch(grid(rows), x, y, n, nextPowerOf2(n));
    }

    public static void online(Tensor x, Tensor y, int block) {
        int rows = Math.toIntExact(x.shape(0)), n = Math.toIntExact(x.shape(1));
        ONLINE.launch(grid(rows), x, y, n, block);
    }

    /** Bytes each variant must move for an [M, N] f32 softmax (the formula, and its value). */
    public record Row(String variant, int kernels, String traffic, double bytes, double ms, double minMs, double gbps, double maxError) {}

    /** Runs the three variants on an [rows, n] f32 input, checks each against float64, times each. */
    public static List<Row> measure(Device device, int rows, int n, boolean quick) {
        long mn = (long) rows * n;
        List<Row> out = new ArrayList<>();
        try (Tensor x = Tensor.randn(DType.F32, 7, device, rows, n); Tensor y = Tensor.full(DType.F32, Double.NaN, device, rows, n);
             Tensor m = Tensor.empty(DType.F32, device, rows); Tensor s = Tensor.empty(DType.F32, device, rows);
             Tensor z = Tensor.empty(DType.F32, device, rows, n); Tensor e = Tensor.empty(DType.F32, device, rows, n)) {
            double[] ref = reference(x.toDoubleArray(), rows, n);
            int onlineBlock = Math.min(1024, nextPowerOf2(n));
            record Variant(String name, int kernels, String traffic, double elements, Runnable run) {}
            List<Variant> variants = List.of(
                    new Variant("naive (5 kernels)", 5, "read 5MN+2M, write 3MN+2M", 8.0 * mn + 4.0 * rows, () -> naive(x, y, m, z, e, s)),
                    new Variant("fused", 1, "read MN, write MN", 2.0 * mn, () -> fused(x, y)),
                    new Variant("online (chunks of " + onlineBlock + ")", 1, "read 2MN, write MN", 3.0 * mn, () -> online(x, y, onlineBlock)));
            for (Variant v : variants) {
                y.fill(Double.NaN);
                v.run().run();
                device.backendImpl().synchronize(device.index());
                double err = maxError(ref, y.toDoubleArray());
                BenchResult r = Bench.doBench(v.run(), Timing.options(device, quick));
                double bytes = v.elements() * 4;
                out.add(new Row(v.name(), v.kernels(), v.traffic(), bytes, r.medianMs(), r.minMs(), Throughput.gbps(bytes, r.medianMs()), err));
            }
        }
        return out;
    }

    static double[] reference(double[] x, int rows, int n) {
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < n; j++) max = Math.max(max, x[r * n + j]);
            for (int j = 0; j < n; j++) sum += Math.exp(x[r * n + j] - max);
            for (int j = 0; j < n; j++) y[r * n + j] = Math.exp(x[r * n + j] - max) / sum;
        }
        return y;
    }

    static double maxError(double[] ref, double[] got) {
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs(ref[i] - got[i]);
            if (!(d <= worst)) worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
        }
        return worst;
    }

    /** The pattern as {@code tessera patterns softmax} prints it. */
    public static boolean run(PrintStream out, Device device, int rows, int n, boolean quick) {
        out.printf("Softmax of a %d x %d f32 matrix on %s (%s)%n", rows, n, device, device.info().name());
        out.printf("M x N = %,d elements = %.1f MB per tensor%n%n", (long) rows * n, rows * (double) n * 4 / 1e6);
        List<Row> results = measure(device, rows, n, quick);
        TextTable t = TextTable.of("variant", "kernels", "memory traffic", "MB moved", "median (ms)", "best (ms)", "GB/s", "max |error|");
        boolean ok = true;
        for (Row r : results) {
            ok &= r.maxError() <= 1e-6;
            t.addRow(r.variant(), String.valueOf(r.kernels()), r.traffic(), String.format("%.1f", r.bytes() / 1e6), String.format("%.3f", r.ms()),
                    String.format("%.3f", r.minMs()), String.format("%.2f", r.gbps()), String.format("%.1e", r.maxError()));
        }
        t.print(out);
        Row naive = results.get(0), fused = results.get(1), online = results.get(2);
        out.printf("%nfused is %.1fx faster than naive: it moves %.1fx fewer bytes (%.0f vs %.0f MB).%n", naive.ms() / fused.ms(),
                naive.bytes() / fused.bytes(), fused.bytes() / 1e6, naive.bytes() / 1e6);
        out.println("online moves 1.5x the bytes of fused (it reads each row twice) but holds one chunk of a row, not the whole row:");
        out.printf("it is what you use when a row does not fit (and the idea behind flash attention). Time ratio online/fused: %.2f%n",
                online.ms() / fused.ms());
        out.println("GB/s from the median time.");
        out.println("Why fusion wins: tessera-learn/src/main/java/dev/tessera/learn/patterns/README.md");
        out.println(ok ? "all variants match the float64 reference (max |error| <= 1e-6)" : "SOME VARIANTS ARE WRONG");
        return ok;
    }
}
