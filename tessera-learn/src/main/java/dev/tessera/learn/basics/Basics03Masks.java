package dev.tessera.learn.basics;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.backend.KernelFault;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.io.PrintStream;

/**
 * Lesson 3: tiles have power-of-2 sizes, data rarely does. A mask says which lanes are real; masked
 * lanes are neither read nor written, and a masked load gives them a value of your choice.
 */
public final class Basics03Masks {
    private Basics03Masks() {}

    /** Doubles x into out, with no mask: fine when n is a multiple of BLOCK. */
    @Kernel
    static void unmasked(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        store(out.add(offs), load(x.add(offs)).mul(2));
    }

    @Kernel
    static void masked(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), load(x.add(offs), mask).mul(2), mask);
    }

    /** Writes what a masked load returns in every lane (into a buffer big enough for all lanes). */
    @Kernel
    static void showOther(Tile x, Tile lanes, Tile n, @Constexpr int BLOCK) {
        Tile offs = arange(0, BLOCK);
        store(lanes.add(offs), load(x.add(offs), offs.lt(n), -1.0));
    }

    /** A masked maximum: lanes past n hold -inf so that they cannot win. */
    @Kernel
    static void maxOf(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = arange(0, BLOCK);
        store(out, max(load(x.add(offs), offs.lt(n), Double.NEGATIVE_INFINITY), 0));
        store(out.add(1), max(load(x.add(offs), offs.lt(n), 0.0), 0));
    }

    public static void run(PrintStream out, Device device, boolean quick) {
        int n = 10, block = 8;
        double[] v = {-5, -4, -3, -2, -1, -6, -7, -8, -9, -10};
        try (Tensor x = Tensor.from(v, DType.F32, device, n); Tensor y = Tensor.full(DType.F32, Double.NaN, device, n)) {
            out.println("n = " + n + ", BLOCK = " + block + ": " + cdiv(n, block) + " programs, lanes 0..15, elements 0..9. Program 1's lanes 10..15 are past the end.");
            out.println("\nWithout a mask the CPU backend stops at the first bad access (on a GPU it may read garbage or crash):");
            try {
                Jit.kernel(Basics03Masks.class, "unmasked").launch(grid(cdiv(n, block)), x, y, n, block);
                out.println("  (no fault?)");
            } catch (KernelFault f) {
                out.println("  KernelFault: " + f.getMessage());
            }
            Jit.kernel(Basics03Masks.class, "masked").launch(grid(cdiv(n, block)), x, y, n, block);
            out.println("\nWith mask = offsets < n:  out = " + Basics02Pointers.fmt(y.toDoubleArray()));
        }
        try (Tensor x = Tensor.from(new double[] {1, 2, 3, 4, 5}, DType.F32, device, 5); Tensor lanes = Tensor.full(DType.F32, Double.NaN, device, 8);
             Tensor m = Tensor.zeros(DType.F32, device, 2)) {
            Jit.kernel(Basics03Masks.class, "showOther").launch(grid(1), x, lanes, 5, 8);
            out.println("\nload(x + offsets, offsets < 5, -1.0) over 8 lanes gives " + Basics02Pointers.fmt(lanes.toDoubleArray())
                    + ": masked lanes hold `other`.");
        }
        try (Tensor x = Tensor.from(v, DType.F32, device, n); Tensor m = Tensor.zeros(DType.F32, device, 2)) {
            Jit.kernel(Basics03Masks.class, "maxOf").launch(grid(1), x, m, n, 16);
            double[] r = m.toDoubleArray();
            out.println("\nThe max of " + Basics02Pointers.fmt(v) + " over a 16-lane tile:");
            out.println("  masked lanes as -inf: " + r[0] + "   (right)");
            out.println("  masked lanes as 0:    " + r[1] + "   (wrong: the six fake zeros win)");
            out.println("Choose `other` as the identity of what comes next: 0 for a sum, -inf for a max, 1 for a product.");
        }
        out.println("\nNext: tessera basics block-ops");
    }
}
