package dev.tessera.ir;

import java.util.Arrays;

/** The static shape of a tile: empty for a scalar (a 0-d tile). Immutable. */
public final class Shape {
    public static final Shape SCALAR = new Shape(new int[0]);

    private final int[] dims;

    private Shape(int[] dims) { this.dims = dims; }

    public static Shape of(int... dims) {
        for (int d : dims) {
            if (d < 1) throw new IllegalArgumentException("dimension " + d + " in " + Arrays.toString(dims));
        }
        return dims.length == 0 ? SCALAR : new Shape(dims.clone());
    }

    public int rank() { return dims.length; }

    public int dim(int axis) { return dims[axis]; }

    public int[] dims() { return dims.clone(); }

    public boolean isScalar() { return dims.length == 0; }

    /** Number of elements (1 for a scalar). */
    public int numel() {
        long n = 1;
        for (int d : dims) n *= d;
        return Math.toIntExact(n);
    }

    /** Row-major strides in elements. */
    public int[] strides() {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    public Shape withDim(int axis, int size) {
        int[] d = dims.clone();
        d[axis] = size;
        return new Shape(d);
    }

    public Shape without(int axis) {
        int[] d = new int[dims.length - 1];
        for (int i = 0, j = 0; i < dims.length; i++) if (i != axis) d[j++] = dims[i];
        return d.length == 0 ? SCALAR : new Shape(d);
    }

    public Shape inserting(int axis, int size) {
        int[] d = new int[dims.length + 1];
        for (int i = 0, j = 0; i < d.length; i++) d[i] = i == axis ? size : dims[j++];
        return new Shape(d);
    }

    @Override
    public boolean equals(Object o) { return o instanceof Shape s && Arrays.equals(dims, s.dims); }

    @Override
    public int hashCode() { return Arrays.hashCode(dims); }

    /** "[128, 64]", or "[]" for a scalar. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) sb.append(i == 0 ? "" : ", ").append(dims[i]);
        return sb.append(']').toString();
    }
}
