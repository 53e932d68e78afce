package dev.tessera.kernels.bench;

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

/**
 * Random benchmark inputs made on the device by a Tessera kernel (Philox, as {@code randn} and
 * {@code randint} in the language). The host path ({@link Tensor#randn}) draws every value in one
 * Java thread and copies it in: for the LM-head weight of the LLM sweep (128256 × 4096, 525 M values)
 * that is seconds per tensor, which a time-limited GPU report cannot spend on each shape.
 */
final class BenchInputs {
    private BenchInputs() {}

    private static final int BLOCK = 1024;

    /** Standard normal values, rounded to out's dtype. */
    @Kernel
    static void normal(Tile out, Tile n, Tile seed, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        store(out.add(offs), randn(seed, offs), offs.lt(n));
    }

    /** Uniform integers in [-128, 128), the whole range of i8. */
    @Kernel
    static void bytes(Tile out, Tile n, Tile seed, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        store(out.add(offs), randint(seed, offs).and(255L).to(I32).sub(128), offs.lt(n));
    }

    private static final JitKernel NORMAL = Jit.kernel(BenchInputs.class, "normal");
    private static final JitKernel BYTES = Jit.kernel(BenchInputs.class, "bytes");

    /**
     * A contiguous tensor of random values: standard normal for floats, all of [-128, 128) for i8.
     * The kernels count elements in i32: a larger tensor is filled a slice of its first dimension at
     * a time (a KV cache of 32 sequences of 64k positions holds 2^31 values), each slice from its own seed.
     */
    static Tensor random(DType dtype, long seed, Device device, long... shape) {
        if (!dtype.isFloat() && dtype != DType.I8) throw new IllegalArgumentException("benchmark inputs are floats or i8, not " + dtype);
        Tensor t = Tensor.empty(dtype, device, shape);
        long n = t.numel();
        boolean sliced = n >= Integer.MAX_VALUE && shape.length > 1;
        long each = sliced ? n / shape[0] : n;
        if (each >= Integer.MAX_VALUE) {
            t.close();
            throw new IllegalArgumentException("a benchmark input of " + n + " elements is more than the input kernels count (2^31 - 1)");
        }
        if (!sliced) {
            fill(t, dtype, (int) n, seed);
            return t;
        }
        for (long i = 0; i < shape[0]; i++) {
            try (Tensor slice = t.slice(0, i, i + 1)) {
                fill(slice, dtype, (int) each, seed + i);
            }
        }
        return t;
    }

    private static void fill(Tensor t, DType dtype, int n, long seed) {
        if (n > 0) (dtype == DType.I8 ? BYTES : NORMAL).launch(grid(cdiv(n, BLOCK)), t, n, seed, BLOCK);
    }
}
