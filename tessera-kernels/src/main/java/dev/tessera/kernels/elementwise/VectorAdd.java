package dev.tessera.kernels.elementwise;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;

/** out = x + y, elementwise: the "hello world" of tile programming. */
public final class VectorAdd {
    private VectorAdd() {}

    @Kernel
    static void add(Tile x, Tile y, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offsets = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offsets.lt(n);
        store(out.add(offsets), load(x.add(offsets), mask).add(load(y.add(offsets), mask)), mask);
    }

    public static final JitKernel KERNEL = Jit.kernel(VectorAdd.class, "add");

    /** Writes x + y into out (all contiguous, of one shape and dtype). */
    public static void add(Tensor x, Tensor y, Tensor out, int block) {
        int n = Math.toIntExact(x.numel());
        KERNEL.launch(grid(cdiv(n, block)), x, y, out, n, block);
    }

    /**
     * The default block: 1024 on GPUs (as Triton's tutorials use); larger on the CPU, where each
     * program has a fixed cost of a fraction of a microsecond that small blocks cannot amortize.
     */
    public static int defaultBlock(Tensor x) { return x.device().backend().equals("cpu") ? 8192 : 1024; }

    public static void add(Tensor x, Tensor y, Tensor out) { add(x, y, out, defaultBlock(x)); }

    public static Tensor add(Tensor x, Tensor y) {
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        add(x, y, out);
        return out;
    }
}
