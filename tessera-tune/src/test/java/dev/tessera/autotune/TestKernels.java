package dev.tessera.autotune;

import static dev.tessera.lang.TL.*;

import dev.tessera.backend.KernelResources;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.bench.BenchOptions;
import dev.tessera.bench.BenchResult;
import dev.tessera.bench.Benchmarker;
import dev.tessera.bench.CpuTimer;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import java.util.concurrent.atomic.AtomicInteger;

/** Small kernels with planted behaviour for the autotuner's tests. */
final class TestKernels {
    private TestKernels() {}

    /** out = x, but EXTRA run-time iterations of pointless work per element first (x/2 + x/2 == x exactly). */
    @Kernel
    static void copyWithExtraWork(Tile x, Tile out, Tile n, @Constexpr int BLOCK, @Constexpr int EXTRA) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        Var v = var(load(x.add(offs), mask, 0.0));
        for (Tile i : range(EXTRA)) v.set(v.get().mul(0.5f).add(v.get().mul(0.5f)));
        store(out.add(offs), v.get(), mask);
    }

    /** Writes the constexpr COST into cost[0]: a fake benchmarker reads it back as the time. */
    @Kernel
    static void plantedCost(Tile cost, @Constexpr int COST, @Constexpr int BLOCK) {
        Tile offs = arange(0, BLOCK);
        store(cost.add(offs), full(I32, (long) COST, BLOCK), offs.lt(1));
    }

    /** total += sum(x), one atomic add per program: counts twice if run twice without zeroing. */
    @Kernel
    static void atomicSum(Tile x, Tile total, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile v = load(x.add(offs), offs.lt(n), 0);
        atomicAdd(total, sum(v, 0));
    }

    /** x += 1 in place. */
    @Kernel
    static void increment(Tile x, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(x.add(offs), load(x.add(offs), mask).add(1), mask);
    }

    /**
     * out = x, for a backend that refuses blocks above 1024: it stands in for a GPU backend whose
     * compiled kernel needs more shared memory than a block may have (the CUDA backend throws the
     * same exception, with the same message, once the module is compiled).
     */
    @Kernel
    static void copyWithLimit(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        if (BLOCK > 1024) {
            String label = KernelResources.label("copyWithLimit", java.util.Map.of("BLOCK", BLOCK), new LaunchOptions(4, 3));
            throw KernelResources.sharedMemoryExceeded(label, 64L * BLOCK, 65536);
        }
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), load(x.add(offs), mask, 0.0), mask);
    }

    static final JitKernel COPY = Jit.kernel(TestKernels.class, "copyWithExtraWork");
    static final JitKernel COPY_WITH_LIMIT = Jit.kernel(TestKernels.class, "copyWithLimit");
    static final JitKernel PLANTED = Jit.kernel(TestKernels.class, "plantedCost");
    static final JitKernel ATOMIC_SUM = Jit.kernel(TestKernels.class, "atomicSum");
    static final JitKernel INCREMENT = Jit.kernel(TestKernels.class, "increment");

    /** Real timing with tiny fixed budgets and no cache flush: fast enough for unit tests. */
    static Benchmarker quick() {
        return Benchmarker.of(BenchOptions.defaults().withTimer(CpuTimer.shared()).withFlushCache(false).withFixedCounts(1, 5));
    }

    /** A benchmarker that runs the work once and returns cost[0] as the time; counts its calls. */
    static final class PlantedBenchmarker implements Benchmarker {
        final Tensor cost;
        final AtomicInteger calls = new AtomicInteger();

        PlantedBenchmarker(Tensor cost) { this.cost = cost; }

        @Override
        public BenchResult bench(Runnable fn) {
            calls.incrementAndGet();
            fn.run();
            return BenchResult.ofMs(cost.toLongArray()[0]);
        }
    }
}
