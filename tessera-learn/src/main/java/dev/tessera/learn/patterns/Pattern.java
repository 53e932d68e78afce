package dev.tessera.learn.patterns;

import dev.tessera.runtime.Device;
import java.io.PrintStream;
import java.util.List;

/** A runnable pattern: its name, what it shows, and how to run it at a default or quick size. */
public record Pattern(String name, String title, Class<?> source, Body body) {

    @FunctionalInterface
    public interface Body {
        /** Returns whether every variant matched its reference. */
        boolean run(PrintStream out, Device device, boolean quick);
    }

    public boolean run(PrintStream out, Device device, boolean quick) { return body.run(out, device, quick); }

    public static List<Pattern> all() {
        return List.of(
                new Pattern("softmax", "Softmax: naive (5 kernels) vs fused vs online — bytes moved and bandwidth", SoftmaxPatterns.class,
                        (out, d, quick) -> SoftmaxPatterns.run(out, d, quick ? 256 : (d.backend().equals("cpu") ? 2048 : 8192),
                                quick ? 512 : (d.backend().equals("cpu") ? 1024 : 4096), quick)),
                new Pattern("matmul", "Matmul: naive tiled vs grouped order vs autotuned — TFLOP/s against plain Java", MatmulPatterns.class,
                        (out, d, quick) -> MatmulPatterns.run(out, d, quick ? 128 : (d.backend().equals("cpu") ? 512 : 4096), quick)));
    }

    public static Pattern get(String name) {
        for (Pattern p : all()) if (p.name().equals(name)) return p;
        throw new IllegalArgumentException("no pattern '" + name + "': " + all().stream().map(Pattern::name).toList());
    }
}
