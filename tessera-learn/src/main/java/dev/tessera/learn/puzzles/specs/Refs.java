package dev.tessera.learn.puzzles.specs;

/** Float64 references shared by several puzzles. */
final class Refs {
    private Refs() {}

    /** c = a·b for row-major a [m, k], b [k, n], c [m, n] (from offsets in each array). */
    static void matmul(double[] a, int aOff, double[] b, int bOff, double[] c, int cOff, int m, int n, int k) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[aOff + i * k + p] * b[bOff + p * n + j];
                c[cOff + i * n + j] = s;
            }
        }
    }

    static void matmul(double[] a, double[] b, double[] c, int m, int n, int k) { matmul(a, 0, b, 0, c, 0, m, n, k); }
}
