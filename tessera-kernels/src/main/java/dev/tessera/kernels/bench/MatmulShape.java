package dev.tessera.kernels.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One matmul problem, C[M, N] = A[M, K]·B[K, N], as {@code tessera bench matmul --shapes} and the
 * named sweeps ({@code --sweep}) give it; printed and parsed as {@code MxNxK}, the form results
 * records and bench/peers/peers.py use for the shape.
 */
public record MatmulShape(long m, long n, long k) {

    public MatmulShape {
        if (m < 1 || n < 1 || k < 1) throw new IllegalArgumentException("matmul shape " + m + "x" + n + "x" + k + " has a dimension below 1");
    }

    /** The FLOPs of one product: 2·M·N·K. */
    public double flops() { return 2.0 * m * n * k; }

    public long[] dims() { return new long[] {m, n, k}; }

    @Override
    public String toString() { return m + "x" + n + "x" + k; }

    /** Shapes written {@code MxNxK}, comma-separated, e.g. {@code 4096x4096x4096,64x11008x4096}. */
    public static List<MatmulShape> parseList(String text) {
        List<MatmulShape> out = new ArrayList<>();
        for (String item : text.split(",")) {
            String s = item.strip().toLowerCase(Locale.ROOT);
            if (s.isEmpty()) continue;
            String[] p = s.split("x");
            if (p.length != 3) throw new IllegalArgumentException("bad matmul shape '" + item.strip() + "': write MxNxK, e.g. 4096x4096x4096");
            try {
                out.add(new MatmulShape(Long.parseLong(p[0].strip()), Long.parseLong(p[1].strip()), Long.parseLong(p[2].strip())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad matmul shape '" + item.strip() + "': write MxNxK with whole numbers, e.g. 4096x4096x4096");
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("no matmul shapes in '" + text + "'");
        return out;
    }

    /** Square problems M = N = K of 1024, 4096 and 8192. */
    public static final List<MatmulShape> SQUARE = List.of(new MatmulShape(1024, 1024, 1024), new MatmulShape(4096, 4096, 4096),
            new MatmulShape(8192, 8192, 8192));

    /**
     * The linear layers of a Llama-style LLM (hidden 4096, MLP 11008, vocabulary 128256) at token
     * counts M of 64, 128, 512 and 4096: for each M, (N, K) of (4096, 4096) for attention
     * projections, (11008, 4096) up/gate, (4096, 11008) down and (128256, 4096) the LM head.
     */
    public static final List<MatmulShape> LLM = llm();

    private static List<MatmulShape> llm() {
        List<MatmulShape> out = new ArrayList<>();
        long[][] nk = {{4096, 4096}, {11008, 4096}, {4096, 11008}, {128256, 4096}};
        for (long m : new long[] {64, 128, 512, 4096}) for (long[] p : nk) out.add(new MatmulShape(m, p[0], p[1]));
        return List.copyOf(out);
    }

    /** The named sweep: {@code square} or {@code llm}. */
    public static List<MatmulShape> sweep(String name) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "square" -> SQUARE;
            case "llm" -> LLM;
            default -> throw new IllegalArgumentException("no matmul sweep named '" + name + "'; choose square (1024^3, 4096^3, 8192^3) or llm "
                    + "(M in 64, 128, 512, 4096 by (N, K) in (4096, 4096), (11008, 4096), (4096, 11008), (128256, 4096))");
        };
    }
}
