package dev.tessera.learn.basics;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Lesson 2: a tensor argument arrives in the kernel as a pointer to its first element. Adding
 * integers moves it by elements (not bytes); adding a tile of integers gives a tile of pointers,
 * one per lane, and load/store move one element per lane.
 */
public final class Basics02Pointers {
    private Basics02Pointers() {}

    /** What the kernel saw while it was traced (Java code in a kernel runs once, at trace time). */
    static final List<String> TRACE_LOG = new ArrayList<>();

    /** Copies column {@code col} of a matrix whose element (r, c) is at m + r*rowStride + c*colStride. */
    @Kernel
    static void column(Tile m, Tile out, Tile rows, Tile rowStride, Tile colStride, Tile col, @Constexpr int BLOCK) {
        Tile r = arange(0, BLOCK);
        Tile pointers = m.add(col.mul(colStride)).add(r.mul(rowStride)); // one pointer per lane
        TRACE_LOG.add("m is " + m + ", r is " + r + ", pointers is " + pointers);
        Tile values = load(pointers, r.lt(rows));
        TRACE_LOG.add("load gives " + values);
        store(out.add(r), values, r.lt(rows));
    }

    /** Copies a [BM, BN] block starting at (r0, c0): a 2-D tile of pointers from a column of row offsets and a row of column offsets. */
    @Kernel
    static void block(Tile m, Tile out, Tile stride, Tile r0, Tile c0, @Constexpr int BM, @Constexpr int BN) {
        Tile r = r0.add(arange(0, BM)), c = c0.add(arange(0, BN));
        Tile pointers = m.add(r.col().mul(stride)).add(c.row());  // [BM, 1] + [1, BN] -> [BM, BN]
        TRACE_LOG.add("2-D pointers: " + pointers);
        store(out.add(arange(0, BM).col().mul(BN)).add(arange(0, BN).row()), load(pointers));
    }

    static final JitKernel COLUMN = Jit.kernel(Basics02Pointers.class, "column");
    static final JitKernel BLOCK = Jit.kernel(Basics02Pointers.class, "block");

    public static void run(PrintStream out, Device device, boolean quick) {
        int rows = 5, cols = 7;
        double[] values = new double[rows * cols];
        for (int i = 0; i < values.length; i++) values[i] = (i / cols) * 10 + i % cols; // element (r, c) holds 10r + c
        try (Tensor m = Tensor.from(values, DType.F32, device, rows, cols); Tensor col = Tensor.zeros(DType.F32, device, rows);
             Tensor blk = Tensor.zeros(DType.F32, device, 2, 4)) {
            out.println("A " + rows + "x" + cols + " row-major f32 matrix, element (r, c) = 10r + c. Its strides are " + m.stride(0) + " and "
                    + m.stride(1) + ": element (r, c) is at m + r*" + m.stride(0) + " + c.");
            TRACE_LOG.clear();
            COLUMN.launch(grid(1), m, col, rows, (int) m.stride(0), (int) m.stride(1), 3, 8);
            out.println("\nColumn 3, read with pointers m + 3*colStride + r*rowStride:  " + fmt(col.toDoubleArray()));
            out.println("While tracing, the kernel printed what its Java variables hold: types, not values:");
            TRACE_LOG.forEach(s -> out.println("  " + s));
            out.println("  (*f32 is a pointer to f32; [8] the tile's shape. The values only exist when programs run.)");
            TRACE_LOG.clear();
            BLOCK.launch(grid(1), m, blk, cols, 1, 2, 2, 4);
            out.println("\nThe 2x4 block at (1, 2), through a [2, 4] tile of pointers:");
            TRACE_LOG.forEach(s -> out.println("  " + s));
            double[] b = blk.toDoubleArray();
            out.println("  " + fmt(java.util.Arrays.copyOfRange(b, 0, 4)) + "\n  " + fmt(java.util.Arrays.copyOfRange(b, 4, 8)));
            try (Tensor t = m.transpose(0, 1); Tensor tcol = Tensor.zeros(DType.F32, device, cols)) {
                COLUMN.launch(grid(1), t, tcol, cols, (int) t.stride(0), (int) t.stride(1), 1, 8);
                out.println("\nThe same kernel on the transposed view (strides " + t.stride(0) + ", " + t.stride(1)
                        + ", no copy): its column 1 is row 1 of m: " + fmt(tcol.toDoubleArray()));
            }
        }
        out.println("\nPass strides as arguments instead of assuming a layout, and one kernel serves views too.");
        out.println("Next: tessera basics masks");
    }

    static String fmt(double[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) b.append(i > 0 ? ", " : "").append(v[i] == Math.rint(v[i]) ? String.valueOf((long) v[i]) : String.valueOf(v[i]));
        return b.append(']').toString();
    }
}
