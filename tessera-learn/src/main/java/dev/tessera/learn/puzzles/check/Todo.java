package dev.tessera.learn.puzzles.check;

/**
 * Marks the part of a puzzle you have not written yet: {@code TODO();} as a statement, or
 * {@code Tile offsets = TODO();} for a value you will compute. The checker sees it and reports the
 * puzzle as "not solved yet" (with this line) rather than as a failure.
 */
public final class Todo {
    private Todo() {}

    /** Stops tracing here: this part of the kernel is still to be written. */
    public static <T> T TODO() { throw new NotSolvedYet("TODO() " + where()); }

    /** The same, saying what is missing. */
    public static <T> T TODO(String what) { throw new NotSolvedYet("TODO(\"" + what + "\") " + where()); }

    private static String where() {
        return StackWalker.getInstance().walk(s -> s.skip(2).findFirst()
                .map(f -> "at " + f.getFileName() + ":" + f.getLineNumber()).orElse(""));
    }
}
