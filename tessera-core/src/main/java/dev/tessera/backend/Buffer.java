package dev.tessera.backend;

/** A block of device memory. Closing frees it; closing twice is harmless. */
public interface Buffer extends AutoCloseable {

    /** The device address of byte 0, as kernels see it. */
    long address();

    long byteSize();

    Backend backend();

    int device();

    boolean isClosed();

    @Override
    void close();
}
