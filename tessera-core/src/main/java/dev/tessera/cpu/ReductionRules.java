package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.ir.Op.Reduce;
import dev.tessera.ir.Shape;
import dev.tessera.types.DType;
import java.util.Arrays;

/**
 * CPU lowering of reductions, scans, sorts and histograms. A tile is seen as [outer, n, inner] around the axis.
 * Floats accumulate in double and round once to their dtype, which the GPU matches to within a
 * rounding error (its order of additions differs).
 */
final class ReductionRules {
    private ReductionRules() {}

    /** The [outer, n, inner] view of a shape around an axis. */
    record Axis(int outer, int n, int inner) {
        static Axis of(Shape s, int axis) {
            int outer = 1, inner = 1;
            for (int d = 0; d < axis; d++) outer *= s.dim(d);
            for (int d = axis + 1; d < s.rank(); d++) inner *= s.dim(d);
            return new Axis(outer, s.dim(axis), inner);
        }
    }

    static Step reduce(Reduce op, Lowering l) {
        int x = l.slot(op.input()), r = l.slot(op.result());
        Axis ax = Axis.of(op.input().type().shape(), op.axis());
        DType t = l.dtype(op.input());
        if (op.kind() == Reduce.Kind.CUSTOM) {
            Combiner c = Combiner.of(op.combine(), l);
            return f -> {
                Object in = f.slots[x], out = f.slots[r];
                Combiner.State s = c.state(f);
                for (int o = 0; o < ax.outer(); o++) {
                    for (int k = 0; k < ax.inner(); k++) {
                        int base = o * ax.n() * ax.inner() + k;
                        s.load(in, base);
                        for (int j = 1; j < ax.n(); j++) s.combineWith(in, base + j * ax.inner());
                        s.store(out, o * ax.inner() + k);
                    }
                }
            };
        }
        Storage st = Storage.of(t);
        if (st == Storage.FLOAT && ax.inner() == 1 && (op.kind() == Reduce.Kind.SUM || op.kind() == Reduce.Kind.MAX)) {
            return rowReduce(op.kind() == Reduce.Kind.SUM, t, x, r, ax);
        }
        if (st == Storage.FLOAT || st == Storage.DOUBLE) return floatReduce(op.kind(), t, x, r, ax);
        return intReduce(op.kind(), t, x, r, ax);
    }

    /** The common case of softmax and norms: sum or max along contiguous rows of floats. */
    private static Step rowReduce(boolean sum, DType t, int x, int r, Axis ax) {
        int n = ax.n();
        return sum ? f -> {
            float[] in = f.floats(x), out = f.floats(r);
            for (int o = 0; o < ax.outer(); o++) {
                double acc = 0;
                for (int j = o * n, end = j + n; j < end; j++) acc += in[j];
                out[o] = NarrowTypes.round((float) acc, t);
            }
        } : f -> {
            float[] in = f.floats(x), out = f.floats(r);
            for (int o = 0; o < ax.outer(); o++) {
                float acc = in[o * n];
                for (int j = o * n + 1, end = o * n + n; j < end; j++) acc = ElementwiseRules.fmax(acc, in[j]);
                out[o] = acc;
            }
        };
    }

    private static Step floatReduce(Reduce.Kind kind, DType t, int x, int r, Axis ax) {
        return f -> {
            Object in = f.slots[x], out = f.slots[r];
            for (int o = 0; o < ax.outer(); o++) {
                for (int k = 0; k < ax.inner(); k++) {
                    int base = o * ax.n() * ax.inner() + k, stride = ax.inner();
                    double acc = Elements.getDouble(in, base);
                    int arg = 0;
                    for (int j = 1; j < ax.n(); j++) {
                        double v = Elements.getDouble(in, base + j * stride);
                        switch (kind) {
                            case SUM -> acc += v;
                            case PROD -> acc *= v;
                            case MAX -> acc = ElementwiseRules.fmax(acc, v);
                            case MIN -> acc = ElementwiseRules.fmin(acc, v);
                            // torch's rule: a NaN beats every number and the first NaN stays
                            case ARGMAX -> { if (acc == acc && (v > acc || v != v)) { acc = v; arg = j; } }
                            case ARGMIN -> { if (acc == acc && (v < acc || v != v)) { acc = v; arg = j; } }
                            default -> throw new IllegalStateException(kind + " on floats");
                        }
                    }
                    int at = o * ax.inner() + k;
                    if (kind == Reduce.Kind.ARGMAX || kind == Reduce.Kind.ARGMIN) ((int[]) out)[at] = arg;
                    else if (out instanceof double[] d) d[at] = acc;
                    else ((float[]) out)[at] = NarrowTypes.round((float) acc, t);
                }
            }
        };
    }

