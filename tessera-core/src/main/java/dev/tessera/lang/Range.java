package dev.tessera.lang;

import dev.tessera.semantic.ControlFlow;
import dev.tessera.semantic.TraceContext;
import dev.tessera.semantic.TraceException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A run-time loop, written as a Java for-each: the body is traced once, with the induction variable
 * as a symbolic tile. Opening happens at the first {@code hasNext()}, closing at the second, so a
 * {@code break} or {@code return} inside the body leaves the loop open and is reported.
 */
final class Range implements Iterable<Tile> {
    private final Object lower, upper, step;
    private boolean used;

    Range(Object lower, Object upper, Object step) {
        this.lower = lower;
        this.upper = upper;
        this.step = step;
    }

    @Override
    public Iterator<Tile> iterator() {
        if (used) {
            throw new TraceException(TraceContext.current().loc(), "a range(...) can be iterated only once; call range again");
        }
        used = true;
        return new Iterator<>() {
            private ControlFlow.ForLoop open;
            private boolean handedOut, closed;

            @Override
            public boolean hasNext() {
                if (closed) return false;
                if (open == null) {
                    open = ControlFlow.openFor(lower, upper, step);
                    return true;
                }
                ControlFlow.closeFor(open);
                closed = true;
                return false;
            }

            @Override
            public Tile next() {
                if (open == null || handedOut || closed) throw new NoSuchElementException();
                handedOut = true;
                return Tile.wrap(open.inductionVariable());
            }
        };
    }

    static Object unwrap(Object o) { return o instanceof Tile t ? t.value() : o; }
}
