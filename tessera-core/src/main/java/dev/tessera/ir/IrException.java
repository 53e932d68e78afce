package dev.tessera.ir;

/** Malformed IR: a compiler bug (the tracer never emits it) or a broken pass. Names the op's source line. */
public final class IrException extends RuntimeException {
    public IrException(Loc loc, String message) { super(loc + ": " + message); }
}
