package dev.tessera.ir;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Prints IR one op a line, MLIR-like:
 * <pre>
 *   %7 = add %5, %6 : f32[1024]                      // VectorAdd.java:12
 *   %9 = load %8, %4, _ {cache=NONE, eviction=NORMAL, isVolatile=false} : f32[1024]
 * </pre>
 * Operands appear in the op record's component order ({@code _} for an absent optional operand,
 * {@code [..]} for a list), then attributes, nested regions and the result types.
 */
public final class Printer {
    private final StringBuilder out = new StringBuilder();
    private final boolean withLocations;

    private Printer(boolean withLocations) { this.withLocations = withLocations; }

    public static String print(KernelIR kernel) { return print(kernel, true); }

    public static String print(KernelIR kernel, boolean withLocations) {
        Printer p = new Printer(withLocations);
        p.kernel(kernel);
        return p.out.toString();
    }

    /** One op (with its regions), for error messages. */
    public static String print(Op op) {
        Printer p = new Printer(false);
        p.op(op, 0);
        return p.out.toString().strip();
    }

    private void kernel(KernelIR k) {
        out.append("kernel ").append(k.name()).append('(');
        for (int i = 0; i < k.params().size(); i++) {
            KernelIR.Param p = k.params().get(i);
            if (i > 0) out.append(", ");
            out.append(p.value()).append(": ").append(p.value().type());
            if (p.divisibility() > 1) out.append(" {divisibility=").append(p.divisibility()).append('}');
            out.append(" /* ").append(p.name()).append(" */");
        }
        out.append(')');
        if (!k.constants().isEmpty()) {
            out.append(" [").append(k.constants().entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "))).append(']');
        }
        out.append(" {\n");
        for (Op op : k.body().ops()) op(op, 1);
        out.append("}\n");
    }

    private void op(Op op, int depth) {
        int start = out.length();
        indent(depth);
        List<Value> results = op.results();
        if (!results.isEmpty()) out.append(join(results)).append(" = ");
        out.append(mnemonic(op));
        OpSchema schema = OpSchema.of(op.getClass());
        String sep = " ";
        for (OpSchema.Component c : schema.components()) {
            Object v = get(c, op);
            switch (c.role()) {
                case OPERAND -> { out.append(sep).append(v == null ? "_" : v.toString()); sep = ", "; }
                case OPERANDS -> { out.append(sep).append('[').append(join(asValues(v))).append(']'); sep = ", "; }
                default -> { }
            }
        }
        Map<String, Object> attrs = schema.attributes(op);
        attrs.remove("fn");
        if (!attrs.isEmpty()) {
            out.append(" {").append(attrs.entrySet().stream().map(e -> e.getKey() + "=" + attr(e.getValue()))
                    .collect(Collectors.joining(", "))).append('}');
        }
        for (Region r : op.regions()) region(r, depth);
        if (!results.isEmpty()) {
            out.append(" : ").append(results.stream().map(v -> v.type().toString()).collect(Collectors.joining(", ")));
        }
        if (withLocations && op.loc().isKnown()) {
            int lineStart = out.lastIndexOf("\n") + 1;
            int width = out.length() - Math.max(lineStart, start);
            out.append(" ".repeat(Math.max(1, 64 - width))).append("// ").append(op.loc());
        }
        out.append('\n');
    }

    private void region(Region r, int depth) {
        out.append(" {\n");
        indent(depth + 1);
        out.append("^(").append(r.args().stream().map(a -> a + ": " + a.type()).collect(Collectors.joining(", ")))
                .append(")\n");
        for (Op op : r.ops()) op(op, depth + 1);
        indent(depth);
        out.append('}');
    }

    /** "add" for Binary(ADD), "exp" for Unary(EXP), "lt" for Compare(LT), otherwise the record name. */
    public static String mnemonic(Op op) {
        return switch (op) {
            case Op.Unary u -> u.fn().name().toLowerCase(java.util.Locale.ROOT);
            case Op.Binary b -> b.fn().name().toLowerCase(java.util.Locale.ROOT);
            case Op.Compare c -> c.fn().name().toLowerCase(java.util.Locale.ROOT);
            default -> OpSchema.of(op.getClass()).mnemonic();
        };
    }

    private static Object get(OpSchema.Component c, Op op) {
        try {
            return c.getter().invoke(op);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Value> asValues(Object v) { return (List<Value>) v; }

    private static String attr(Object v) {
        return v instanceof String s ? '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"' : String.valueOf(v);
    }

    private static String join(List<Value> values) {
        StringBuilder sb = new StringBuilder();
        for (Iterator<Value> it = values.iterator(); it.hasNext(); ) sb.append(it.next()).append(it.hasNext() ? ", " : "");
        return sb.toString();
    }

    private void indent(int depth) { out.append("  ".repeat(depth)); }
}
