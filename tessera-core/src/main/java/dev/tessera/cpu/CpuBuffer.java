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
    public Buffer view(long offset, long bytes) {
        segment(); // fails if freed
        // atomics on 16-bit elements work on aligned words of the segment, so a view keeps its base's word alignment
        return offset % 8 == 0 ? CpuMemory.allocateView(allocation, offset, bytes) : null;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        CpuMemory.free(allocation);
    }
}
