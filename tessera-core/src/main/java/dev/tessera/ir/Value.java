package dev.tessera.ir;

/**
 * An SSA value: produced by exactly one op result, region argument or kernel parameter.
 * Identity is object identity; the id only names the value in printed IR.
 */
public final class Value {
    private final int id;
    private final Type type;

    public Value(int id, Type type) {
        this.id = id;
        this.type = type;
    }

    public int id() { return id; }

    public Type type() { return type; }

    @Override
    public String toString() { return "%" + id; }
}