    private static Step intReduce(Reduce.Kind kind, DType t, int x, int r, Axis ax) {
        boolean unsigned = t.isUnsigned();
        return f -> {
            Object in = f.slots[x], out = f.slots[r];
            for (int o = 0; o < ax.outer(); o++) {
                for (int k = 0; k < ax.inner(); k++) {
                    int base = o * ax.n() * ax.inner() + k, stride = ax.inner();
                    long acc = Elements.getLong(in, base, t);
                    int arg = 0;
                    for (int j = 1; j < ax.n(); j++) {
                        long v = Elements.getLong(in, base + j * stride, t);
                        int cmp = unsigned ? Long.compareUnsigned(v, acc) : Long.compare(v, acc);
                        switch (kind) {
                            case SUM -> acc += v;
                            case PROD -> acc *= v;
                            case MAX -> { if (cmp > 0) acc = v; }
                            case MIN -> { if (cmp < 0) acc = v; }
                            case AND -> acc &= v;
                            case OR -> acc |= v;
                            case XOR -> acc ^= v;
                            case ARGMAX -> { if (cmp > 0) { acc = v; arg = j; } }
                            case ARGMIN -> { if (cmp < 0) { acc = v; arg = j; } }
                            default -> throw new IllegalStateException(kind.name());
                        }
                    }
                    int at = o * ax.inner() + k;
                    if (kind == Reduce.Kind.ARGMAX || kind == Reduce.Kind.ARGMIN) ((int[]) out)[at] = arg;
                    else Elements.setLong(out, at, t.isBool() ? acc & 1 : dev.tessera.types.Numerics.wrap(acc, t));
                }
            }
        };
    }

    static Step scan(Op.Scan op, Lowering l) {
        int x = l.slot(op.input()), r = l.slot(op.result());
        Axis ax = Axis.of(op.input().type().shape(), op.axis());
        DType t = l.dtype(op.input());
        boolean reverse = op.reverse();
        Combiner custom = op.kind() == Reduce.Kind.CUSTOM ? Combiner.of(op.combine(), l) : null;
        Reduce.Kind kind = op.kind();
        return f -> {
            Object in = f.slots[x], out = f.slots[r];
            Combiner.State s = custom == null ? null : custom.state(f);
            for (int o = 0; o < ax.outer(); o++) {
                for (int k = 0; k < ax.inner(); k++) {
                    int base = o * ax.n() * ax.inner() + k, stride = ax.inner();
                    int first = reverse ? ax.n() - 1 : 0, step = reverse ? -1 : 1;
                    if (s != null) {
                        s.load(in, base + first * stride);
                        s.store(out, base + first * stride);
                        for (int j = first + step; j >= 0 && j < ax.n(); j += step) {
                            s.combineWith(in, base + j * stride);
                            s.store(out, base + j * stride);
                        }
                    } else if (t.isFloat()) {
                        double acc = 0;
                        for (int c = 0, j = first; c < ax.n(); c++, j += step) {
                            double v = Elements.getDouble(in, base + j * stride);
                            acc = c == 0 ? v : switch (kind) {
                                case SUM -> acc + v;
                                case PROD -> acc * v;
                                case MAX -> ElementwiseRules.fmax(acc, v);
                                case MIN -> ElementwiseRules.fmin(acc, v);
                                default -> throw new IllegalStateException(kind.name());
                            };
                            int at = base + j * stride;
                            if (out instanceof double[] d) d[at] = acc;
                            else ((float[]) out)[at] = NarrowTypes.round((float) acc, t);
                        }
                    } else {
                        long acc = 0;
                        for (int c = 0, j = first; c < ax.n(); c++, j += step) {
                            long v = Elements.getLong(in, base + j * stride, t);
                            int cmp = t.isUnsigned() ? Long.compareUnsigned(v, acc) : Long.compare(v, acc);
                            acc = c == 0 ? v : switch (kind) {
                                case SUM -> acc + v;
                                case PROD -> acc * v;
                                case MAX -> cmp > 0 ? v : acc;
                                case MIN -> cmp < 0 ? v : acc;
                                case AND -> acc & v;
                                case OR -> acc | v;
                                case XOR -> acc ^ v;
                                default -> throw new IllegalStateException(kind.name());
                            };
                            Elements.setLong(out, base + j * stride, t.isBool() ? acc & 1 : dev.tessera.types.Numerics.wrap(acc, t));
                        }
                    }
                }
            }
        };
    }

