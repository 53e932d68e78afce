package dev.tessera.runtime;

import dev.tessera.types.DType;
import java.util.Arrays;

/**
 * Not a test: times {@code Tensor.of(float[])} and {@code toFloatArray()} on the CPU against a
 * plain {@code float[].clone()} of the same size, and the old path through {@code double[]} for
 * comparison. Figures of record are in bench/NOTES.md. Run from tessera-core after a build:
 * {@code java -cp target/classes:target/test-classes dev.tessera.runtime.BulkCopyMeasurement [floats] [repeats]}
 */
final class BulkCopyMeasurement {
    private BulkCopyMeasurement() {}

    interface Body { Object run(); }

    /** The median of {@code repeats} runs, in milliseconds, after two warm-up runs. */
    static double median(int repeats, Body body) {
        double[] ms = new double[repeats];
        Object keep = null;
        for (int i = -2; i < repeats; i++) {
            long t0 = System.nanoTime();
            keep = body.run();
            long t1 = System.nanoTime();
            if (keep instanceof Tensor t) t.close();
            if (i >= 0) ms[i] = (t1 - t0) / 1e6;
        }
        Arrays.sort(ms);
        if (keep == null) throw new AssertionError();
        return ms[repeats / 2];
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 16 << 20;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i * 0.25f;
        Device cpu = Device.cpu();
        try (Tensor t = Tensor.of(v, cpu)) {
            double clone = median(repeats, v::clone);
            double of = median(repeats, () -> Tensor.of(v, cpu));
            double to = median(repeats, t::toFloatArray);
            double oldOf = median(Math.min(repeats, 3), () -> {
                double[] d = new double[n];
                for (int i = 0; i < n; i++) d[i] = v[i];
                return Tensor.from(d, DType.F32, cpu);
            });
            double oldTo = median(Math.min(repeats, 3), () -> {
                double[] d = t.toDoubleArray();
                float[] f = new float[n];
                for (int i = 0; i < n; i++) f[i] = (float) d[i];
                return f;
            });
            System.out.printf("%d floats (%d MiB), median of %d, %d cores%n", n, 4L * n >> 20, repeats, Runtime.getRuntime().availableProcessors());
            System.out.printf("float[].clone()          %8.1f ms%n", clone);
            System.out.printf("Tensor.of(float[])       %8.1f ms  (%.2f x clone)%n", of, of / clone);
            System.out.printf("toFloatArray()           %8.1f ms  (%.2f x clone)%n", to, to / clone);
            System.out.printf("before: via double[] in  %8.1f ms%n", oldOf);
            System.out.printf("before: via double[] out %8.1f ms%n", oldTo);
        }
    }
}
