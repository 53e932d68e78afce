package dev.tessera.learn.puzzles.check;

/** Thrown by {@link Todo#TODO()}: the checker reports the puzzle as "not solved yet" instead of failing. */
public final class NotSolvedYet extends RuntimeException {
    public NotSolvedYet(String message) { super(message, null, false, false); }

    /** The first NotSolvedYet in {@code t}'s chain of causes, or null. */
    public static NotSolvedYet in(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof NotSolvedYet n) return n;
            if (c.getCause() == c) break;
        }
        return null;
    }
}
