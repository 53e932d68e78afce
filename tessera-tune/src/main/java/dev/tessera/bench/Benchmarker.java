package dev.tessera.bench;

/**
 * Something that times a piece of work: what the autotuner and sweeps take instead of calling
 * {@link Bench#doBench} directly, so that the timer, the options or (in tests) the whole
 * measurement can be swapped without touching them.
 */
@FunctionalInterface
public interface Benchmarker {

    /** Times {@code fn} and summarizes its per-call times. */
    BenchResult bench(Runnable fn);

    /** {@link Bench#doBench} with {@code options}. */
    static Benchmarker of(BenchOptions options) {
        return fn -> Bench.doBench(fn, options);
    }

    /** {@link Bench#doBench} with {@link BenchOptions#defaults()}. */
    static Benchmarker defaults() {
        return of(BenchOptions.defaults());
    }
}
