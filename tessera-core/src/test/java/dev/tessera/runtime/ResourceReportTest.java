package dev.tessera.runtime;

import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.backend.CompiledKernel;
import dev.tessera.backend.KernelResources;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.backend.ResourceLimitException;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.types.DType;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-kernel resource report: how a specialization is named, the limit messages, the dump line, the CPU's empty report. */
class ResourceReportTest {

    @Kernel
    static void scale(Tile x, Tile out, Tile n, @Constexpr int BLOCK, @Constexpr boolean TWICE) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile v = load(x.add(offs), offs.lt(n), 0.0);
        store(out.add(offs), TWICE ? v.mul(2.0) : v, offs.lt(n));
    }

    static final JitKernel SCALE = Jit.kernel(ResourceReportTest.class, "scale");

    static Map<String, Object> matmulConstexprs() {
        Map<String, Object> cx = new LinkedHashMap<>();
        cx.put("BM", 128);
        cx.put("BN", 256);
        cx.put("BK", 64);
        return cx;
    }

    @Test
    void aSpecializationIsNamedByItsConstexprsInOrderThenStagesAndWarps() {
        assertEquals("matmul[BM=128, BN=256, BK=64, stages=4, warps=8]",
                KernelResources.label("matmul", matmulConstexprs(), new LaunchOptions(8, 4)));
        assertEquals("add[]", KernelResources.label("add", Map.of(), null));
    }

    @Test
    void theSharedMemoryErrorNamesTheConfigAndTheLimit() {
        String label = KernelResources.label("matmul", matmulConstexprs(), new LaunchOptions(8, 4));
        ResourceLimitException e = KernelResources.sharedMemoryExceeded(label, 262144, 232448);
        assertEquals("matmul[BM=128, BN=256, BK=64, stages=4, warps=8]: needs 262144 bytes of shared memory, the device allows 232448 per block",
                e.getMessage());
        assertInstanceOf(IllegalArgumentException.class, e, "callers that catch bad arguments see it too");
        assertEquals("scale[BLOCK=1024]: uses 255 registers per thread, so a block may have at most 256 threads, but it launches 512",
                KernelResources.tooFewThreads("scale[BLOCK=1024]", 255, 256, 512).getMessage());
    }

    @Test
    void theDumpLineNamesKernelConfigDeviceRegistersAndMemory() {
        KernelResources r = new KernelResources(168, 1024, 98304, 16, 256, 384);
        assertEquals(99328, r.sharedBytes());
        assertTrue(r.spills());
        String label = KernelResources.label("matmul", matmulConstexprs(), new LaunchOptions(8, 3));
        Dump.CompileTime compiled = new Dump.CompileTime(3_100_000, 1_040_000, 37_060_000, false);
        assertEquals("resources: matmul[BM=128, BN=256, BK=64, stages=3, warps=8] on cuda:0: registers=168 shared=99328 (static=1024, dynamic=98304)"
                + " local=16 threads=256 maxThreads=384; compiled in 41.2 ms (trace 3.1, passes 1.0, backend 37.1)", Dump.resourcesLine(label, "cuda:0", r, compiled));
        assertTrue(Dump.resourcesLine(label, "cuda:0", r, new Dump.CompileTime(3_000_000, 0, 2_000_000, true))
                .endsWith("; loaded from the disk cache in 5.0 ms (trace 3.0)"));
        assertEquals("168 regs, 99328 B shared, 16 B local", r.brief());
        String cpu = Dump.resourcesLine("scale[BLOCK=256, TWICE=true, stages=3, warps=4]", "cpu", null, compiled);
        assertEquals("resources: scale[BLOCK=256, TWICE=true, stages=3, warps=4] on cpu: none reported"
                + " (the cpu backend has no registers, shared or local memory to count); compiled in 41.2 ms (trace 3.1, passes 1.0, backend 37.1)", cpu);
    }

    @Test
    void theCpuBackendReportsNoResources() {
        try (Tensor x = Tensor.randn(DType.F32, 1, Device.cpu(), 300); Tensor out = Tensor.empty(DType.F32, Device.cpu(), 300)) {
            CompiledKernel k = SCALE.specialize(x, out, 300, 256, true);
            assertTrue(k.resources().isEmpty(), "the CPU has no registers or shared memory to report");
            assertEquals(Map.of("BLOCK", 256, "TWICE", true), k.ir().constants(), "the compiled IR keeps the constexprs a report names");
        }
    }
}
