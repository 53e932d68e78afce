package dev.tessera.learn.puzzles.check;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One instance of a puzzle at one size: its named tensors (inputs filled with seeded random values,
 * outputs poisoned so that elements a kernel never writes show up), the float64 copies of the
 * inputs the reference reads, and the arrays the reference fills with the expected outputs.
 */
public final class Problem implements AutoCloseable {
    /** What every output element holds before the kernel runs. */
    public static final double POISON = Double.NaN;
    public static final long INT_POISON = Integer.MIN_VALUE;

    /**
     * A named tensor of the problem. {@code base} is the whole allocation: the tensor itself, or for
     * a padded input the wider tensor it is a view of (pictures draw the base, padding included).
     */
    public record Entry(String name, Tensor tensor, Tensor base, boolean output, double[] host, double[] expected) {
        public long[] shape() { return tensor.shape(); }

        public DType dtype() { return tensor.dtype(); }
    }

    private final Size size;
    private final Device device;
    private final SplittableRandom random;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    public Problem(Size size, Device device, long seed) {
        this.size = size;
        this.device = device;
        this.random = new SplittableRandom(seed);
    }

    public Size size() { return size; }

    public Device device() { return device; }

    /** A dimension of this size, e.g. {@code dim("N")}. */
    public int dim(String name) { return size.get(name); }

    /** An input of standard normal values. */
    public Tensor randn(String name, DType dtype, long... shape) {
        double[] v = new double[count(shape)];
        for (int i = 0; i < v.length; i++) v[i] = random.nextGaussian();
        return input(name, dtype, v, shape);
    }

    /** An input of uniform values in [lo, hi). */
    public Tensor uniform(String name, DType dtype, double lo, double hi, long... shape) {
        double[] v = new double[count(shape)];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * random.nextDouble();
        return input(name, dtype, v, shape);
    }

    /** An input of uniform integers in [lo, hi). */
    public Tensor ints(String name, DType dtype, long lo, long hi, long... shape) {
        long[] v = new long[count(shape)];
        for (int i = 0; i < v.length; i++) v[i] = random.nextLong(lo, hi);
        return intInput(name, dtype, v, shape);
    }

    /**
     * A 2-D input of standard normal values whose rows are {@code stride} elements apart
     * ({@code stride >= cols}): a view of the first {@code cols} columns of a [rows, stride] tensor,
     * as a slice of a bigger matrix would be. Kernels must use the row stride, not the width.
     */
    public Tensor randnRows(String name, DType dtype, int rows, int cols, int stride) {
        if (stride < cols) throw new IllegalArgumentException("stride " + stride + " < cols " + cols);
        double[] v = new double[rows * stride];
        for (int i = 0; i < v.length; i++) v[i] = random.nextGaussian();
        Tensor base = Tensor.from(v, dtype, device, rows, stride);
        Tensor view = base.slice(1, 0, cols);
        return add(new Entry(name, view, base, false, view.toDoubleArray(), null));
    }

    /** An input with the given values (converted to the dtype; the host copy holds what was stored). */
    public Tensor input(String name, DType dtype, double[] values, long... shape) {
        Tensor t = Tensor.from(values, dtype, device, shape);
        return add(new Entry(name, t, t, false, t.toDoubleArray(), null));
    }

    /** An integer input with exactly these values (wrapped to the dtype). */
    public Tensor intInput(String name, DType dtype, long[] values, long... shape) {
        Tensor t = Tensor.fromLongs(values, dtype, device, shape);
        return add(new Entry(name, t, t, false, t.toDoubleArray(), null));
    }

    /** An output, poisoned (NaN, or {@link #INT_POISON} for integers) until the kernel writes it. */
    public Tensor output(String name, DType dtype, long... shape) {
        Tensor t = dtype.isFloat() ? Tensor.full(dtype, POISON, device, shape)
                : Tensor.fromLongs(filled(count(shape), INT_POISON), dtype, device, shape);
        return add(new Entry(name, t, t, true, null, new double[count(shape)]));
    }

    private static long[] filled(int n, long v) {
        long[] a = new long[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    private Tensor add(Entry e) {
        if (entries.containsKey(e.name())) throw new IllegalArgumentException("two tensors named " + e.name());
        entries.put(e.name(), e);
        return e.tensor();
    }

    /** The tensor named {@code name}. */
    public Tensor t(String name) { return entry(name).tensor(); }

    /** The float64 values of an input, as stored on the device. */
    public double[] in(String name) {
        Entry e = entry(name);
        if (e.output()) throw new IllegalArgumentException(name + " is an output");
        return e.host();
    }

    /** The array the reference fills with the expected values of an output. */
    public double[] expected(String name) {
        Entry e = entry(name);
        if (!e.output()) throw new IllegalArgumentException(name + " is an input");
        return e.expected();
    }

    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) throw new IllegalArgumentException("no tensor named " + name + " (there are " + entries.keySet() + ")");
        return e;
    }

    public List<Entry> entries() { return new ArrayList<>(entries.values()); }

    public List<Entry> outputs() { return entries.values().stream().filter(Entry::output).toList(); }

    private static int count(long[] shape) {
        long n = 1;
        for (long s : shape) n *= s;
        return Math.toIntExact(n);
    }

    @Override
    public void close() {
        for (Entry e : entries.values()) {
            e.tensor().close();
            e.base().close();
        }
    }
}
