package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Kernel arguments in the form cuLaunchKernel reads: an array of pointers ({@code void**}), entry i
 * pointing at the value of parameter i. Values live in 8-byte slots of native memory owned by this
 * object, so packing a launch allocates nothing: {@link #reset()}, append each argument in the
 * kernel's parameter order, launch, repeat.
 *
 * <p>Not thread-safe; {@link #forCurrentThread()} gives each thread its own.
 */
public final class KernelArgs {
    static final int SLOT_BYTES = 8;
    private static final int PER_THREAD_CAPACITY = 128;
    /** A CUtensorMap: 128 bytes on a 64-byte boundary (cuda.h's CU_TENSOR_MAP_NUM_QWORDS × 8, alignas(64)). */
    public static final int TENSOR_MAP_BYTES = 128, TENSOR_MAP_ALIGNMENT = 64;
    private static final int TENSOR_MAPS = 16;

    private static final ThreadLocal<KernelArgs> PER_THREAD = ThreadLocal.withInitial(
            () -> allocate(Arena.ofAuto(), PER_THREAD_CAPACITY));

    private final MemorySegment pointers;
    private final MemorySegment values;
    private final MemorySegment tensorMaps;
    private final int capacity;
    private int count, tensorMapCount;

    private KernelArgs(MemorySegment pointers, MemorySegment values, MemorySegment tensorMaps, int capacity) {
        this.pointers = pointers;
        this.values = values;
        this.tensorMaps = tensorMaps;
        this.capacity = capacity;
    }

    /** Room for {@code capacity} arguments (and 16 tensor maps), in memory owned by {@code arena}. */
    public static KernelArgs allocate(Arena arena, int capacity) {
        if (capacity <= 0) throw new IllegalArgumentException("capacity must be positive, not " + capacity);
        return new KernelArgs(arena.allocate(JAVA_LONG, capacity), arena.allocate(JAVA_LONG, capacity),
                arena.allocate((long) TENSOR_MAPS * TENSOR_MAP_BYTES, TENSOR_MAP_ALIGNMENT), capacity);
    }

    /**
     * This thread's reusable instance (128 arguments), emptied. Its memory is freed with the thread.
     * Fill and launch before asking for it again on the same thread.
     */
    public static KernelArgs forCurrentThread() {
        return PER_THREAD.get().reset();
    }

    /** Empties the list, keeping the memory. */
    public KernelArgs reset() {
        count = 0;
        tensorMapCount = 0;
        return this;
    }

    /**
     * Room for one more tensor map of this launch (128 bytes, 64-byte aligned), owned by this
     * object until the next {@link #reset()}: encode into it, then pass it with {@link #ref}.
     */
    public MemorySegment tensorMapSlot() {
        if (tensorMapCount == TENSOR_MAPS) throw new IllegalStateException("a kernel launch with more than " + TENSOR_MAPS + " tensor descriptors");
        return tensorMaps.asSlice((long) tensorMapCount++ * TENSOR_MAP_BYTES, TENSOR_MAP_BYTES);
    }

    /** A device pointer (a {@code .u64} parameter). */
    public KernelArgs ptr(long deviceAddress) {
        values.setAtIndex(JAVA_LONG, next(), deviceAddress);
        return this;
    }

    /** The address of a device buffer. */
    public KernelArgs ptr(DeviceBuffer buffer) {
        return ptr(buffer.address());
    }

    public KernelArgs i32(int value) {
        values.set(JAVA_INT, next() * (long) SLOT_BYTES, value);
        return this;
    }

    public KernelArgs i64(long value) {
        values.setAtIndex(JAVA_LONG, next(), value);
        return this;
    }

    public KernelArgs f32(float value) {
        values.set(JAVA_FLOAT, next() * (long) SLOT_BYTES, value);
        return this;
    }

    public KernelArgs f64(double value) {
        values.setAtIndex(JAVA_DOUBLE, next(), value);
        return this;
    }

    /**
     * A parameter larger than a slot, passed by value from caller-owned native memory (e.g. a
     * 128-byte tensor-map descriptor). The memory is read during the launch call and must stay
     * alive until then.
     */
    public KernelArgs ref(MemorySegment value) {
        if (!value.isNative()) throw new IllegalArgumentException("a by-value kernel argument must be in native memory");
        int index = count;
        if (index == capacity) throw full();
        pointers.setAtIndex(JAVA_LONG, index, value.address());
        count = index + 1;
        return this;
    }

    /** How many arguments have been appended since the last reset. */
    public int count() {
        return count;
    }

    /** The {@code void**} array for cuLaunchKernel. */
    MemorySegment pointers() {
        return pointers;
    }

    // Claims the next slot and points its entry at it. The pointer is rewritten every time because
    // ref() may have pointed the same entry elsewhere on an earlier use.
    private int next() {
        int index = count;
        if (index == capacity) throw full();
        pointers.setAtIndex(JAVA_LONG, index, values.address() + (long) index * SLOT_BYTES);
        count = index + 1;
        return index;
    }

    private IllegalStateException full() {
        return new IllegalStateException("a kernel launch with more than " + capacity + " arguments");
    }
}
