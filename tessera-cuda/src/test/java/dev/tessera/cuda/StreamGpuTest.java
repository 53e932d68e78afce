package dev.tessera.cuda;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.cuda.driver.CudaContext;
import dev.tessera.cuda.driver.CudaDriver;
import dev.tessera.cuda.driver.CudaStream;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Stream;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.types.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Streams on a real GPU, where the ordering is the device's: a stream another library made works
 * through {@link Stream#fromHandle}; launches inside an activation go on the activated stream
 * (proved by capturing that stream into a graph: a launch captured there did not run, and one that
 * went anywhere else would have run or broken the capture); and a tensor closed while a kernel on a
 * stream unordered against the default one still writes it is freed only after that kernel (else
 * the next allocation, at the same address, would be written by it). The CUDA parts of
 * {@code StreamTest} (tessera-core) run here too, on this device.
 */
@ExtendWith(SeedExtension.class)
class StreamGpuTest {
    private static final int BLOCK = 256;
    private static final int CU_STREAM_NON_BLOCKING = 1, CU_STREAM_CAPTURE_MODE_RELAXED = 2;

    private Device device;
    private CudaContext context;

    /** out = x·a + b. */
    @Kernel
    static void affine(Tile x, Tile out, Tile a, Tile b, Tile n, @Constexpr int BLOCK) {
        Tile i = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = i.lt(n);
        store(out.add(i), load(x.add(i), m).mul(a).add(b), m);
    }

    /** Adds 1 to every element, {@code rounds} times over: long-running work that writes its buffer to the end. */
    @Kernel
    static void increment(Tile out, Tile n, Tile rounds, @Constexpr int BLOCK) {
        Tile i = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = i.lt(n);
        for (Tile k : range(0, rounds)) store(out.add(i), load(out.add(i), m).add(1.0), m);
    }

    static final JitKernel AFFINE = Jit.kernel(StreamGpuTest.class, "affine");
    static final JitKernel INCREMENT = Jit.kernel(StreamGpuTest.class, "increment");

    @BeforeEach
    void requireGpu() {
        assumeTrue(CudaDriver.isAvailable(), () -> "no CUDA here: " + CudaDriver.unavailableReason().orElse(""));
        device = Device.cuda(0);
        context = CudaDriver.device(0).context();
    }

    private static float[] randomFloats(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 8 - 4);
        return v;
    }

    @Test
    void aStreamTheDriverLayerMadeIsUsedAsItIs(@Seed long seed) {
        int n = 77_777;
        float[] x = randomFloats(seed, n);
        try (CudaStream made = context.createStream(); Tensor in = Tensor.of(x, device, n);
             Tensor out = Tensor.full(DType.F32, Double.NaN, device, n)) {
            try (Stream s = Stream.fromHandle(device, made.address())) {
                assertEquals(made.address(), s.handle());
                AFFINE.launch(s, grid(cdiv(n, BLOCK)), in, out, 2f, -1f, n, BLOCK);
                s.synchronize();
            }
            made.synchronize(); // closing the borrowed stream did not destroy it
            float[] got = out.toFloatArray();
            for (int i = 0; i < n; i++) assertEquals(2.0 * x[i] - 1, got[i], 1e-5 * (Math.abs(2.0 * x[i]) + 1), "element " + i);
        }
    }

    @Test
    void launchesInsideAnActivationAreCapturedOnItsStream(@Seed long seed) throws Throwable {
        int n = 5_001;
        try (Stream s = device.newStream(); Tensor in = Tensor.of(randomFloats(seed, n), device, n);
             Tensor out = Tensor.full(DType.F32, Double.NaN, device, n)) {
            AFFINE.launch(grid(cdiv(n, BLOCK)), in, in, 1f, 0f, n, BLOCK); // compiled before the capture
            device.synchronize();
            long graph;
            context.makeCurrent();
            check((int) Driver.BEGIN_CAPTURE.invokeExact(MemorySegment.ofAddress(s.handle()), CU_STREAM_CAPTURE_MODE_RELAXED), "cuStreamBeginCapture");
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment graphOut = arena.allocate(ADDRESS);
                try {
                    try (var on = s.activate()) {
                        AFFINE.launch(grid(cdiv(n, BLOCK)), in, out, 3f, 1f, n, BLOCK);
                    }
                } finally {
                    check((int) Driver.END_CAPTURE.invokeExact(MemorySegment.ofAddress(s.handle()), graphOut), "cuStreamEndCapture");
                }
                graph = graphOut.get(JAVA_LONG, 0);
                MemorySegment count = arena.allocate(JAVA_LONG);
                check((int) Driver.GRAPH_GET_NODES.invokeExact(MemorySegment.ofAddress(graph), MemorySegment.NULL, count), "cuGraphGetNodes");
                check((int) Driver.GRAPH_DESTROY.invokeExact(MemorySegment.ofAddress(graph)), "cuGraphDestroy");
                assertEquals(1, count.get(JAVA_LONG, 0), "the activated stream's capture holds the one launch");
            }
            float[] got = out.toFloatArray();
            for (int i = 0; i < n; i++) assertTrue(Float.isNaN(got[i]), "element " + i + " was written: the launch ran instead of being captured");
        }
    }

    @Test
    void aTensorClosedUnderQueuedWorkIsFreedAfterIt(TestReporter reporter) throws Throwable {
        int n = 1 << 24, rounds = 1000; // about 30 ms of writes on an H200
        long nonBlocking;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            context.makeCurrent();
            check((int) Driver.STREAM_CREATE.invokeExact(out, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
            nonBlocking = out.get(JAVA_LONG, 0);
        }
        try (Stream s = Stream.fromHandle(device, nonBlocking)) {
            Tensor a = Tensor.zeros(DType.F32, device, n);
            device.synchronize();
            long address = a.dataPointer();
            INCREMENT.launch(s, grid(cdiv(n, BLOCK)), a, n, rounds, BLOCK); // s is not ordered against the default stream
            a.close();
            try (Tensor b = Tensor.zeros(DType.F32, device, n)) { // its memset goes on the default stream
                device.synchronize();
                reporter.publishEntry("reused address", Boolean.toString(b.dataPointer() == address));
                float[] got = b.toFloatArray();
                for (int i = 0; i < n; i++) assertEquals(0f, got[i], "element " + i + " of the next allocation was written by the closed tensor's kernel");
            }
        } finally {
            context.makeCurrent();
            check((int) Driver.STREAM_DESTROY.invokeExact(MemorySegment.ofAddress(nonBlocking)), "cuStreamDestroy");
        }
    }

    // ---- driver calls only this test makes (capture, a non-blocking stream), bound here rather than in the backend,
    // in a holder so that a machine without libcuda skips the tests instead of failing to load the class

    private static final class Driver {
        static final SymbolLookup CUDA = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        static final MethodHandle STREAM_CREATE = bind("cuStreamCreate", ADDRESS, JAVA_INT);
        static final MethodHandle STREAM_DESTROY = bind("cuStreamDestroy_v2", ADDRESS);
        static final MethodHandle BEGIN_CAPTURE = bind("cuStreamBeginCapture_v2", ADDRESS, JAVA_INT);
        static final MethodHandle END_CAPTURE = bind("cuStreamEndCapture", ADDRESS, ADDRESS);
        static final MethodHandle GRAPH_GET_NODES = bind("cuGraphGetNodes", ADDRESS, ADDRESS, ADDRESS);
        static final MethodHandle GRAPH_DESTROY = bind("cuGraphDestroy", ADDRESS);

        private static MethodHandle bind(String symbol, MemoryLayout... args) {
            return Linker.nativeLinker().downcallHandle(CUDA.find(symbol).orElseThrow(() -> new IllegalStateException("libcuda has no " + symbol)),
                    FunctionDescriptor.of(JAVA_INT, args));
        }
    }

    private static void check(int rc, String call) {
        if (rc != 0) throw new IllegalStateException(call + " failed with CUresult " + rc);
    }
}
