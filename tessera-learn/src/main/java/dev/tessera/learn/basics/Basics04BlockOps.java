package dev.tessera.learn.basics;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.io.PrintStream;
import dev.tessera.lang.Precision;

/**
 * Lesson 4: inside a program you work on whole tiles: elementwise arithmetic with broadcasting,
 * reductions along an axis, scans, where, and dot. No loops over elements.
 */
public final class Basics04BlockOps {
    private Basics04BlockOps() {}

    /** One program, one [R, C] tile: several block operations, each result stored to its own output. */
    @Kernel
    static void ops(Tile x, Tile w, Tile rowSums, Tile colMax, Tile centered, Tile prefix, Tile clipped, Tile product,
                    @Constexpr int R, @Constexpr int C) {
        Tile r = arange(0, R), c = arange(0, C);
        Tile at = r.col().mul(C).add(c.row());              // [R, C] offsets: a column plus a row broadcasts
        Tile t = load(x.add(at));                           // the whole matrix as one tile
        store(rowSums.add(r), sum(t, 1));                   // reduce along axis 1 (across the columns): one per row
        store(colMax.add(c), max(t, 0));                    // reduce along axis 0 (down the rows): one per column
        Tile mean = sum(t, 1).div((float) C);               // [R]
        store(centered.add(at), t.sub(mean.col()));          // [R, C] - [R, 1]: each row minus its mean
        store(prefix.add(at), cumsum(t, 1));                 // running sums along each row
        store(clipped.add(at), where(t.gt(0.0), t, 0.0));    // elementwise choice
        // dot wants every dimension >= 16 (tensor cores multiply 16x16 pieces): load into 16x16 tiles with masks
        Tile i = arange(0, 16);
        Tile a16 = load(x.add(i.col().mul(C)).add(i.row()), i.col().lt(R).and(i.row().lt(C)), 0.0);   // x, padded with zeros
        Tile w16 = load(w.add(i.col().mul(2)).add(i.row()), i.col().lt(C).and(i.row().lt(2)), 0.0);   // w is [C, 2]
        Tile p16 = dot(a16, w16, zeros(F32, 16, 16), Precision.IEEE);
        store(product.add(i.col().mul(2)).add(i.row()), p16, i.col().lt(R).and(i.row().lt(2)));
    }

    public static void run(PrintStream out, Device device, boolean quick) {
        int rows = 4, cols = 8;
        double[] v = new double[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = ((i * 7) % 11) - 5;
        double[] wv = new double[cols * 2];
        for (int i = 0; i < cols; i++) {
            wv[2 * i] = 1;          // column 0 of w sums a row ...
            wv[2 * i + 1] = i;      // ... column 1 weighs it by position
        }
        try (Tensor x = Tensor.from(v, DType.F32, device, rows, cols); Tensor w = Tensor.from(wv, DType.F32, device, cols, 2);
             Tensor rowSums = Tensor.zeros(DType.F32, device, rows); Tensor colMax = Tensor.zeros(DType.F32, device, cols);
             Tensor centered = Tensor.zeros(DType.F32, device, rows, cols); Tensor prefix = Tensor.zeros(DType.F32, device, rows, cols);
             Tensor clipped = Tensor.zeros(DType.F32, device, rows, cols); Tensor product = Tensor.zeros(DType.F32, device, rows, 2)) {
            Jit.kernel(Basics04BlockOps.class, "ops").launch(grid(1), x, w, rowSums, colMax, centered, prefix, clipped, product, rows, cols);
            out.println("x, one [4, 8] tile:");
            print(out, v, rows, cols);
            out.println("sum(x, 1)  one value per row:    " + Basics02Pointers.fmt(rowSums.toDoubleArray()));
            out.println("max(x, 0)  one value per column: " + Basics02Pointers.fmt(colMax.toDoubleArray()));
            out.println("x - mean.col()  (each row minus its mean; [4, 8] - [4, 1] broadcasts):");
            print(out, centered.toDoubleArray(), rows, cols);
            out.println("cumsum(x, 1):");
            print(out, prefix.toDoubleArray(), rows, cols);
            out.println("where(x > 0, x, 0):");
            print(out, clipped.toDoubleArray(), rows, cols);
            out.println("dot(x, w) with w = [[1, 0], [1, 1], [1, 2], ...] ([4, 8] x [8, 2], computed in 16x16 tiles padded by masks):");
            print(out, product.toDoubleArray(), rows, 2);
        }
        out.println("Every operation above works on the whole tile at once; the compiler maps tiles to threads");
        out.println("(on a GPU) or to array loops (on the CPU). Next: tessera basics profiling");
    }

    static void print(PrintStream out, double[] v, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            StringBuilder b = new StringBuilder("  ");
            for (int c = 0; c < cols; c++) b.append(String.format("%7.2f", v[r * cols + c]));
            out.println(b);
        }
    }
}
