package dev.tessera.runtime;

import dev.tessera.backend.Backend;
import dev.tessera.backend.Buffer;
import dev.tessera.types.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An n-dimensional array on a device: a dtype, a shape, strides in elements, and a shared block of
 * device memory. Views ({@link #view}, {@link #transpose}, {@link #slice}) share memory with their
 * base. Memory is freed when every tensor using it is closed, or when they all become unreachable;
 * since unreachable tensors' memory is off the Java heap, allocating collects them before memory runs
 * out (see {@link #liveBytes()}). Passed to a kernel, a tensor becomes a pointer to its first element.
 */
public final class Tensor implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    /** The device memory, the bytes it was asked for, and the number of open tensors that use it. */
    private static final class Storage {
        final Buffer buffer;
        final LiveMemory memory;
        final long bytes;
        final AtomicInteger users = new AtomicInteger(1);

        Storage(LiveMemory memory, long bytes) {
            this.memory = memory;
            this.bytes = bytes;
            this.buffer = memory.allocate(bytes);
        }

        /** Memory the caller owns (wrapped or imported): not Tessera's to count or free. */
        Storage(Buffer borrowed) {
            this.memory = null;
            this.bytes = 0;
            this.buffer = borrowed;
        }

        void retain() { users.incrementAndGet(); }

        void release() {
            if (users.decrementAndGet() == 0) {
                buffer.close();
                if (memory != null) memory.released(bytes);
            }
        }
    }

    private final Storage storage;
    private final DType dtype;
    private final long[] shape, strides;
    private final long offset;
    private final Device device;
    /** Releases this tensor's use of the storage once: on close, or when the tensor becomes unreachable. */
    private final Cleaner.Cleanable release;
    /** A view's own address on a backend that checks accesses against it; made at its first launch. */
    private final ViewAddress view = new ViewAddress();
    private volatile boolean closed;

    private Tensor(Storage storage, Device device, DType dtype, long[] shape, long[] strides, long offset) {
        this.storage = storage;
        this.device = device;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        ViewAddress v = view;
        this.release = CLEANER.register(this, () -> {
            v.close();
            storage.release();
        });
    }

    /**
     * The buffer a backend made for a view ({@link Buffer#view}), so that a kernel given a slice
     * cannot reach the rest of its base unnoticed; none for a tensor that spans its whole buffer.
     */
    private static final class ViewAddress {
        private Buffer buffer;
        private boolean made;

        synchronized long address(Tensor t) {
            if (!made) {
                made = true;
                long es = t.dtype.byteSize(), bytes = t.spanElements() * es;
                if (t.offset != 0 || bytes != t.storage.buffer.byteSize()) buffer = t.storage.buffer.view(t.offset * es, bytes);
            }
            return buffer != null ? buffer.address() : t.storage.buffer.address() + t.offset * t.dtype.byteSize();
        }

        synchronized void close() {
            if (buffer != null) buffer.close();
        }
    }

    // ------------------------------------------------------------------ creation

    public static Tensor empty(DType dtype, long... shape) { return empty(dtype, Device.defaultDevice(), shape); }

    public static Tensor empty(DType dtype, Device device, long... shape) {
        Device d = device.require();
        // exactly the tensor's bytes: an empty tensor has none, so a kernel cannot write "element 0" of it
        Storage storage = new Storage(LiveMemory.of(d), byteSize(dtype, shape));
        return new Tensor(storage, d, dtype, shape.clone(), contiguousStrides(shape), 0);
    }

    public static Tensor zeros(DType dtype, Device device, long... shape) {
        Tensor t = empty(dtype, device, shape);
        t.device.backendImpl().fill(t.storage.buffer, 0, t.storage.buffer.byteSize(), (byte) 0);
        return t;
    }

    public static Tensor zeros(DType dtype, long... shape) { return zeros(dtype, Device.defaultDevice(), shape); }

    public static Tensor full(DType dtype, double value, Device device, long... shape) {
        Tensor t = empty(dtype, device, shape);
        t.fill(value);
        return t;
    }

    /** Values converted to {@code dtype} (rounded to nearest even; integers truncated and saturated). */
    public static Tensor from(double[] values, DType dtype, Device device, long... shape) {
        long[] s = shape.length == 0 ? new long[] {values.length} : shape;
        if (numel(s) != values.length) {
            throw new IllegalArgumentException(values.length + " values do not fill a tensor of shape " + Arrays.toString(s));
        }
        Tensor t = empty(dtype, device, s);
        t.write(values);
        return t;
    }

    public static Tensor from(double[] values, DType dtype, long... shape) { return from(values, dtype, Device.defaultDevice(), shape); }

    public static Tensor of(float[] values, long... shape) { return of(values, Device.defaultDevice(), shape); }

    /** An f32 tensor holding {@code values} (row-major), copied in one bulk copy. */
    public static Tensor of(float[] values, Device device, long... shape) {
        return fromBits(MemorySegment.ofArray(values), values.length, DType.F32, device, shape);
    }

    public static Tensor of(double[] values, long... shape) { return of(values, Device.defaultDevice(), shape); }

    public static Tensor of(double[] values, Device device, long... shape) {
        return fromBits(MemorySegment.ofArray(values), values.length, DType.F64, device, shape);
    }

    public static Tensor of(int[] values, long... shape) { return of(values, Device.defaultDevice(), shape); }

    /** An i32 tensor holding {@code values}, copied in one bulk copy. */
    public static Tensor of(int[] values, Device device, long... shape) {
        return fromBits(MemorySegment.ofArray(values), values.length, DType.I32, device, shape);
    }

    public static Tensor of(long[] values, long... shape) { return of(values, Device.defaultDevice(), shape); }

    public static Tensor of(long[] values, Device device, long... shape) {
        return fromBits(MemorySegment.ofArray(values), values.length, DType.I64, device, shape);
    }

    /**
     * A tensor of a 16-bit dtype (f16, bf16, i16, u16) whose elements are {@code bits} as they are:
     * the raw bit patterns, copied in one bulk copy (no rounding, no conversion).
     */
    public static Tensor ofBits(short[] bits, DType dtype, Device device, long... shape) {
        return fromBits(MemorySegment.ofArray(bits), bits.length, dtype, device, shape);
    }

    /** A tensor of an 8-bit dtype (i8, u8, fp8) whose elements are {@code bits} as they are. */
    public static Tensor ofBits(byte[] bits, DType dtype, Device device, long... shape) {
        return fromBits(MemorySegment.ofArray(bits), bits.length, dtype, device, shape);
    }

    /** A contiguous tensor whose elements are the {@code count} elements of host memory {@code bits}. */
    private static Tensor fromBits(MemorySegment bits, long count, DType dtype, Device device, long[] shape) {
        long[] s = shape.length == 0 ? new long[] {count} : shape;
        if (numel(s) != count) throw new IllegalArgumentException(count + " values do not fill a tensor of shape " + Arrays.toString(s));
        if (bits.byteSize() != count * dtype.byteSize()) {
            throw new IllegalArgumentException("elements of " + bits.byteSize() / count + " bytes given for " + dtype + " (" + dtype.byteSize() + " bytes)");
        }
        Tensor t = empty(dtype, device, s);
        if (count > 0) t.device.backendImpl().copyIn(bits, t.storage.buffer, 0, bits.byteSize());
        return t;
    }

    /**
     * The caller's host memory as a CPU tensor, in place (no copy): kernels read and write
     * {@code memory} itself, and their accesses are checked against its size. The caller owns the
     * memory: closing the tensor (or losing it) never frees it, and it must stay alive while a
     * kernel uses the tensor. Elements are in native byte order; {@code memory} must be aligned to
     * the element size. Heap segments ({@code MemorySegment.ofArray}) work too.
     */
    public static Tensor wrap(MemorySegment memory, DType dtype, long... shape) {
        return wrap(memory, dtype, shape, contiguousStrides(shape));
    }

    /** {@link #wrap(MemorySegment, DType, long...)} with strides in elements (none negative). */
    public static Tensor wrap(MemorySegment memory, DType dtype, long[] shape, long[] strides) {
        checkFits(dtype, shape, strides, memory.byteSize(), "a segment");
        if (memory.maxByteAlignment() < dtype.byteSize()) {
            throw new IllegalArgumentException("a segment aligned to " + memory.maxByteAlignment() + " bytes cannot hold " + dtype + " elements (" + dtype.byteSize() + "-byte aligned)");
        }
        Device cpu = Device.cpu();
        return new Tensor(new Storage(cpu.backendImpl().wrapHost(cpu.index(), memory)), cpu, dtype, shape.clone(), strides.clone(), 0);
    }

    /**
     * A contiguous tensor over {@code bytes} of memory at {@code address} on {@code device} that
     * another library allocated (cuBLAS, JCuda, TornadoVM...; a host address on the CPU), used in
     * place. As with {@link #wrap}, the caller owns the memory and must keep it alive; {@link
     * #dataPointer()} gives the address back. CUDA memory must belong to the device's primary
     * context (the runtime API's, which Tessera shares).
     */
    public static Tensor fromDevicePointer(long address, long bytes, Device device, DType dtype, long... shape) {
        checkFits(dtype, shape, contiguousStrides(shape), bytes, "a device allocation");
        Device d = device.require();
        return new Tensor(new Storage(d.backendImpl().wrapDevice(d.index(), address, Math.max(1, bytes))), d, dtype, shape.clone(), contiguousStrides(shape), 0);
    }

    private static void checkFits(DType dtype, long[] shape, long[] strides, long bytes, String what) {
        if (shape.length != strides.length) throw new IllegalArgumentException(shape.length + " dimensions and " + strides.length + " strides");
        long last = 0;
        for (int d = 0; d < shape.length; d++) {
            if (strides[d] < 0) throw new IllegalArgumentException("negative stride " + strides[d] + " in " + Arrays.toString(strides));
            if (shape[d] == 0) return;
            last += (shape[d] - 1) * strides[d];
        }
        long need = numel(shape) == 0 ? 0 : (last + 1) * dtype.byteSize();
        if (need > bytes) {
            throw new IllegalArgumentException(dtype + Arrays.toString(shape) + " with strides " + Arrays.toString(strides) + " needs "
                    + need + " bytes, " + what + " of " + bytes + " bytes is too small");
        }
    }

    /** Integers stored exactly (wrapped to {@code dtype}). */
    public static Tensor fromLongs(long[] values, DType dtype, Device device, long... shape) {
        long[] s = shape.length == 0 ? new long[] {values.length} : shape;
        if (numel(s) != values.length) {
            throw new IllegalArgumentException(values.length + " values do not fill a tensor of shape " + Arrays.toString(s));
        }
        Tensor t = empty(dtype, device, s);
        try (Arena arena = Arena.ofConfined()) {
            long bytes = values.length * (long) dtype.byteSize();
            MemorySegment host = arena.allocate(Math.max(1, bytes), 16);
            for (int i = 0; i < values.length; i++) HostCodec.putLong(host, (long) i * dtype.byteSize(), dtype, values[i]);
            t.device.backendImpl().copyIn(host, t.storage.buffer, 0, bytes);
        }
        return t;
    }

    /** Uniform values in [0, 1), reproducible from the seed. */
    public static Tensor rand(DType dtype, long seed, Device device, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[hostLength("rand", shape)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextDouble();
        return from(v, dtype, device, shape);
    }

    /** Standard normal values, reproducible from the seed. */
    public static Tensor randn(DType dtype, long seed, Device device, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[hostLength("randn", shape)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return from(v, dtype, device, shape);
    }

    /** Uniform integers in [low, high), reproducible from the seed. */
    public static Tensor randint(DType dtype, long seed, long low, long high, Device device, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] v = new long[hostLength("randint", shape)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextLong(low, high);
        return fromLongs(v, dtype, device, shape);
    }

    // ------------------------------------------------------------------ properties

    public DType dtype() { return dtype; }

    public Device device() { return device; }

    public long[] shape() { return shape.clone(); }

    public long shape(int dim) { return shape[dimension("shape", dim)]; }

    public long[] strides() { return strides.clone(); }

    public long stride(int dim) { return strides[dimension("stride", dim)]; }

    public int rank() { return shape.length; }

    public long numel() { return numel(shape); }

    /**
     * The device address of element [0, 0, ...]: what a kernel receives for this tensor. On a GPU it
     * is the real device pointer, to hand to another library (valid while this tensor is open). On
     * the CPU it is a checked handle into Tessera's table of buffers, not a host address, and a
     * view has an address of its own, whose accesses are checked against the view's elements (so
     * it is not its base's address plus the offset; {@link #byteOffset()} is that offset).
     */
    public long dataPointer() {
        checkOpen();
        return view.address(this);
    }

    /** Where element [0, 0, ...] lies in {@link #buffer()}, in bytes. */
    public long byteOffset() { return offset * dtype.byteSize(); }

    /** The elements from the first to the last this tensor covers (strides are never negative); 0 when empty. */
    private long spanElements() {
        long span = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) return 0;
            span += (shape[d] - 1) * strides[d];
        }
        return span;
    }

    /**
     * The bytes of device memory held by tensors on every device: those still open, and those
     * unreachable but not yet collected. Closing tensors when done keeps it low without waiting for
     * the collector.
     */
    public static long liveBytes() { return LiveMemory.total(); }

    /** As {@link #liveBytes()}, on one device. */
    public static long liveBytes(Device device) { return LiveMemory.of(device).live(); }

    /**
     * The most bytes tensors held on the device at once since {@link #resetPeakBytes} (or since the
     * start), as {@code torch.cuda.max_memory_allocated} counts: what a call needs beyond what was
     * live before it is its peak less that, temporaries included.
     */
    public static long peakBytes(Device device) { return LiveMemory.of(device).peak(); }

    /** Starts {@link #peakBytes}'s count again from what is live now ({@code torch.cuda.reset_peak_memory_stats}). */
    public static void resetPeakBytes(Device device) { LiveMemory.of(device).resetPeak(); }

    public boolean isContiguous() { return Arrays.equals(strides, contiguousStrides(shape)); }

    public Buffer buffer() { return storage.buffer; }

    // ------------------------------------------------------------------ views

    /** The same elements under a new shape (contiguous tensors only; one dimension may be -1). */
    public Tensor view(long... newShape) {
        if (!isContiguous()) throw new IllegalStateException("view needs a contiguous tensor; call contiguous() first");
        long[] s = newShape.clone();
        int free = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1 && free < 0) {
                free = i;
            } else if (s[i] < 0) {
                throw new IllegalArgumentException("cannot view " + describe() + " as " + Arrays.toString(newShape)
                        + ": dimension " + i + " is " + s[i] + (s[i] == -1 ? " and only one dimension may be -1" : ""));
            } else {
                known = Math.multiplyExact(known, s[i]);
            }
        }
        if (free >= 0) {
            // with a 0 among the known dimensions every size fits the -1, so there is nothing to infer
            if (known == 0) {
                throw new IllegalArgumentException("cannot view " + describe() + " as " + Arrays.toString(newShape)
                        + ": the -1 is ambiguous next to a dimension of size 0");
            }
            s[free] = numel() / known;
        }
        if (numel(s) != numel()) {
            throw new IllegalArgumentException("cannot view " + describe() + " (" + numel() + " elements) as " + Arrays.toString(newShape));
        }
        return share(dtype, s, contiguousStrides(s), offset);
    }

    /** Swaps two dimensions (no copy). */
    public Tensor transpose(int a, int b) {
        a = dimension("transpose", a);
        b = dimension("transpose", b);
        long[] s = shape.clone(), st = strides.clone();
        s[a] = shape[b];
        s[b] = shape[a];
        st[a] = strides[b];
        st[b] = strides[a];
        return share(dtype, s, st, offset);
    }

    /**
     * Dimension {@code dim} split into dimensions of {@code sizes}, whose product must be its size
     * (no copy, any strides: torch's {@code unflatten}); [rows, 4096] with row stride s unflattened
     * at 1 into (16, 256) is [rows, 16, 256] with strides (s, 256, 1).
     */
    public Tensor unflatten(int dim, long... sizes) {
        dim = dimension("unflatten", dim);
        long product = 1;
        for (long z : sizes) {
            if (z < 0) throw new IllegalArgumentException("unflatten " + describe() + " into " + Arrays.toString(sizes) + ": a size below 0");
            product = Math.multiplyExact(product, z);
        }
        if (sizes.length == 0 || product != shape[dim]) {
            throw new IllegalArgumentException("unflatten dimension " + dim + " of " + describe() + " (" + shape[dim] + ") into " + Arrays.toString(sizes)
                    + ": the sizes must multiply to it");
        }
        long[] s = new long[shape.length - 1 + sizes.length], st = new long[s.length];
        for (int i = 0, o = 0; i < shape.length; i++) {
            if (i != dim) {
                s[o] = shape[i];
                st[o++] = strides[i];
                continue;
            }
            long inner = strides[i];
            for (int k = sizes.length - 1; k >= 0; k--) {
                s[o + k] = sizes[k];
                st[o + k] = inner;
                inner *= sizes[k];
            }
            o += sizes.length;
        }
        return share(dtype, s, st, offset);
    }

    /** Elements [start, end) along {@code dim} (no copy). */
    public Tensor slice(int dim, long start, long end) {
        dim = dimension("slice", dim);
        if (start < 0 || end > shape[dim] || start > end) {
            throw new IllegalArgumentException("slice [" + start + ", " + end + ") of dimension " + dim + " of " + describe()
                    + ": needs 0 <= start <= end <= " + shape[dim]);
        }
        long[] s = shape.clone();
        s[dim] = end - start;
        return share(dtype, s, strides.clone(), offset + start * strides[dim]);
    }

    /**
     * The same memory read as {@code newType}, bit for bit (a bitcast view: bf16 as i16, f32 as
     * i32...), with this tensor's shape and strides; the two dtypes must have one width.
     */
    public Tensor viewAs(DType newType) {
        if (newType.byteSize() != dtype.byteSize() || (newType == DType.I1) != (dtype == DType.I1)) {
            throw new IllegalArgumentException("cannot view " + this + " as " + newType + ": a bitcast view needs a dtype of the same width ("
                    + dtype.byteSize() * 8 + " bits" + (dtype == DType.I1 || newType == DType.I1 ? "; i1 only as itself" : "") + ")");
        }
        return share(newType, shape.clone(), strides.clone(), offset);
    }

    private Tensor share(DType dt, long[] s, long[] st, long off) {
        checkOpen();
        storage.retain();
        return new Tensor(storage, device, dt, s, st, off);
    }

    /** A contiguous copy (or this tensor if already contiguous). */
    public Tensor contiguous() { return isContiguous() ? share(dtype, shape.clone(), strides.clone(), offset) : copy(); }

    // ------------------------------------------------------------------ data

    /** The elements in row-major order, converted to double. */
    public double[] toDoubleArray() {
        double[] out = new double[hostLength("toDoubleArray", shape)];
        if (dtype == DType.F64) {
            readBits(MemorySegment.ofArray(out));
            return out;
        }
        readHost((host, base) -> {
            long[] idx = new long[shape.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = HostCodec.getDouble(host, base(idx, base), dtype);
                next(idx);
            }
        });
        return out;
    }

    /** The elements in row-major order as floats: one bulk copy for f32, else converted through double. */
    public float[] toFloatArray() {
        if (dtype == DType.F32) {
            float[] out = new float[Math.toIntExact(numel())];
            readBits(MemorySegment.ofArray(out));
            return out;
        }
        double[] d = toDoubleArray();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /** The raw bits of a 16-bit dtype's elements (f16, bf16, i16, u16) in row-major order. */
    public short[] toShortArray() {
        requireWidth(2, "toShortArray");
        short[] out = new short[Math.toIntExact(numel())];
        readBits(MemorySegment.ofArray(out));
        return out;
    }

    /** The raw bits of an 8-bit dtype's elements (i1 as 0 and 1) in row-major order. */
    public byte[] toByteArray() {
        requireWidth(1, "toByteArray");
        byte[] out = new byte[Math.toIntExact(numel())];
        readBits(MemorySegment.ofArray(out));
        return out;
    }

    private void requireWidth(int bytes, String what) {
        if (dtype.byteSize() != bytes) {
            throw new IllegalArgumentException(what + " needs a dtype of " + bytes * 8 + " bits, not " + dtype + "; use viewAs or toDoubleArray");
        }
    }

    /** Copies the elements' bits, row-major, into {@code target} (exactly numel × element size bytes). */
    private void readBits(MemorySegment target) {
        int es = dtype.byteSize();
        if (numel() == 0) return;
        if (isContiguous()) {
            checkOpen();
            device.backendImpl().synchronize(device.index());
            device.backendImpl().copyOut(storage.buffer, offset * es, target, target.byteSize());
            Reference.reachabilityFence(this); // (as in write)
            return;
        }
        readHost((host, base) -> {
            long[] idx = new long[shape.length];
            for (long i = 0, n = numel(); i < n; i++) {
                MemorySegment.copy(host, base(idx, base), target, i * es, es);
                next(idx);
            }
        });
    }

    /** The elements as exact integers (sign- or zero-extended by dtype; one bulk copy for i64 and u64). */
    public long[] toLongArray() {
        long[] out = new long[hostLength("toLongArray", shape)];
        if (dtype == DType.I64 || dtype == DType.U64) {
            readBits(MemorySegment.ofArray(out));
            return out;
        }
        readHost((host, base) -> {
            long[] idx = new long[shape.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = HostCodec.getLong(host, base(idx, base), dtype);
                next(idx);
            }
        });
        return out;
    }

    /** The elements as ints: one bulk copy for i32 and u32 (u32's bits as they are), else through {@link #toLongArray}. */
    public int[] toIntArray() {
        if (dtype == DType.I32 || dtype == DType.U32) {
            int[] out = new int[Math.toIntExact(numel())];
            readBits(MemorySegment.ofArray(out));
            return out;
        }
        return Arrays.stream(toLongArray()).mapToInt(v -> (int) v).toArray();
    }

    /** Overwrites every element with {@code values} (row-major), converted to this dtype. */
    public void write(double[] values) {
        if (values.length != numel()) throw new IllegalArgumentException(values.length + " values for " + describe());
        if (!isContiguous()) throw new IllegalStateException("write needs a contiguous tensor");
        try (Arena arena = Arena.ofConfined()) {
            int es = dtype.byteSize();
            long bytes = values.length * (long) es;
            MemorySegment host = arena.allocate(Math.max(1, bytes), 16);
            for (int i = 0; i < values.length; i++) HostCodec.putDouble(host, (long) i * es, dtype, values[i]);
            device.backendImpl().copyIn(host, storage.buffer, offset * es, bytes);
        } finally {
            Reference.reachabilityFence(this); // the memory is freed once this tensor is unreachable, even mid-copy
        }
    }

    /**
     * Queues a copy of {@code source}'s bytes over this tensor's elements (row-major, native byte
     * order) on the calling thread's current stream of this tensor's device ({@link Stream#current}),
     * and may return before it is done. See {@link #copyFromAsync(MemorySegment, Stream)}.
     */
    public void copyFromAsync(MemorySegment source) { copyFromAsync(source, Stream.current(device)); }

    /**
     * Queues a copy of {@code source}'s bytes over this tensor's elements (row-major, native byte
     * order; exactly this tensor's bytes) on {@code stream}, a stream of this tensor's device, and
     * may return before it is done: {@code source} must be native memory (the collector may move a
     * heap array while the copy waits in the queue) that stays alive and unchanged until the stream
     * has passed the copy ({@link Stream#synchronize}, or an {@link Event} recorded after it). For the
     * copy to overlap other work on a GPU, {@code source} must be page-locked ({@link
     * Device#allocatePinned}); from other memory it is staged first. The tensor must be contiguous.
     * On the CPU the copy is done when this returns.
     */
    public void copyFromAsync(MemorySegment source, Stream stream) {
        long bytes = checkAsync("copyFromAsync", source, stream);
        if (bytes > 0) backend().copyInAsync(source, storage.buffer, offset * dtype.byteSize(), bytes, stream.impl());
        Reference.reachabilityFence(this); // (as in write; a backend frees memory only after the work queued on it: see close)
    }

    /** {@link #copyToAsync(MemorySegment, Stream)} on the calling thread's current stream of this tensor's device. */
    public void copyToAsync(MemorySegment target) { copyToAsync(target, Stream.current(device)); }

    /**
     * Queues a copy of this tensor's elements (row-major, native byte order) into {@code target}
     * (exactly this tensor's bytes) on {@code stream}, a stream of this tensor's device, and may
     * return before it is done: {@code target} holds the values once the stream has passed the copy
     * ({@link Stream#synchronize}, or an {@link Event} recorded after it), and must stay alive until
     * then. As for {@link #copyFromAsync(MemorySegment, Stream)}, {@code target} is native memory,
     * page-locked for overlap, and the tensor contiguous. Unlike {@link #toFloatArray()} it does not
     * wait for other streams: it reads what the work queued on {@code stream} before it (and, for a
     * stream from {@link Device#newStream()}, on the default stream) left.
     */
    public void copyToAsync(MemorySegment target, Stream stream) {
        long bytes = checkAsync("copyToAsync", target, stream);
        if (bytes > 0) backend().copyOutAsync(storage.buffer, offset * dtype.byteSize(), target, bytes, stream.impl());
        Reference.reachabilityFence(this);
    }

    /** This tensor's bytes, after the checks every asynchronous copy makes. */
    private long checkAsync(String op, MemorySegment host, Stream stream) {
        Objects.requireNonNull(host, "host memory");
        Objects.requireNonNull(stream, "stream");
        checkOpen();
        stream.requireSameDevice(device, describe());
        stream.impl();
        if (!isContiguous()) throw new IllegalStateException(op + " needs a contiguous tensor, not " + describe() + "; copy it with contiguous() first");
        long bytes = numel() * dtype.byteSize();
        if (host.byteSize() != bytes) {
            throw new IllegalArgumentException(op + ": a segment of " + host.byteSize() + " bytes for " + describe() + ", which has " + bytes + " bytes");
        }
        if (!host.isNative()) {
            throw new IllegalArgumentException(op + " needs native (off-heap) host memory, not a heap segment: the collector may move a heap "
                    + "array while the copy is queued; use Device.allocatePinned, or an Arena's memory");
        }
        return bytes;
    }

    /** Sets every element to {@code value} (NaN poisons float outputs before a test). */
    public Tensor fill(double value) {
        double[] v = new double[hostLength("fill", shape)];
        Arrays.fill(v, value);
        if (isContiguous()) {
            write(v);
        } else {
            throw new IllegalStateException("fill needs a contiguous tensor");
        }
        return this;
    }

    /** A contiguous copy on the same device. */
    public Tensor copy() { return to(device); }

    /** A contiguous copy on {@code target}. */
    public Tensor to(Device target) {
        Tensor out = empty(dtype, target, shape);
        if (isContiguous() && target.equals(device)) {
            device.backendImpl().copy(storage.buffer, offset * dtype.byteSize(), out.storage.buffer, 0, numel() * dtype.byteSize());
            Reference.reachabilityFence(this); // (as in write)
            return out;
        }
        int es = dtype.byteSize();
        readHost((host, base) -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment packed = arena.allocate(numel() * es, 16);
                long[] idx = new long[shape.length];
                for (long i = 0; i < numel(); i++) {
                    MemorySegment.copy(host, base(idx, base), packed, i * es, es);
                    next(idx);
                }
                target.backendImpl().copyIn(packed, out.storage.buffer, 0, packed.byteSize());
            }
        });
        return out;
    }

    /**
     * Ends this tensor's use of its memory, which is freed once no tensor uses it. Work already
     * queued that uses it, on any stream, still sees it: a backend frees memory only after the work
     * queued before the free (on a GPU the free waits for it).
     */
    @Override
    public void close() {
        closed = true;
        release.clean();
    }

    public boolean isClosed() { return closed || storage.buffer.isClosed(); }

    /** "Tensor(f32[3, 4], cpu: 0.5, -1.25, 2.0, …, 7.0)": the first and last few values, for printing and debuggers. */
    @Override
    public String toString() {
        String d = describe();
        String values = isClosed() ? "closed" : numel() > 1 << 20 ? null : sampleValues();
        return values == null ? d : d.substring(0, d.length() - 1) + ": " + values + ")";
    }

    /** "Tensor(f32[3, 4], cpu)", without values: for messages, which should not read device memory. */
    String describe() {
        return "Tensor(" + dtype + Arrays.toString(shape) + ", " + device + (isContiguous() ? "" : ", strided") + ")";
    }

    private String sampleValues() {
        try {
            List<String> all = new ArrayList<>();
            if (dtype.isFloat()) {
                for (double v : toDoubleArray()) all.add(dtype == DType.F64 ? Double.toString(v) : Float.toString((float) v));
            } else {
                for (long v : toLongArray()) all.add(Long.toString(v));
            }
            if (all.size() <= 6) return String.join(", ", all);
            return String.join(", ", all.subList(0, 3)) + ", …, " + String.join(", ", all.subList(all.size() - 3, all.size()));
        } catch (RuntimeException e) {
            return null; // a device in a failed state: the description alone
        }
    }

    // ------------------------------------------------------------------ helpers

    private interface HostReader { void read(MemorySegment host, long baseElement); }

    /** Copies the span of memory this tensor covers to the host and hands it to {@code reader}. */
    private void readHost(HostReader reader) {
        checkOpen();
        long lo = offset, hi = offset;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 0) return;
            long extent = (shape[d] - 1) * strides[d];
            if (extent < 0) lo += extent; else hi += extent;
        }
        int es = dtype.byteSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate((hi - lo + 1) * es, 16);
            device.backendImpl().synchronize(device.index());
            device.backendImpl().copyOut(storage.buffer, lo * es, host, host.byteSize());
            reader.read(host, offset - lo);
        }
    }

    private long base(long[] idx, long baseElement) {
        long e = baseElement;
        for (int d = 0; d < idx.length; d++) e += idx[d] * strides[d];
        return e * dtype.byteSize();
    }

    private void next(long[] idx) {
        for (int d = idx.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) return;
            idx[d] = 0;
        }
    }

    private void checkOpen() {
        if (isClosed()) throw new IllegalStateException(describe() + " is closed");
    }

    /** {@code dim} counted from the front (negative counts from the back), checked against this tensor's rank. */
    private int dimension(String op, int dim) {
        int d = dim < 0 ? dim + shape.length : dim;
        if (d < 0 || d >= shape.length) {
            throw new IllegalArgumentException(op + ": dimension " + dim + " is out of range for shape " + Arrays.toString(shape)
                    + " (rank " + shape.length + (shape.length == 0 ? ")" : ", so -" + shape.length + " to " + (shape.length - 1) + ")"));
        }
        return d;
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
        }
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than " + Long.MAX_VALUE + " elements");
            }
        }
        return n;
    }

    /** The bytes a contiguous tensor of {@code shape} occupies. */
    static long byteSize(DType dtype, long[] shape) {
        long n = numel(shape);
        if (n > Long.MAX_VALUE / dtype.byteSize()) {
            throw new IllegalArgumentException("a " + dtype + " tensor of shape " + Arrays.toString(shape) + " needs more than "
                    + Long.MAX_VALUE + " bytes");
        }
        return n * dtype.byteSize();
    }

    /** The length of a Java array holding every element of {@code shape}, which must fit in one. */
    private static int hostLength(String op, long[] shape) {
        long n = numel(shape);
        if (n > MAX_HOST_ARRAY) {
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(shape) + " has " + n
                    + " elements, more than a Java array holds (" + MAX_HOST_ARRAY + "); use a smaller shape or fill it with a kernel");
        }
        return (int) n;
    }

    /** The longest Java array the JVM reliably allocates. */
    private static final int MAX_HOST_ARRAY = Integer.MAX_VALUE - 8;

    static long[] contiguousStrides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(1, shape[i]);
        }
        return s;
    }

    /** The backend that owns this tensor's memory. */
    Backend backend() { return device.backendImpl(); }
}
