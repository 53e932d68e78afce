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
                    .map(e -> e.getKey() + "=" + constant(e.getValue())).collect(Collectors.joining(", "))).append(']');
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
        if (fnInMnemonic(op)) attrs.remove("fn");
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

    /** Unary, binary and comparison ops are named by their function, so it is not repeated as an attribute. */
    private static boolean fnInMnemonic(Op op) { return op instanceof Op.Unary || op instanceof Op.Binary || op instanceof Op.Compare; }

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

    private static String attr(Object v) { return v instanceof String s ? quote(s) : String.valueOf(v); }

    /**
     * A constexpr value: numbers and booleans as Java prints them; anything else by its text, quoted
     * unless it reads as a plain name (so an enum constant stays as readable as a name).
     */
    private static String constant(Object v) {
        if (v instanceof Number || v instanceof Boolean) return String.valueOf(v);
        String s = String.valueOf(v);
        return PLAIN.matcher(s).matches() ? s : quote(s);
    }

    /** A bare word that cannot be mistaken for a number, a boolean or null by {@link Parser}. */
    static final java.util.regex.Pattern PLAIN = java.util.regex.Pattern.compile(
            "(?!(true|false|null|NaN|Infinity)$)[A-Za-z_][A-Za-z0-9_.$]*");

    /** A string literal with backslash escapes, kept on one line. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    private static String join(List<Value> values) {
        StringBuilder sb = new StringBuilder();
        for (Iterator<Value> it = values.iterator(); it.hasNext(); ) sb.append(it.next()).append(it.hasNext() ? ", " : "");
        return sb.toString();
    }

    private void indent(int depth) { out.append("  ".repeat(depth)); }
}
