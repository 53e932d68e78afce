package dev.tessera.cuda;

import dev.tessera.backend.Backend;
import dev.tessera.backend.Buffer;
import dev.tessera.cuda.driver.DeviceBuffer;

/** Device memory of the CUDA backend: a driver allocation. */
final class CudaBuffer implements Buffer {
    private final CudaBackend backend;
    private final int device;
    final DeviceBuffer memory;

    CudaBuffer(CudaBackend backend, int device, DeviceBuffer memory) {
        this.backend = backend;
        this.device = device;
        this.memory = memory;
    }

    @Override
    public long address() { return memory.address(); }

    @Override
    public long byteSize() { return memory.byteSize(); }

    @Override
    public Backend backend() { return backend; }

    @Override
    public int device() { return device; }

    @Override
    public boolean isClosed() { return memory.isClosed(); }

    @Override
    public void close() { memory.close(); }

    @Override
    public String toString() { return "cuda:" + device + " " + memory; }
}
