package dev.tessera.cpu;

import dev.tessera.backend.Backend;
import dev.tessera.backend.Buffer;
import dev.tessera.backend.CompiledKernel;
import dev.tessera.backend.DeviceInfo;
import dev.tessera.backend.LaunchOptions;
import dev.tessera.ir.KernelIR;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/**
 * Runs kernels on the host: every machine has it, and it is the default when no GPU is present.
 * Programs run in parallel on a fork-join pool; every memory access is bounds-checked. Launches
 * are synchronous.
 */
public final class CpuBackend implements Backend {
    static final CpuBackend INSTANCE = new CpuBackend();

    private static final List<DeviceInfo> DEVICES = List.of(new DeviceInfo("cpu", 0,
            "CPU (" + System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cores)",
            "Tessera's CPU backend: programs in parallel, bounds-checked memory",
            Map.of("cores", (long) Runtime.getRuntime().availableProcessors())));

    /** For {@link java.util.ServiceLoader}; the backend has no per-instance state. */
    public CpuBackend() {}

    @Override
    public String name() { return "cpu"; }

    @Override
    public List<DeviceInfo> devices() { return DEVICES; }

    @Override
    public String unavailableReason() { return null; }

    @Override
    public int priority() { return 0; }

    @Override
    public Buffer allocate(int device, long bytes) { return CpuMemory.allocate(bytes); }

    @Override
    public Buffer wrapHost(int device, MemorySegment memory) { return CpuMemory.wrap(memory); }

    /** On the CPU a device pointer is a host address (Tessera's own {@code dataPointer()}s are not: they are checked handles). */
    @Override
    public Buffer wrapDevice(int device, long address, long bytes) {
        if (address == 0) throw new IllegalArgumentException("null pointer");
        return CpuMemory.wrap(MemorySegment.ofAddress(address).reinterpret(bytes));
    }

    private static CpuBuffer cpu(Buffer b) {
        if (b instanceof CpuBuffer c) return c;
        throw new IllegalArgumentException("not a CPU buffer: " + b);
    }

    @Override
    public void copyIn(MemorySegment source, Buffer target, long targetOffset, long bytes) {
        MemorySegment.copy(source, 0, cpu(target).segment(), targetOffset, bytes);
    }

    @Override
    public void copyOut(Buffer source, long sourceOffset, MemorySegment target, long bytes) {
        MemorySegment.copy(cpu(source).segment(), sourceOffset, target, 0, bytes);
    }

    @Override
    public void copy(Buffer source, long sourceOffset, Buffer target, long targetOffset, long bytes) {
        MemorySegment.copy(cpu(source).segment(), sourceOffset, cpu(target).segment(), targetOffset, bytes);
    }

    @Override
    public void fill(Buffer target, long offset, long bytes, byte value) {
        cpu(target).segment().asSlice(offset, bytes).fill(value);
    }

    @Override
    public String target(int device) { return "cpu"; }

    @Override
    public CompiledKernel compile(KernelIR kernel, LaunchOptions options, int device) { return CpuCompiler.compile(kernel); }

    /**
     * The CPU compiles from the optimized IR alone, which the cache stores as text and parses back;
     * its own bytes only name the format, so an entry from a future format is recompiled.
     */
    private static final byte[] FORMAT = "cpu-ir-1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @Override
    public byte[] serialize(CompiledKernel k) { return FORMAT.clone(); }

    @Override
    public CompiledKernel deserialize(byte[] data, KernelIR optimized, LaunchOptions options, int device) {
        return java.util.Arrays.equals(data, FORMAT) ? CpuCompiler.compile(optimized) : null;
    }

    @Override
    public void launch(CompiledKernel kernel, int[] grid, long[] args, int device) {
        CpuLauncher.launch((CpuKernel) kernel, grid, args);
    }

    @Override
    public void synchronize(int device) { }
}
