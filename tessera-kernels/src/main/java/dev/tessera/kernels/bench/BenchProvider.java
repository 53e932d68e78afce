package dev.tessera.kernels.bench;

/**
 * One implementation that the kernel benchmarks can time: {@code "tessera"} and {@code "java"}
 * here; a GPU module adds {@code "torch"}, {@code "triton"} or {@code "cublas"} by implementing this
 * interface and listing the class in
 * {@code META-INF/services/dev.tessera.kernels.bench.BenchProvider} — {@link BenchProviders} finds it,
 * and {@code tessera bench} offers it with no other change.
 */
public interface BenchProvider {

    /** The name in tables, legends and {@code --providers}, e.g. {@code "cublas"}. */
    String name();

    /** A line for {@code tessera bench --list}. */
    default String description() { return name(); }

    /**
     * Null when this provider can run {@code problem} (its kernel, dtype and device); otherwise why
     * not, e.g. {@code "the plain Java provider computes in f32 only"}.
     */
    String unsupported(Problem problem);

    /**
     * Allocates and fills the inputs for one problem, outside any timed region, and returns the
     * work to time. Tuning, compiling and first-touch belong here too.
     */
    Workload prepare(Problem problem);
}
