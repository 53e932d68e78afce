package dev.tessera.cpu;

import dev.tessera.ir.Op;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;

/**
 * CPU lowering of the matrix product a·b + acc: an i-k-j loop whose inner loop runs along a row of b
 * and of the result, which the JIT vectorizes. tf32 inputs are rounded first, as the tensor cores
 * see them; narrow float accumulators are rounded once at the end.
 */
final class DotRules {
    private DotRules() {}

    static Step dot(Op.Dot op, Lowering l) {
        int a = l.slot(op.a()), b = l.slot(op.b()), c = l.slot(op.acc()), r = l.slot(op.result());
        int m = op.a().type().shape().dim(0), k = op.a().type().shape().dim(1), n = op.b().type().shape().dim(1);
        DType out = l.dtype(op.result());
        boolean tf32 = op.precision() == Op.Dot.Precision.TF32;
        return switch (Storage.of(out)) {
            case FLOAT -> NarrowTypes.normalized(f -> {
                float[] x = f.floats(a), y = f.floats(b), o = f.floats(r);
                if (tf32) {
                    x = roundedTf32(x, f.floatScratch(0, x.length));
                    y = roundedTf32(y, f.floatScratch(1, y.length));
                }
                System.arraycopy(f.floats(c), 0, o, 0, m * n);
                for (int i = 0; i < m; i++) {
                    int row = i * n;
                    for (int p = 0; p < k; p++) {
                        float s = x[i * k + p];
                        int col = p * n;
                        for (int j = 0; j < n; j++) o[row + j] += s * y[col + j];
                    }
                }
            }, out, r);
            case DOUBLE -> f -> {
                double[] x = f.doubles(a), y = f.doubles(b), o = f.doubles(r);
                System.arraycopy(f.doubles(c), 0, o, 0, m * n);
                for (int i = 0; i < m; i++) {
                    for (int p = 0; p < k; p++) {
                        double s = x[i * k + p];
                        for (int j = 0; j < n; j++) o[i * n + j] += s * y[p * n + j];
                    }
                }
            };
            case INT -> f -> {
                int[] x = f.ints(a), y = f.ints(b), o = f.ints(r);
                System.arraycopy(f.ints(c), 0, o, 0, m * n);
                for (int i = 0; i < m; i++) {
                    for (int p = 0; p < k; p++) {
                        int s = x[i * k + p];
                        for (int j = 0; j < n; j++) o[i * n + j] += s * y[p * n + j];
                    }
                }
            };
            default -> throw new IllegalStateException("dot accumulating in " + out);
        };
    }

    private static float[] roundedTf32(float[] in, float[] out) {
        for (int i = 0; i < in.length; i++) out[i] = Numerics.roundTf32(in[i]);
        return out;
    }
}
