package dev.tessera.semantic;

/**
 * A mutable trace-time variable (the user's {@code Var}). Its value in each open region is kept in
 * that region's frame, so reading it inside a loop makes the loop carry it, and setting it inside a
 * branch makes the branch yield it.
 */
public final class Variable {
    private final String origin;

    Variable(String origin) { this.origin = origin; }

    /** Where it was created, for messages. */
    String origin() { return origin; }

    @Override
    public String toString() { return "Var created at " + origin; }
}
