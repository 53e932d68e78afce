package dev.tessera.cuda;

import dev.tessera.backend.LaunchOptions;
import dev.tessera.cuda.codegen.PtxCodegen;
import dev.tessera.cuda.codegen.PtxModule;
import dev.tessera.cuda.codegen.Target;
import dev.tessera.cuda.driver.CubinImage;
import dev.tessera.cuda.driver.CudaContext;
import dev.tessera.cuda.driver.CudaDevice;
import dev.tessera.cuda.driver.CudaFunction;
import dev.tessera.cuda.driver.CudaModule;
import dev.tessera.ir.KernelIR;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * IR to a loaded kernel: PTX from the code generator, a cubin from the driver's linker (the image a
 * disk cache can keep, with ptxas's resource report in its log), then the module and function, and
 * the opt-in for more than 48 KiB of dynamic shared memory.
 */
final class CudaCompiler {
    private CudaCompiler() {}

    private static final int DEFAULT_SHARED_LIMIT = 48 * 1024;
    private static final AtomicInteger IDS = new AtomicInteger(1);

    /**
     * Local memory per thread a kernel may use under the occupancy cap of large blocks (see
     * {@link PtxCodegen#minBlocksPerSm}) before the uncapped PTX is tried instead. Row kernels
     * spill a few values across their reductions and still gain from the second resident block
     * (H200: softmax f32 of 16384 columns with 24 bytes of spills, 3965 GB/s against 3265
     * uncapped; RMSNorm bf16 with 4 bytes, 3646 against 2815); a 256x128 matmul tile spills
     * 656 bytes in its inner loop.
     */
    static final int CAPPED_LOCAL_ALLOWANCE = 64;

    static CudaKernel compile(KernelIR ir, LaunchOptions options, CudaDevice device, Target target) {
        PtxModule ptx = PtxCodegen.generate(ir, options, target);
        if (ptx.sharedBytes() > device.sharedMemoryPerBlockOptin()) {
            throw new IllegalArgumentException(ir.name() + " needs " + ptx.sharedBytes() + " bytes of shared memory per program, more than "
                    + device.name() + " allows (" + device.sharedMemoryPerBlockOptin() + "); use smaller blocks");
        }
        CudaKernel k = compileAndLoad(ir, ptx, device);
        int floor = PtxCodegen.minBlocksPerSm(ptx.threads());
        if (floor > 0 && k.localBytes() > CAPPED_LOCAL_ALLOWANCE) {
            // the occupancy cap made ptxas spill much: local-memory traffic costs more than occupancy gains
            CudaKernel uncapped = compileAndLoad(ir, PtxCodegen.generate(ir, options, target, false), device);
            CudaKernel kept = uncapped.localBytes() < k.localBytes() ? uncapped : k;
            (kept == k ? uncapped : k).module.close();
            k = kept;
        } else if (floor > 0 && residentBlocks(k.registers(), ptx.threads()) <= floor) {
            // ptxas spends the registers the floor leaves it; left alone it may need few enough for
            // one more resident block (layer norm f16 with packed halves: 58 capped, 40 uncapped)
            CudaKernel uncapped = compileAndLoad(ir, PtxCodegen.generate(ir, options, target, false), device);
            boolean better = uncapped.localBytes() <= k.localBytes()
                    && residentBlocks(uncapped.registers(), ptx.threads()) > residentBlocks(k.registers(), ptx.threads());
            (better ? k : uncapped).module.close();
            if (better) k = uncapped;
        }
        if (k.ptx.hasDebugParams()) DeviceErrors.register(k);
        return k;
    }

    /**
     * Blocks of {@code threads} that fit an SM's 64 K registers at {@code registers} a thread
     * (allocated per warp in units of 256, so a thread's count rounds up to a multiple of 8).
     */
    static int residentBlocks(int registers, int threads) {
        int perThread = (Math.max(1, registers) + 7) / 8 * 8;
        return 65536 / (perThread * threads);
    }

    private static CudaKernel compileAndLoad(KernelIR ir, PtxModule ptx, CudaDevice device) {
        CubinImage cubin = device.context().compileToCubin(ptx.ptx());
        return loadUnregistered(ir, ptx, cubin.bytes(), cubin.infoLog(), device);
    }

    /** A kernel from a cubin made earlier (here or by a previous process, through the disk cache). */
    static CudaKernel load(KernelIR ir, PtxModule ptx, byte[] cubin, String linkLog, CudaDevice device) {
        CudaKernel k = loadUnregistered(ir, ptx, cubin, linkLog, device);
        if (ptx.hasDebugParams()) DeviceErrors.register(k);
        return k;
    }

    private static CudaKernel loadUnregistered(KernelIR ir, PtxModule ptx, byte[] cubin, String linkLog, CudaDevice device) {
        CudaContext context = device.context();
        CudaModule module = context.loadCubin(cubin);
        CudaFunction function = module.function(ptx.entry());
        if (ptx.sharedBytes() > DEFAULT_SHARED_LIMIT) function.setMaxDynamicSharedBytes(ptx.sharedBytes());
        return new CudaKernel(IDS.getAndIncrement(), device.index(), ir, ptx, cubin, linkLog, module, function);
    }
}
