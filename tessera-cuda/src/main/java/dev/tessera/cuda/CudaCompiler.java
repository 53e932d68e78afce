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

    static CudaKernel compile(KernelIR ir, LaunchOptions options, CudaDevice device, Target target) {
        PtxModule ptx = PtxCodegen.generate(ir, options, target);
        if (ptx.sharedBytes() > device.sharedMemoryPerBlockOptin()) {
            throw new IllegalArgumentException(ir.name() + " needs " + ptx.sharedBytes() + " bytes of shared memory per program, more than "
                    + device.name() + " allows (" + device.sharedMemoryPerBlockOptin() + "); use smaller blocks");
        }
        CubinImage cubin = device.context().compileToCubin(ptx.ptx());
        return load(ir, ptx, cubin.bytes(), cubin.infoLog(), device);
    }

    /** A kernel from a cubin made earlier (here or by a previous process, through the disk cache). */
    static CudaKernel load(KernelIR ir, PtxModule ptx, byte[] cubin, String linkLog, CudaDevice device) {
        CudaContext context = device.context();
        CudaModule module = context.loadCubin(cubin);
        CudaFunction function = module.function(ptx.entry());
        if (ptx.sharedBytes() > DEFAULT_SHARED_LIMIT) function.setMaxDynamicSharedBytes(ptx.sharedBytes());
        CudaKernel k = new CudaKernel(IDS.getAndIncrement(), device.index(), ir, ptx, cubin, linkLog, module, function);
        if (ptx.hasDebugParams()) DeviceErrors.register(k);
        return k;
    }
}
