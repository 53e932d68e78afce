package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.ir.Shape;

/**
 * CPU lowering of tile construction and shape ops. Shapes are static, so each data movement is a
 * gather through an index map computed once at compile time; reshapes share their operand's array.
 */
final class ShapeRules {
    private ShapeRules() {}

    static Step arange(Op.Arange a, Lowering l) {
        l.initializeOnce(a.result(), array -> {
            int[] o = (int[]) array;
            for (int i = 0; i < o.length; i++) o[i] = a.start() + i;
        });
        return null;
    }

    static Step splat(Op.Splat s, Lowering l) {
        int x = l.slot(s.source()), r = l.slot(s.result());
        return switch (l.storage(s.result())) {
            case FLOAT -> f -> java.util.Arrays.fill(f.floats(r), f.floats(x)[0]);
            case DOUBLE -> f -> java.util.Arrays.fill(f.doubles(r), f.doubles(x)[0]);
            case INT -> f -> java.util.Arrays.fill(f.ints(r), f.ints(x)[0]);
            case LONG -> f -> java.util.Arrays.fill(f.longs(r), f.longs(x)[0]);
            case BOOL -> f -> java.util.Arrays.fill(f.bools(r), f.bools(x)[0]);
        };
    }

    /** Reshape and expand_dims keep row-major order: the result is the operand's array. */
    static Step alias(Op op, Lowering l) {
        int x = l.slot(op.operands().getFirst());
        int r = l.aliasSlot(op.result());
        return f -> f.slots[r] = f.slots[x];
    }

    static Step broadcast(Op.Broadcast b, Lowering l) {
        Shape from = b.source().type().shape(), to = b.result().type().shape();
        int[] fromStrides = from.strides();
        int[] strides = new int[to.rank()];
        for (int d = 0; d < to.rank(); d++) strides[d] = from.dim(d) == 1 ? 0 : fromStrides[d];
        return gather(l, l.slot(b.source()), l.slot(b.result()), l.storage(b.result()), indexMap(to, strides));
    }

    static Step permute(Op.Permute p, Lowering l) {
        Shape from = p.source().type().shape(), to = p.result().type().shape();
        int[] fromStrides = from.strides();
        int[] strides = new int[to.rank()];
        for (int d = 0; d < to.rank(); d++) strides[d] = fromStrides[p.order().get(d)];
        return gather(l, l.slot(p.source()), l.slot(p.result()), l.storage(p.result()), indexMap(to, strides));
    }

    /** Join interleaves: result[..., 0] = lhs, result[..., 1] = rhs. */
    static Step join(Op.Join j, Lowering l) {
        int a = l.slot(j.lhs()), b = l.slot(j.rhs()), r = l.slot(j.result());
        return f -> {
            Object o = f.slots[r], x = f.slots[a], y = f.slots[b];
            int n = java.lang.reflect.Array.getLength(x);
            for (int i = 0; i < n; i++) {
                Elements.copy(x, i, o, 2 * i);
                Elements.copy(y, i, o, 2 * i + 1);
            }
        };
    }

    static Step split(Op.Split s, Lowering l) {
        int x = l.slot(s.source()), lo = l.slot(s.results().get(0)), hi = l.slot(s.results().get(1));
        return f -> {
            Object src = f.slots[x], a = f.slots[lo], b = f.slots[hi];
            int n = java.lang.reflect.Array.getLength(a);
            for (int i = 0; i < n; i++) {
                Elements.copy(src, 2 * i, a, i);
                Elements.copy(src, 2 * i + 1, b, i);
            }
        };
    }

    /** Concatenation along dimension 0 of row-major arrays is concatenation of the arrays. */
    static Step cat(Op.Cat c, Lowering l) {
        int a = l.slot(c.lhs()), b = l.slot(c.rhs()), r = l.slot(c.result());
        return f -> {
            Object x = f.slots[a];
            int n = java.lang.reflect.Array.getLength(x);
            System.arraycopy(x, 0, f.slots[r], 0, n);
            System.arraycopy(f.slots[b], 0, f.slots[r], n, n);
        };
    }

    /** For each element of {@code shape} in row-major order, the source index under {@code strides}. */
    static int[] indexMap(Shape shape, int[] strides) {
        int n = shape.numel(), rank = shape.rank();
        int[] map = new int[n];
        int[] idx = new int[rank];
        int src = 0;
        for (int i = 0; i < n; i++) {
            map[i] = src;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                src += strides[d];
                if (idx[d] < shape.dim(d)) break;
                src -= strides[d] * idx[d];
                idx[d] = 0;
            }
        }
        return map;
    }

    private static Step gather(Lowering l, int x, int r, Storage s, int[] map) {
        return switch (s) {
            case FLOAT -> f -> { float[] a = f.floats(x), o = f.floats(r); for (int i = 0; i < o.length; i++) o[i] = a[map[i]]; };
            case DOUBLE -> f -> { double[] a = f.doubles(x), o = f.doubles(r); for (int i = 0; i < o.length; i++) o[i] = a[map[i]]; };
            case INT -> f -> { int[] a = f.ints(x), o = f.ints(r); for (int i = 0; i < o.length; i++) o[i] = a[map[i]]; };
            case LONG -> f -> { long[] a = f.longs(x), o = f.longs(r); for (int i = 0; i < o.length; i++) o[i] = a[map[i]]; };
            case BOOL -> f -> { boolean[] a = f.bools(x), o = f.bools(r); for (int i = 0; i < o.length; i++) o[i] = a[map[i]]; };
        };
    }
}
