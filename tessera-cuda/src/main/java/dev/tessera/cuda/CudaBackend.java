package dev.tessera.cuda;

import dev.tessera.backend.Backend;
import dev.tessera.backend.BackendStream;
import dev.tessera.backend.Buffer;
import dev.tessera.backend.CompiledKernel;
import dev.tessera.backend.DeviceInfo;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.cuda.codegen.PtxModule;
import dev.tessera.cuda.codegen.Target;
import dev.tessera.cuda.driver.CudaDevice;
import dev.tessera.cuda.driver.CudaDriver;
import dev.tessera.cuda.driver.CudaStream;
import dev.tessera.cuda.driver.DeviceBuffer;
import dev.tessera.cuda.driver.KernelArgs;
import dev.tessera.cuda.driver.TensorMaps;
import dev.tessera.runtime.TensorDescriptor;
import dev.tessera.types.DescriptorType;
import dev.tessera.cuda.driver.PtxTarget;
import dev.tessera.ir.KernelIR;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * NVIDIA GPUs through the CUDA driver: memory is driver allocations, kernels are PTX from Tessera's
 * code generator that the driver compiles, launches go on the stream given (the device's legacy
 * default stream where none is) and return at once. {@link #synchronize} waits for every stream and
 * then reports any device assertion that failed. Streams Tessera creates are blocking streams, so
 * the synchronous copies and fills, which use the default stream, stay ordered against them.
 */
public final class CudaBackend implements Backend {
    private final Map<Integer, DeviceErrors> errors = new ConcurrentHashMap<>();
    private volatile List<DeviceInfo> devices;

    /** For {@link java.util.ServiceLoader}. */
    public CudaBackend() {}

    @Override
    public String name() { return "cuda"; }

    @Override
    public List<DeviceInfo> devices() {
        List<DeviceInfo> d = devices;
        if (d == null) {
            d = !CudaDriver.isAvailable() ? List.of() : CudaDriver.devices().stream().map(c -> info(c, compileTarget(c.index()))).toList();
            devices = d;
        }
        return d;
    }

    private static DeviceInfo info(CudaDevice d, Target target) {
        return new DeviceInfo("cuda", d.index(), d.name(), d.summary(), Map.of(
                "sharedMemoryPerBlock", (long) d.sharedMemoryPerBlockOptin(),
                "maxThreadsPerBlock", (long) d.maxThreadsPerBlock(),
                "multiprocessors", (long) d.multiprocessorCount(),
                "computeCapability", (long) d.computeCapability(),
                "l2CacheBytes", (long) d.l2CacheBytes(),
                "totalMemory", d.totalMemoryBytes(),
                DeviceInfo.ASYNCHRONOUS_DOTS, target.wgmma() ? 1L : 0L,
                DeviceInfo.TENSOR_COPIES, target.tma() ? 1L : 0L));
    }

    @Override
    public String unavailableReason() {
        if (CudaDriver.isAvailable()) return null;
        return CudaDriver.unavailableReason().orElse("CUDA is not available");
    }

    /** Above the CPU's 0: a GPU is the default device when one is present. */
    @Override
    public int priority() { return 100; }

    private static CudaDevice device(int index) { return CudaDriver.device(index); }

    private static CudaBuffer cuda(Buffer b) {
        if (b instanceof CudaBuffer c) return c;
        throw new IllegalArgumentException("not a CUDA buffer: " + b);
    }

    @Override
    public Buffer allocate(int device, long bytes) {
        return new CudaBuffer(this, device, device(device).context().allocate(Math.max(1, bytes)));
    }

    @Override
    public Buffer wrapDevice(int device, long address, long bytes) {
        return new CudaBuffer(this, device, DeviceBuffer.borrow(device(device).context(), address, bytes));
    }

    @Override
    public void copyIn(MemorySegment source, Buffer target, long targetOffset, long bytes) {
        cuda(target).memory.copyFromHost(targetOffset, source.asSlice(0, bytes));
    }

    @Override
    public void copyOut(Buffer source, long sourceOffset, MemorySegment target, long bytes) {
        CudaBuffer b = cuda(source);
        b.memory.copyToHost(sourceOffset, target.asSlice(0, bytes));
        errors(b.device()).check();
    }

    @Override
    public void copyInAsync(MemorySegment source, Buffer target, long targetOffset, long bytes, BackendStream stream) {
        cuda(target).memory.copyFromHostAsync(targetOffset, source.asSlice(0, bytes), CudaQueue.of(stream));
    }

    @Override
    public void copyOutAsync(Buffer source, long sourceOffset, MemorySegment target, long bytes, BackendStream stream) {
        cuda(source).memory.copyToHostAsync(sourceOffset, target.asSlice(0, bytes), CudaQueue.of(stream));
    }

    @Override
    public MemorySegment allocatePinned(int device, long bytes, Arena arena) { return device(device).context().allocatePinned(bytes, arena); }

    @Override
    public void copy(Buffer source, long sourceOffset, Buffer target, long targetOffset, long bytes) {
        cuda(target).memory.copyFrom(targetOffset, cuda(source).memory, sourceOffset, bytes);
    }

    @Override
    public void fill(Buffer target, long offset, long bytes, byte value) {
        cuda(target).memory.fill(offset, bytes, value);
    }

    /** "sm_90a/ptx9.0": what makes compiled code differ between devices (and the testing switches below, when set). */
    @Override
    public String target(int device) {
        PtxTarget t = ptxTarget(device);
        return t.arch() + "/ptx" + t.version() + (softwareConversions() ? "/software-conversions" : "") + (noWgmma() ? "/no-wgmma" : "")
                + (noTma() ? "/no-tma" : "") + (undeferredWaits() ? "/undeferred-waits" : "") + (warpSpecialization() ? "/warp-specialized" : "")
                + (noVectorAtomics() ? "/no-vector-atomics" : "") + (overwriteZeros() ? "/overwrite-zeros" : "");
    }

    // for testing the exact software sequences on a GPU that has the native conversions
    private static boolean softwareConversions() { return Boolean.getBoolean("tessera.cuda.softwareConversions"); }

    // for testing and measuring mma.sync on a Hopper GPU, whose dots otherwise go to wgmma
    private static boolean noWgmma() { return "false".equals(System.getProperty("tessera.cuda.wgmma")); }

    // TMA is on wherever the target has it (sm_90+): the descriptor tests passed on an H200 (2026-12-07) with copies
    // issued inline and by a producer warpgroup, once boxes off a 16-byte column were left to masked loads;
    // -Dtessera.cuda.tma=false makes descriptors masked loads and stores, for measuring what TMA gains
    private static boolean noTma() { return "false".equals(System.getProperty("tessera.cuda.tma")); }

    // for measuring what deferring the wgmma waits to the dots' first readers gains: -Dtessera.cuda.deferredWaits=false
    // waits for every wgmma at its dot
    private static boolean undeferredWaits() { return "false".equals(System.getProperty("tessera.cuda.deferredWaits")); }

    // a producer warp issuing the TMA copies (-Dtessera.cuda.warpSpecialization=true, with TMA on) is opt-in until it has
    // run on a GPU: it was written in a session that had none
    private static boolean warpSpecialization() { return Boolean.getBoolean("tessera.cuda.warpSpecialization"); }

    // for measuring what f32 atomics of 4 elements an instruction gain: -Dtessera.cuda.vectorAtomics=false
    private static boolean noVectorAtomics() { return "false".equals(System.getProperty("tessera.cuda.vectorAtomics")); }

    // wgmma dots from zeros writing their registers (-Dtessera.cuda.overwriteZeros=true) are opt-in until the GPU
    // tests have run with them: written and reviewed in sessions that had no GPU after its first form failed on one
    private static boolean overwriteZeros() { return Boolean.getBoolean("tessera.cuda.overwriteZeros"); }

    private static PtxTarget ptxTarget(int device) { return PtxTarget.forDevice(device(device), CudaDriver.driverVersion()); }

    /** What kernels for {@code device} are compiled for: its architecture, less what the testing switches above turn off. */
    private static Target compileTarget(int device) {
        Target target = Target.of(ptxTarget(device));
        if (softwareConversions()) target = target.withSoftwareConversions();
        if (noWgmma()) target = target.withoutWgmma();
        if (noTma()) target = target.withoutTma();
        if (undeferredWaits()) target = target.withoutDeferredWaits();
        if (warpSpecialization()) target = target.withWarpSpecialization();
        if (noVectorAtomics()) target = target.withoutVectorAtomics();
        if (overwriteZeros()) target = target.withOverwrittenZeros();
        return target;
    }

    @Override
    public CompiledKernel compile(KernelIR kernel, LaunchOptions options, int device) {
        return CudaCompiler.compile(kernel, options, device(device), compileTarget(device));
    }

    @Override
    public byte[] serialize(CompiledKernel k) {
        return k instanceof CudaKernel c ? KernelCodec.encode(c.ptx, c.cubin) : null;
    }

    @Override
    public CompiledKernel deserialize(byte[] data, KernelIR optimized, LaunchOptions options, int device) {
        KernelCodec.Decoded d = KernelCodec.decode(data);
        // a specialized kernel's block holds its producer warp beside the options' warps
        if (d == null || d.ptx().threads() < options.numWarps() * 32) return null;
        try {
            return CudaCompiler.load(optimized, d.ptx(), d.cubin(), null, device(device), options);
        } catch (RuntimeException e) {
            return null; // a cubin this device or driver cannot load: compile afresh
        }
    }

    @Override
    public dev.tessera.backend.Marker marker(int device) { return new CudaMarker(device(device).context()); }

    @Override
    public BackendStream createStream(int device) { return new CudaQueue(device(device).context().createStream()); }

    @Override
    public BackendStream defaultStream(int device) { return new CudaQueue(device(device).context().defaultStream()); }

    @Override
    public BackendStream wrapStream(int device, long handle) { return new CudaQueue(CudaStream.borrow(device(device).context(), handle)); }

    @Override
    public void launch(CompiledKernel kernel, int[] grid, long[] args, int device) {
        launch(kernel, grid, args, device, device(device).context().defaultStream());   // no wrapper made a launch
    }

    @Override
    public void launch(CompiledKernel kernel, int[] grid, long[] args, int device, BackendStream stream) {
        launch(kernel, grid, args, device, CudaQueue.of(stream));
    }

    private void launch(CompiledKernel kernel, int[] grid, long[] args, int device, CudaStream stream) {
        CudaKernel k = (CudaKernel) kernel;
        PtxModule.ParamKind[] kinds = k.params;
        KernelArgs a = KernelArgs.forCurrentThread();
        int words = 0;
        for (int i = 0; i < kinds.length; i++) words += kinds[i] == PtxModule.ParamKind.TENSOR_MAP ? TensorDescriptor.argumentWords(k.descriptors[i].rank()) : 1;
        if (args.length != words) throw new IllegalArgumentException(k.name() + " takes " + words + " argument words, got " + args.length);
        int word = 0;
        for (int i = 0; i < kinds.length; i++) {
            long bits = args[word];
            switch (kinds[i]) {
                case U64 -> a.i64(bits);
                case U32 -> a.i32((int) bits);
                case F32 -> a.f32(Float.intBitsToFloat((int) bits));
                case F64 -> a.f64(Double.longBitsToDouble(bits));
                case TENSOR_MAP -> {
                    // encoded at every launch (no cache): the map holds the address, which changes from launch to launch
                    DescriptorType d = k.descriptors[i];
                    PtxModule.MapBox box = k.ptx.maps().get(i);
                    a.ref(TensorMaps.encode(a.tensorMapSlot(), d.element(), box.dimsArray(), box.swizzleBytes(), args, word));
                    word += TensorDescriptor.argumentWords(d.rank()) - 1;
                }
            }
            word++;
        }
        if (k.ptx.hasDebugParams()) a.ptr(errors(device).addressForLaunch()).i32(k.id);
        stream.context().noteLaunch(k.name());
        k.function.launch(grid[0], grid[1], grid[2], k.ptx.threads(), 1, 1, k.ptx.sharedBytes(), stream, a);
        // a kernel with device assertions reports a failure from its launch, as on the CPU (a debugging aid: it waits)
        if (k.synchronousFaults) synchronize(device);
    }

    @Override
    public void synchronize(int device) {
        device(device).context().synchronize();
        errors(device).check();
    }

    private DeviceErrors errors(int device) {
        return errors.computeIfAbsent(device, d -> new DeviceErrors(device(d).context()));
    }
}
