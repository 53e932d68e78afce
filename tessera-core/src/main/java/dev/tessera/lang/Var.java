package dev.tessera.lang;

import dev.tessera.semantic.TraceContext;
import dev.tessera.semantic.Variable;

/**
 * A mutable tile variable for run-time control flow. Read it with {@link #get()} and update it with
 * {@link #set(Tile)}; a Var read or set inside a {@code range} loop is carried from one iteration to
 * the next, and one set inside a {@code when} branch takes the branch's value afterwards. A carried
 * Var keeps its dtype and shape.
 */
public final class Var {
    private final Variable variable;

    Var(Tile init) { this.variable = TraceContext.current().createVariable(init.value()); }

    public Tile get() { return Tile.wrap(TraceContext.current().read(variable)); }

    public void set(Tile value) { TraceContext.current().write(variable, value.value()); }

    @Override
    public String toString() { return variable.toString(); }
}
