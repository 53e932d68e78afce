package dev.tessera.backend;

/** A block of device memory. Closing frees it; closing twice is harmless. */
public interface Buffer extends AutoCloseable {

    /** The device address of byte 0, as kernels see it. */
    long address();

    long byteSize();

    Backend backend();

    int device();

    boolean isClosed();

    /**
     * Bytes [offset, offset + bytes) of this buffer under an address of their own, for a tensor
     * view, so that a backend that checks accesses holds a kernel given the view to the view's
     * elements; closing it leaves this buffer open. Null (the default) where a view's address is
     * this buffer's plus the offset.
     */
    default Buffer view(long offset, long bytes) { return null; }

    @Override
    void close();
}
