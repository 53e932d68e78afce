package dev.tessera.cpu;

import dev.tessera.backend.Backend;
import dev.tessera.backend.Buffer;
import java.lang.foreign.MemorySegment;

/** CPU device memory: an off-heap segment registered in {@link CpuMemory}. */
final class CpuBuffer implements Buffer {
    private final CpuMemory.Allocation allocation;
    private final long address, size;
    private volatile boolean closed;

    CpuBuffer(CpuMemory.Allocation allocation, long address, long size) {
        this.allocation = allocation;
        this.address = address;
        this.size = size;
    }

    MemorySegment segment() {
        if (closed) throw new IllegalStateException("CPU buffer used after it was freed");
        return allocation.segment.asSlice(0, size);
    }

    @Override
    public long address() { return address; }

    @Override
    public long byteSize() { return size; }

    @Override
    public Backend backend() { return CpuBackend.INSTANCE; }

    @Override
    public int device() { return 0; }

    @Override
    public boolean isClosed() { return closed; }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        CpuMemory.free(allocation);
    }
}
