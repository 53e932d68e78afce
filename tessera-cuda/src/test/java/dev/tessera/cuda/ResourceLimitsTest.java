package dev.tessera.cuda;

import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.backend.KernelResources;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.backend.ResourceLimitException;
import dev.tessera.ir.KernelIR;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;

/**
 * The CUDA compiler's resource checks, without a GPU: a kernel whose shared memory exceeds the
 * device's opt-in limit, or whose registers leave too few threads for its block, fails naming its
 * config (kernel, constexprs, stages, warps) and the limit.
 */
class ResourceLimitsTest {

    @Kernel
    static void tiles(Tile x, Tile out, Tile n, @Constexpr int BM, @Constexpr int BN, @Constexpr int BK) {
        Tile offs = programId(0).mul(BM * BN).add(arange(0, BM * BN));
        store(out.add(offs), load(x.add(offs), offs.lt(n), 0.0).mul(BK), offs.lt(n));
    }

    static final JitKernel TILES = Jit.kernel(ResourceLimitsTest.class, "tiles");

    /** The optimized IR of one specialization, as the backend's compile receives it (traced on the CPU). */
    static KernelIR ir() {
        try (Tensor x = Tensor.randn(DType.F32, 1, Device.cpu(), 64); Tensor out = Tensor.empty(DType.F32, Device.cpu(), 64)) {
            return TILES.specialize(x, out, 64, 16, 16, 64).ir();
        }
    }

    @Test
    void sharedMemoryOverTheOptInLimitNamesTheConfigAndTheLimit() {
        KernelIR ir = ir();
        LaunchOptions options = new LaunchOptions(8, 4);
        ResourceLimitException e = assertThrows(ResourceLimitException.class, () -> CudaCompiler.checkShared(ir, options, 262144, 232448));
        assertEquals("tiles[BM=16, BN=16, BK=64, stages=4, warps=8]: needs 262144 bytes of shared memory, the device allows 232448 per block",
                e.getMessage());
        assertDoesNotThrow(() -> CudaCompiler.checkShared(ir, options, 232448, 232448));
    }

    @Test
    void theLoadedFunctionsStaticPlusDynamicSharedMemoryAndThreadsAreChecked() {
        KernelIR ir = ir();
        LaunchOptions options = new LaunchOptions(8, 3);
        var shared = assertThrows(ResourceLimitException.class,
                () -> CudaCompiler.checkLoaded(ir, options, new KernelResources(64, 4096, 229376, 0, 256, 1024), 232448));
        assertTrue(shared.getMessage().endsWith(": needs 233472 bytes of shared memory, the device allows 232448 per block"), shared.getMessage());
        var threads = assertThrows(ResourceLimitException.class,
                () -> CudaCompiler.checkLoaded(ir, options, new KernelResources(255, 0, 0, 0, 256, 128), 232448));
        assertEquals("tiles[BM=16, BN=16, BK=64, stages=3, warps=8]: uses 255 registers per thread, so a block may have at most 128 threads,"
                + " but it launches 256", threads.getMessage());
        assertDoesNotThrow(() -> CudaCompiler.checkLoaded(ir, options, new KernelResources(128, 0, 98304, 0, 256, 512), 232448));
    }
}
