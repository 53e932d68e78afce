package dev.tessera.semantic;

import dev.tessera.ir.Loc;

/**
 * A kernel that cannot be traced: shape or dtype misuse, a bad argument, a run-time loop left by
 * {@code break}. The message starts with the user's source line ({@code Softmax.java:42: ...}) and
 * says what to change.
 */
public final class TraceException extends RuntimeException {
    private final transient Loc loc;

    public TraceException(Loc loc, String message) {
        super(loc.isKnown() ? loc + ": " + message : message);
        this.loc = loc;
    }

    public TraceException(Loc loc, String message, Throwable cause) {
        this(loc, message);
        initCause(cause);
    }

    public Loc loc() { return loc; }
}
