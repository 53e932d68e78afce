package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Reads a device's name and attributes from the driver into a {@link CudaDevice}. */
final class DeviceQuery {
    private DeviceQuery() {}

    // CUdevice_attribute values from cuda.h
    private static final int MAX_THREADS_PER_BLOCK = 1;
    private static final int MAX_SHARED_MEMORY_PER_BLOCK = 8;
    private static final int WARP_SIZE = 10;
    private static final int MAX_REGISTERS_PER_BLOCK = 12;
    private static final int CLOCK_RATE = 13;
    private static final int MULTIPROCESSOR_COUNT = 16;
    private static final int MEMORY_CLOCK_RATE = 36;
    private static final int GLOBAL_MEMORY_BUS_WIDTH = 37;
    private static final int L2_CACHE_SIZE = 38;
    private static final int COMPUTE_CAPABILITY_MAJOR = 75;
    private static final int COMPUTE_CAPABILITY_MINOR = 76;
    private static final int MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81;
    private static final int MAX_REGISTERS_PER_MULTIPROCESSOR = 82;
    private static final int MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

    private static final int NAME_BYTES = 256;

    /** The driver's handle (CUdevice) for a device ordinal. */
    static int handle(int ordinal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment device = arena.allocate(JAVA_INT);
            int rc = Cu.cuDeviceGet(device, ordinal);
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuDeviceGet for device " + ordinal);
            return device.get(JAVA_INT, 0);
        }
    }

    static CudaDevice query(int ordinal) {
        int device = handle(ordinal);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(NAME_BYTES);
            int rc = Cu.cuDeviceGetName(name, NAME_BYTES, device);
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuDeviceGetName for device " + ordinal);
            MemorySegment total = arena.allocate(JAVA_LONG);
            rc = Cu.cuDeviceTotalMem(total, device);
            if (rc != Cu.CUDA_SUCCESS) throw CudaException.of(rc, "cuDeviceTotalMem for device " + ordinal);
            MemorySegment value = arena.allocate(JAVA_INT);
            return new CudaDevice(
                    ordinal,
                    name.getString(0),
                    attribute(value, device, ordinal, COMPUTE_CAPABILITY_MAJOR),
                    attribute(value, device, ordinal, COMPUTE_CAPABILITY_MINOR),
                    attribute(value, device, ordinal, MULTIPROCESSOR_COUNT),
                    attribute(value, device, ordinal, WARP_SIZE),
                    attribute(value, device, ordinal, MAX_THREADS_PER_BLOCK),
                    attribute(value, device, ordinal, MAX_REGISTERS_PER_BLOCK),
                    attribute(value, device, ordinal, MAX_REGISTERS_PER_MULTIPROCESSOR),
                    attribute(value, device, ordinal, MAX_SHARED_MEMORY_PER_BLOCK),
                    attribute(value, device, ordinal, MAX_SHARED_MEMORY_PER_BLOCK_OPTIN),
                    attribute(value, device, ordinal, MAX_SHARED_MEMORY_PER_MULTIPROCESSOR),
                    attribute(value, device, ordinal, L2_CACHE_SIZE),
                    total.get(JAVA_LONG, 0),
                    attribute(value, device, ordinal, CLOCK_RATE),
                    attribute(value, device, ordinal, MEMORY_CLOCK_RATE),
                    attribute(value, device, ordinal, GLOBAL_MEMORY_BUS_WIDTH));
        }
    }

    private static int attribute(MemorySegment value, int device, int ordinal, int attribute) {
        int rc = Cu.cuDeviceGetAttribute(value, attribute, device);
        if (rc != Cu.CUDA_SUCCESS) {
            throw CudaException.of(rc, "cuDeviceGetAttribute " + attribute + " for device " + ordinal);
        }
        return value.get(JAVA_INT, 0);
    }
}
