package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

class ModuleGpuTest extends GpuTestBase {

    /** Runs vector_add over n elements (not a multiple of the block) on a stream and checks every one. */
    static void checkVectorAdd(CudaContext context, CudaFunction add, int n, CudaStream stream) {
        float[] a = new float[n];
        float[] b = new float[n];
        float[] expected = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i * 0.5f;
            b[i] = 1000 - i;
            expected[i] = a[i] + b[i];
        }
        try (DeviceBuffer da = context.allocate(4L * n);
             DeviceBuffer db = context.allocate(4L * n);
             DeviceBuffer dout = context.allocate(4L * n + 4)) {
            da.copyFromHost(MemorySegment.ofArray(a));
            db.copyFromHost(MemorySegment.ofArray(b));
            dout.fillInts(Float.floatToRawIntBits(Float.NaN));
            int block = 256;
            add.launch((n + block - 1) / block, 1, 1, block, 1, 1, 0, stream,
                    KernelArgs.forCurrentThread().ptr(da).ptr(db).ptr(dout).i32(n));
            float[] out = new float[n + 1];
            stream.synchronize();
            dout.copyToHost(MemorySegment.ofArray(out));
            assertArrayEquals(expected, Arrays.copyOf(out, n));
            assertTrue(Float.isNaN(out[n]), "wrote past n");
        }
    }

    @Test
    void ptxLoadsAndLaunches(TestReporter reporter) {
        try (CudaModule module = context.loadPtx(TestPtx.kernels(target))) {
            CudaFunction add = module.function("vector_add");
            checkVectorAdd(context, add, 1000, context.defaultStream());
            reporter.publishEntry("vector_add", "%d registers, %d local bytes; JIT log: %s".formatted(
                    add.registers(), add.localBytes(), module.infoLog()));
            assertTrue(add.registers() > 0);
            assertEquals(0, add.localBytes());
            assertEquals(0, add.staticSharedBytes());
            assertEquals(device.maxThreadsPerBlock(), add.maxThreadsPerBlock());
        }
    }

    @Test
    void everyKindOfArgumentReachesTheKernel() {
        try (Arena arena = Arena.ofConfined();
             CudaModule module = context.loadPtx(TestPtx.kernels(target));
             DeviceBuffer out = context.allocate(48)) {
            MemorySegment pair = arena.allocate(16, 8);
            pair.set(JAVA_LONG, 0, 0x1122_3344_5566_7788L);
            pair.set(JAVA_LONG, 8, -3);
            module.function("echo_args").launch(1, 1, 1, 1, 1, 1, 0, context.defaultStream(),
                    KernelArgs.forCurrentThread().ptr(out).i32(-123456).i64(1L << 50).f32(3.25f).f64(Math.PI).ref(pair));
            MemorySegment host = arena.allocate(48);
            out.copyToHost(host);
            assertEquals(-123456, host.get(JAVA_INT, 0));
            assertEquals(1L << 50, host.get(JAVA_LONG, 8));
            assertEquals(3.25f, host.get(JAVA_FLOAT, 16));
            assertEquals(Math.PI, host.get(JAVA_DOUBLE, 24));
            assertEquals(0x1122_3344_5566_7788L, host.get(JAVA_LONG, 32));
            assertEquals(-3, host.get(JAVA_LONG, 40));
        }
    }

    @Test
    void badPtxFailsWithPtxassMessage() {
        var e = assertThrows(CudaException.class, () -> context.loadPtx(TestPtx.broken(target)));
        assertEquals("CUDA_ERROR_INVALID_PTX", e.errorName(), e.getMessage());
        assertTrue(e.getMessage().contains("%undeclared_register"), e.getMessage());
        assertTrue(e.getMessage().startsWith("cuModuleLoadDataEx of "), e.getMessage());
    }

    @Test
    void ptxCompiledToACubinLoadsAndRuns(TestReporter reporter) {
        CubinImage image = context.compileToCubin(TestPtx.kernels(target));
        byte[] bytes = image.bytes();
        assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, Arrays.copyOf(bytes, 4), "a cubin is an ELF file");
        reporter.publishEntry("cubin", bytes.length + " bytes; link log: " + image.infoLog());
        try (CudaModule module = context.loadCubin(bytes)) {
            checkVectorAdd(context, module.function("vector_add"), 4097, context.defaultStream());
        }
    }

    @Test
    void badPtxFailsToLinkWithPtxassMessage() {
        var e = assertThrows(CudaException.class, () -> context.compileToCubin(TestPtx.broken(target)));
        assertTrue(e.getMessage().contains("%undeclared_register"), e.getMessage());
    }

    @Test
    void driverRefusalsNameTheKernelAndTheLaunch() {
        try (CudaModule module = context.loadPtx(TestPtx.kernels(target))) {
            var missing = assertThrows(CudaException.class, () -> module.function("no_such_kernel"));
            assertEquals("CUDA_ERROR_NOT_FOUND", missing.errorName(), missing.getMessage());
            assertTrue(missing.getMessage().contains("'no_such_kernel'"), missing.getMessage());

            CudaFunction empty = module.function("empty");
            var tooBig = assertThrows(CudaException.class, () -> empty.launch(1, 1, 1, 4096, 1, 1, 0,
                    context.defaultStream(), KernelArgs.forCurrentThread()));
            assertTrue(tooBig.getMessage().startsWith("cuLaunchKernel of empty (grid 1x1x1, block 4096x1x1"),
                    tooBig.getMessage());
            module.close();
            assertThrows(IllegalStateException.class, () -> empty.launch(1, 1, 1, 1, 1, 1, 0,
                    context.defaultStream(), KernelArgs.forCurrentThread()));
        }
        context.synchronize(); // the refused launch left no sticky error behind
    }
}