    /** A tuple reduced together: each line's elements combined in order, as a custom reduce. */
    static Step reduceTuple(Op.ReduceTuple op, Lowering l) {
        int[] x = slots(op.inputs(), l), r = slots(op.results(), l);
        Axis ax = Axis.of(op.inputs().getFirst().type().shape(), op.axis());
        Combiner c = Combiner.of(op.combine(), l);
        return f -> {
            Object[] in = frameSlots(f, x), out = frameSlots(f, r);
            Combiner.State s = c.state(f);
            for (int o = 0; o < ax.outer(); o++) {
                for (int k = 0; k < ax.inner(); k++) {
                    int base = o * ax.n() * ax.inner() + k;
                    s.load(in, base);
                    for (int j = 1; j < ax.n(); j++) s.combineWith(in, base + j * ax.inner());
                    s.store(out, o * ax.inner() + k);
                }
            }
        };
    }

    /** A tuple scanned together, sequentially in scan order. */
    static Step scanTuple(Op.ScanTuple op, Lowering l) {
        int[] x = slots(op.inputs(), l), r = slots(op.results(), l);
        Axis ax = Axis.of(op.inputs().getFirst().type().shape(), op.axis());
        Combiner c = Combiner.of(op.combine(), l);
        boolean reverse = op.reverse();
        return f -> {
            Object[] in = frameSlots(f, x), out = frameSlots(f, r);
            Combiner.State s = c.state(f);
            for (int o = 0; o < ax.outer(); o++) {
                for (int k = 0; k < ax.inner(); k++) {
                    int base = o * ax.n() * ax.inner() + k, stride = ax.inner();
                    int first = reverse ? ax.n() - 1 : 0, step = reverse ? -1 : 1;
                    s.load(in, base + first * stride);
                    s.store(out, base + first * stride);
                    for (int j = first + step; j >= 0 && j < ax.n(); j += step) {
                        s.combineWith(in, base + j * stride);
                        s.store(out, base + j * stride);
                    }
                }
            }
        };
    }

    private static int[] slots(java.util.List<dev.tessera.ir.Value> vs, Lowering l) { return vs.stream().mapToInt(l::slot).toArray(); }

    private static Object[] frameSlots(ExecFrame f, int[] slots) {
        Object[] o = new Object[slots.length];
        for (int i = 0; i < slots.length; i++) o[i] = f.slots[slots[i]];
        return o;
    }

    static Step sort(Op.Sort op, Lowering l) {
        int x = l.slot(op.source()), r = l.slot(op.result());
        Shape s = op.source().type().shape();
        int n = s.dim(s.rank() - 1), rows = s.numel() / n;
        boolean descending = op.descending();
        DType t = l.dtype(op.source());
        return f -> {
            Object in = f.slots[x], out = f.slots[r];
            System.arraycopy(in, 0, out, 0, rows * n);
            for (int row = 0; row < rows; row++) {
                int from = row * n, to = from + n;
                switch (out) {
                    case float[] a -> Arrays.sort(a, from, to);
                    case double[] a -> Arrays.sort(a, from, to);
                    case int[] a -> {
                        if (t == DType.U32) { for (int i = from; i < to; i++) a[i] ^= Integer.MIN_VALUE; }
                        Arrays.sort(a, from, to);
                        if (t == DType.U32) { for (int i = from; i < to; i++) a[i] ^= Integer.MIN_VALUE; }
                    }
                    case long[] a -> {
                        if (t == DType.U64) { for (int i = from; i < to; i++) a[i] ^= Long.MIN_VALUE; }
                        Arrays.sort(a, from, to);
                        if (t == DType.U64) { for (int i = from; i < to; i++) a[i] ^= Long.MIN_VALUE; }
                    }
                    case boolean[] a -> {
                        int falses = 0;
                        for (int i = from; i < to; i++) if (!a[i]) falses++;
                        for (int i = from; i < to; i++) a[i] = i - from >= falses;
                    }
                    default -> throw new IllegalStateException();
                }
                if (descending) reverse(out, from, to);
            }
        };
    }

    /** Counts into the result; values outside [0, bins), which unsigned types read as large, count nowhere. */
    static Step histogram(Op.Histogram op, Lowering l) {
        int x = l.slot(op.source()), r = l.slot(op.result());
        int n = op.source().type().numel(), bins = op.bins();
        DType t = l.dtype(op.source());
        return f -> {
            Object in = f.slots[x];
            int[] counts = f.ints(r);
            Arrays.fill(counts, 0);
            for (int i = 0; i < n; i++) {
                long v = Elements.getLong(in, i, t);
                if (v >= 0 && v < bins) counts[(int) v]++;
            }
        };
    }

    private static void reverse(Object a, int from, int to) {
        for (int i = from, j = to - 1; i < j; i++, j--) {
            Object tmp = java.lang.reflect.Array.get(a, i);
            java.lang.reflect.Array.set(a, i, java.lang.reflect.Array.get(a, j));
            java.lang.reflect.Array.set(a, j, tmp);
        }
    }
}
