package dev.tessera.runtime;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.testing.TestDevices;
import dev.tessera.types.DType;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A tensor's memory is freed once the tensor is unreachable; a tensor passed to a launch and never
 * used again by the caller must still live until the kernel is done with it. With the garbage
 * collector running all the time, kernels reading tensors nobody holds must never see freed memory.
 */
class LaunchLifetimeTest {

    @Kernel
    static void total(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Var acc = var(zeros(F32, BLOCK));
        for (Tile k : range(0, n, BLOCK)) {
            Tile offs = k.add(arange(0, BLOCK));
            acc.set(acc.get().add(load(x.add(offs), offs.lt(n), 0.0)));
        }
        atomicAdd(out, sum(acc.get()));
    }

    static final JitKernel TOTAL = Jit.kernel(LaunchLifetimeTest.class, "total");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void tensorsOnlyTheLaunchHoldsLiveUntilItEnds(Device device) throws InterruptedException {
        Device d = TestDevices.require(device);
        // many launches first, so that the JIT compiles the launch path (compiled code ends the life of
        // a local at its last use; interpreted code keeps it to the end of the method)
        Tensor small = Tensor.full(DType.F32, 1.0, d, 16), sink = Tensor.zeros(DType.F32, d, 1);
        for (int i = 0; i < 30_000; i++) TOTAL.launch(grid(1), small, sink, 16, 16);
        AtomicBoolean running = new AtomicBoolean(true);
        Thread collector = new Thread(() -> {
            while (running.get()) {
                System.gc();
                Thread.onSpinWait();
            }
        });
        collector.setDaemon(true);
        collector.start();
        try {
            int n = 20_000;
            long end = System.nanoTime() + 1_500_000_000L;
            for (int round = 0; round < 400 && System.nanoTime() < end; round++) {
                Tensor out = Tensor.zeros(DType.F32, d, 1);
                // the input is made in the argument list: nothing but the launch refers to it
                TOTAL.launch(grid(64), Tensor.full(DType.F32, 1.0, d, n), out, n, 1024);
                assertEquals(64.0 * n, out.toDoubleArray()[0], 0.0, "round " + round);
            }
        } finally {
            running.set(false);
            collector.join();
        }
    }
}
