package dev.tessera.learn.puzzles.check;

import dev.tessera.learn.puzzles.specs.*;
import java.util.List;

/** Every puzzle, in order. */
public final class Puzzles {
    private Puzzles() {}

    private static final List<Puzzle> ALL = List.of(
            new Spec01VectorAdd(), new Spec02AddRelu(), new Spec03RowSum(), new Spec04Softmax(), new Spec05LayerNorm(),
            new Spec06Matmul(), new Spec07Gelu(), new Spec08OnlineMax(), new Spec09RmsNorm(), new Spec10OuterAdd(),
            new Spec11OuterAddBlocked(), new Spec12OuterMulRelu(), new Spec13OuterMulBackward(), new Spec14LongSum(),
            new Spec15LongSoftmax(), new Spec16FlashAttention(), new Spec17Conv2d(), new Spec18BatchedMatmul(),
            new Spec19QuantMatmul());

    public static List<Puzzle> all() { return ALL; }

    /** Puzzle {@code n} (1-based), or by slug. */
    public static Puzzle get(String numberOrSlug) {
        for (Puzzle p : ALL) {
            if (String.valueOf(p.number()).equals(numberOrSlug.replaceFirst("^0+(?=\\d)", "")) || p.slug().equals(numberOrSlug)) return p;
        }
        throw new IllegalArgumentException("no puzzle '" + numberOrSlug + "': there are 1 to " + ALL.size()
                + " (tessera puzzles list shows them)");
    }
}
