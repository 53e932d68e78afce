package dev.tessera.cuda;

import dev.tessera.backend.KernelResources;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.cuda.codegen.Occupancy;
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
        try {
            return compileAsGenerated(ir, options, device, target);
        } catch (UnbalancedRegisterSplit e) {
            return compileAsGenerated(ir, options, device, target.withoutWarpSpecialization());
        }
    }

    /**
     * A specialized kernel's consumers claim registers that only its producer's release pays for,
     * from a launch count ptxas must allocate exactly (it does when setmaxnreg is present); a build
     * the driver gave another count would wait forever at its first claim, so it is refused, and
     * the kernel built unspecialized.
     */
    private static final class UnbalancedRegisterSplit extends RuntimeException {
        UnbalancedRegisterSplit(String kernel, int registers, int split) {
            super(kernel + ": loaded with " + registers + " registers a thread where its register split counts on " + split);
        }
    }

    private static CudaKernel compileAsGenerated(KernelIR ir, LaunchOptions options, CudaDevice device, Target target) {
        PtxModule ptx = PtxCodegen.generate(ir, options, target);
        // before ptxas runs: what the code generator asks each launch for must fit the opt-in limit
        checkShared(ir, options, ptx.sharedBytes(), device.sharedMemoryPerBlockOptin());
        int floor = Occupancy.minBlocksPerSm(ptx.threads());
        Loaded kept = Occupancy.choose(ptx.threads(), minBlocks -> {
            PtxModule build = minBlocks == floor ? ptx : PtxCodegen.generate(ir, options, target, minBlocks);
            return new Loaded(compileAndLoad(ir, build, device, options));
        }, discarded -> discarded.kernel().module.close());
        CudaKernel k = kept.kernel();
        if (k.ptx.hasDebugParams()) DeviceErrors.register(k);
        return k;
    }

    /** A loaded build, as {@link Occupancy#choose} reads it. */
    private record Loaded(CudaKernel kernel) implements Occupancy.Build {
        @Override
        public int registers() { return kernel.registers(); }

        @Override
        public int localBytes() { return kernel.localBytes(); }
    }

    private static CudaKernel compileAndLoad(KernelIR ir, PtxModule ptx, CudaDevice device, LaunchOptions options) {
        CubinImage cubin = device.context().compileToCubin(ptx.ptx());
        return loadUnregistered(ir, ptx, cubin.bytes(), cubin.infoLog(), device, options);
    }

    /** A kernel from a cubin made earlier (here or by a previous process, through the disk cache). */
    static CudaKernel load(KernelIR ir, PtxModule ptx, byte[] cubin, String linkLog, CudaDevice device, LaunchOptions options) {
        CudaKernel k = loadUnregistered(ir, ptx, cubin, linkLog, device, options);
        if (ptx.hasDebugParams()) DeviceErrors.register(k);
        return k;
    }

    private static CudaKernel loadUnregistered(KernelIR ir, PtxModule ptx, byte[] cubin, String linkLog, CudaDevice device,
                                               LaunchOptions options) {
        CudaContext context = device.context();
        CudaModule module = context.loadCubin(cubin);
        try {
            CudaFunction function = module.function(ptx.entry());
            CudaKernel k = new CudaKernel(IDS.getAndIncrement(), device.index(), ir, ptx, cubin, linkLog, module, function);
            // once loaded, the driver knows the static shared memory and the registers: a kernel that
            // cannot be launched as compiled fails here, naming its config, not at its first launch
            checkLoaded(ir, options, k.resources, device.sharedMemoryPerBlockOptin());
            int split = ptx.splitRegisters();
            if (split > 0 && k.registers() != split) throw new UnbalancedRegisterSplit(label(ir, options), k.registers(), split);
            if (ptx.sharedBytes() > DEFAULT_SHARED_LIMIT) function.setMaxDynamicSharedBytes(ptx.sharedBytes());
            return k;
        } catch (RuntimeException e) {
            module.close();
            throw e;
        }
    }

    /** Fails with the kernel's config and the limit when the dynamic shared memory asked for exceeds the opt-in limit. */
    static void checkShared(KernelIR ir, LaunchOptions options, long dynamicSharedBytes, long optinLimit) {
        if (dynamicSharedBytes > optinLimit) {
            throw KernelResources.sharedMemoryExceeded(label(ir, options), dynamicSharedBytes, optinLimit);
        }
    }

    /** The same for the loaded function: static plus dynamic shared memory, and threads its registers allow. */
    static void checkLoaded(KernelIR ir, LaunchOptions options, KernelResources r, long optinLimit) {
        if (r.sharedBytes() > optinLimit) throw KernelResources.sharedMemoryExceeded(label(ir, options), r.sharedBytes(), optinLimit);
        if (r.maxThreadsPerBlock() < r.threadsPerBlock()) {
            throw KernelResources.tooFewThreads(label(ir, options), r.registers(), r.maxThreadsPerBlock(), r.threadsPerBlock());
        }
    }

    /** The kernel's name, constexprs and launch options, as users and the autotuner name a config. */
    static String label(KernelIR ir, LaunchOptions options) {
        return KernelResources.label(ir.name(), ir.constants(), options);
    }
}
