package dev.tessera.cpu;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.backend.KernelFault;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A launch whose run-time loop never ends stops when its thread is interrupted, on the caller and on the pool. */
class InterruptTest {
    @Kernel
    static void forever(Tile out) {
        Var i = var(0);
        whileLoop(() -> i.get().ge(0), () -> i.set(i.get().add(1).rem(1000))); // never negative
        store(out.add(programId(0)), i.get());
    }

    static final JitKernel FOREVER = Jit.kernel(InterruptTest.class, "forever");

    @ParameterizedTest(name = "{0} programs")
    @ValueSource(ints = {1, 64}) // one runs on the calling thread, many on the pool
    void interruptingTheCallerStopsTheLaunch(int programs) throws InterruptedException {
        try (Tensor out = Tensor.zeros(DType.I32, Device.cpu(), programs)) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    FOREVER.launch(grid(programs), out);
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            t.start();
            Thread.sleep(300);
            t.interrupt();
            t.join(10_000);
            assertFalse(t.isAlive(), "the launch stopped");
            KernelFault f = assertInstanceOf(KernelFault.class, thrown.get());
            assertTrue(f.getMessage().contains("InterruptTest.java:") && f.getMessage().contains("forever (program ")
                    && f.getMessage().contains("the launch was interrupted"), f.getMessage());
        }
    }
}
