package dev.tessera.learn.advanced;

import dev.tessera.runtime.Device;
import java.io.PrintStream;
import java.util.List;

/** A runnable chapter of the advanced section: its number, short name, title, and the code that runs it. */
public record Chapter(int number, String name, String title, Class<?> source, Body body) {

    /** What a chapter runs. {@code quick} asks for small sizes (tests, slow machines). */
    @FunctionalInterface
    public interface Body {
        void run(PrintStream out, Device device, boolean quick);
    }

    public void run(PrintStream out, Device device, boolean quick) { body.run(out, device, quick); }

    /** Every chapter, in order. */
    public static List<Chapter> all() {
        return List.of(new Chapter(1, "flash-attention", "Flash attention: tiling, the online softmax, O(N) memory, the backward pass",
                        Advanced01FlashAttention.class, Advanced01FlashAttention::run),
                new Chapter(2, "fused-training", "Fused training kernels: the bytes and the memory a fusion saves",
                        Advanced02FusedTraining.class, Advanced02FusedTraining::run),
                new Chapter(3, "quantization", "Quantization: formats, scales, and why a 4-bit GEMV is faster",
                Advanced03Quantization.class, Advanced03Quantization::run));
    }

    /** By number or name. */
    public static Chapter get(String numberOrName) {
        for (Chapter c : all()) if (String.valueOf(c.number()).equals(numberOrName) || c.name().equals(numberOrName)) return c;
        throw new IllegalArgumentException("no advanced chapter '" + numberOrName + "': " + all().stream().map(c -> c.number() + " " + c.name()).toList());
    }
}
