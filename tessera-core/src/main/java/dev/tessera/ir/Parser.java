package dev.tessera.ir;

import dev.tessera.types.DType;
import dev.tessera.types.DescriptorType;
import dev.tessera.types.ElementType;
import dev.tessera.types.PointerType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the text {@link Printer} writes, with or without the {@code // File.java:N} location comments
 * (kept when present). Ops are read generically through {@link OpSchema}: operands in component
 * order, attributes by name, regions in order, then the result types. Value ids are kept, so
 * print → parse → print gives the same text. Lines that hold only a {@code //} comment are skipped.
 */
public final class Parser {
    private static final Map<String, Kind> KINDS = kinds();
    private static final Pattern LOCATION = Pattern.compile("(.+):(\\d+)");

    /** The op class a mnemonic names, and the function for unary, binary and comparison ops. */
    private record Kind(Class<?> type, Enum<?> fn) {}

    private final Cursor in;
    private final Map<Integer, Value> values = new HashMap<>();

    private Parser(String text) { this.in = new Cursor(text); }

    public static KernelIR parse(String text) { return new Parser(text).kernel(); }

    private static Map<String, Kind> kinds() {
        Map<String, Kind> kinds = new HashMap<>();
        for (Class<?> c : Op.class.getPermittedSubclasses()) {
            Class<?> fns = c == Op.Unary.class ? Op.Unary.Fn.class : c == Op.Binary.class ? Op.Binary.Fn.class
                    : c == Op.Compare.class ? Op.Compare.Fn.class : null;
            if (fns == null) {
                kinds.put(OpSchema.of(c).mnemonic(), new Kind(c, null));
            } else {
                for (Object fn : fns.getEnumConstants()) {
                    kinds.put(((Enum<?>) fn).name().toLowerCase(java.util.Locale.ROOT), new Kind(c, (Enum<?>) fn));
                }
            }
        }
        return Map.copyOf(kinds);
    }

    // ------------------------------------------------------------------ kernel

    private KernelIR kernel() {
        in.expectWord("kernel");
        String name = in.word();
        in.expect('(');
        List<KernelIR.Param> params = new ArrayList<>();
        while (!in.accept(')')) {
            if (!params.isEmpty()) in.expect(',');
            params.add(param());
        }
        Map<String, Object> constants = new LinkedHashMap<>();
        if (in.accept('[')) {
            while (!in.accept(']')) {
                if (!constants.isEmpty()) in.expect(',');
                String key = in.until("=").strip();
                in.expect('=');
                constants.put(key, constexpr(in.token(",]")));
            }
        }
        in.expect('{');
        List<Op> ops = new ArrayList<>();
        while (!in.accept('}')) ops.add(op());
        in.skipTrivia();
        if (!in.atEnd()) throw in.error("text after the kernel's closing brace");
        List<Value> args = params.stream().map(KernelIR.Param::value).toList();
        return new KernelIR(name, params, new Region(args, ops), constants);
    }

    private KernelIR.Param param() {
        int id = in.valueId();
        in.expect(':');
        Value v = define(id, type());
        int divisibility = 1;
        if (in.accept('{')) {
            in.expectWord("divisibility");
            in.expect('=');
            divisibility = Integer.parseInt(in.token("}"));
            in.expect('}');
        }
        in.expect("/*");
        String name = in.until("*/").strip();
        in.expect("*/");
        return new KernelIR.Param(name, v, divisibility);
    }

    /** A constexpr value as printed: a quoted string, a boolean, an integer, a float, or a bare name. */
    private Object constexpr(String text) {
        if (text.startsWith("\"")) return Cursor.unquote(text);
        if (text.equals("true") || text.equals("false")) return Boolean.parseBoolean(text);
        if (text.matches("-?\\d+")) {
            long v = Long.parseLong(text);
            return v == (int) v ? (Object) (int) v : (Object) v;
        }
        if (text.matches("-?(\\d+\\.\\d+(E-?\\d+)?|NaN|Infinity)")) return Double.parseDouble(text);
        return text;
    }

    // ------------------------------------------------------------------ ops

    private Op op() {
        int start = in.position();
        List<Integer> resultIds = new ArrayList<>();
        if (in.peek() == '%') {
            do resultIds.add(in.valueId()); while (in.accept(','));
            in.expect('=');
        }
        String mnemonic = in.word();
        Kind kind = KINDS.get(mnemonic);
        if (kind == null) throw in.error("unknown op '" + mnemonic + "'");
        OpSchema schema = OpSchema.of(kind.type());
        List<OpSchema.Component> components = schema.components();
        Object[] args = new Object[components.size()];

        boolean first = true;
        for (int i = 0; i < args.length; i++) {
            OpSchema.Component c = components.get(i);
            if (c.role() != OpSchema.Role.OPERAND && c.role() != OpSchema.Role.OPERANDS) continue;
            if (!first) in.expect(',');
            first = false;
            args[i] = c.role() == OpSchema.Role.OPERAND ? optionalOperand() : operandList();
        }

        Map<String, String> attributes = attributes(schema, kind);
        List<Region> regions = new ArrayList<>();
        while (in.peek() == '{') regions.add(region());

        List<Type> types = new ArrayList<>();
        if (!resultIds.isEmpty()) {
            in.expect(':');
            do types.add(type()); while (in.accept(','));
            if (types.size() != resultIds.size()) {
                throw in.error(mnemonic + " has " + resultIds.size() + " results but " + types.size() + " types");
            }
        }
        Loc loc = in.location();
        List<Value> results = new ArrayList<>();
        for (int i = 0; i < resultIds.size(); i++) results.add(define(resultIds.get(i), types.get(i)));

        int region = 0;
        for (int i = 0; i < args.length; i++) {
            OpSchema.Component c = components.get(i);
            switch (c.role()) {
                case RESULT -> {
                    if (results.size() != 1) throw error(start, mnemonic + " needs exactly one result");
                    args[i] = results.getFirst();
                }
                case RESULTS -> args[i] = List.copyOf(results);
                case REGION -> args[i] = region < regions.size() ? regions.get(region++) : null;
                case LOC -> args[i] = loc;
                case ATTRIBUTE -> args[i] = c.name().equals("fn") && kind.fn() != null ? kind.fn()
                        : attribute(c, attributes, results, start, mnemonic);
                default -> { }
            }
        }
        if (region < regions.size()) throw error(start, mnemonic + " takes " + region + " regions, got " + regions.size());
        try {
            return schema.construct(args);
        } catch (IllegalStateException e) {
            throw error(start, "malformed " + mnemonic + ": " + e.getCause().getMessage());
        }
    }

    private Value optionalOperand() {
        if (in.accept('_')) return null;
        return use(in.valueId());
    }

    private List<Value> operandList() {
        in.expect('[');
        List<Value> vs = new ArrayList<>();
        while (!in.accept(']')) {
            if (!vs.isEmpty()) in.expect(',');
            vs.add(use(in.valueId()));
        }
        return vs;
    }

    /** "{name=value, ...}" as raw texts by name; printed only when the op has attributes to show. */
    private Map<String, String> attributes(OpSchema schema, Kind kind) {
        Map<String, String> attrs = new HashMap<>();
        boolean any = schema.components().stream()
                .anyMatch(c -> c.role() == OpSchema.Role.ATTRIBUTE && !(c.name().equals("fn") && kind.fn() != null));
        if (!any) return attrs;
        in.expect('{');
        while (!in.accept('}')) {
            if (!attrs.isEmpty()) in.expect(',');
            String key = in.word();
            in.expect('=');
            attrs.put(key, in.token(",}"));
        }
        return attrs;
    }

    private Object attribute(OpSchema.Component c, Map<String, String> attrs, List<Value> results, int start, String op) {
        String text = attrs.get(c.name());
        if (text == null) throw error(start, op + " is missing attribute " + c.name());
        Class<?> t = c.type();
        try {
            if (text.equals("null") && !t.isPrimitive()) return null;
            if (t == int.class || t == Integer.class) return Integer.parseInt(text);
            if (t == boolean.class || t == Boolean.class) {
                if (!text.equals("true") && !text.equals("false")) throw new IllegalArgumentException("not a boolean");
                return Boolean.parseBoolean(text);
            }
            if (t == String.class) return Cursor.unquote(text);
            if (t.isEnum()) return enumConstant(t, text);
            if (t == List.class) return integerList(text);
            if (t == Number.class) {
                // constants hold a Double for float types and a Long otherwise (see Op.Constant)
                boolean isFloat = results.size() == 1 && !results.getFirst().type().isPointer()
                        && results.getFirst().type().dtype().isFloat();
                return isFloat ? (Number) Double.parseDouble(text) : (Number) Long.parseLong(text);
            }
        } catch (IllegalArgumentException e) {
            throw error(start, "bad value '" + text + "' for " + op + " attribute " + c.name());
        }
        throw error(start, "attributes of type " + t.getSimpleName() + " cannot be read");
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumConstant(Class<?> t, String text) { return Enum.valueOf((Class) t, text); }

    private static List<Integer> integerList(String text) {
        if (!text.startsWith("[") || !text.endsWith("]")) throw new IllegalArgumentException("not a list");
        String body = text.substring(1, text.length() - 1).strip();
        List<Integer> out = new ArrayList<>();
        if (!body.isEmpty()) for (String part : body.split(",")) out.add(Integer.parseInt(part.strip()));
        return out;
    }

    private Region region() {
        in.expect('{');
        in.expect("^(");
        List<Value> args = new ArrayList<>();
        while (!in.accept(')')) {
            if (!args.isEmpty()) in.expect(',');
            int id = in.valueId();
            in.expect(':');
            args.add(define(id, type()));
        }
        List<Op> ops = new ArrayList<>();
        while (!in.accept('}')) ops.add(op());
        return new Region(args, ops);
    }

    // ------------------------------------------------------------------ values and types

    private Type type() {
        boolean pointer = in.accept('*');
        String name = in.word();
        if (!pointer && name.equals("desc") && in.peekAdjacent('<')) return Type.scalar(descriptorType());
        DType d;
        try {
            d = DType.parse(name);
        } catch (IllegalArgumentException e) {
            throw in.error("unknown type '" + name + "'");
        }
        ElementType element = pointer ? new PointerType(d) : d;
        List<Integer> dims = new ArrayList<>();
        if (in.peekAdjacent('[')) {
            in.expect('[');
            do dims.add(Integer.parseInt(in.token(",]"))); while (in.accept(','));
            in.expect(']');
        }
        return new Type(element, Shape.of(dims.stream().mapToInt(Integer::intValue).toArray()));
    }

    /** "&lt;f16[64, 64]&gt;" after "desc", as {@link DescriptorType#toString} prints it. */
    private DescriptorType descriptorType() {
        in.expect('<');
        String name = in.word();
        DType element;
        try {
            element = DType.parse(name);
        } catch (IllegalArgumentException e) {
            throw in.error("unknown type '" + name + "'");
        }
        List<Integer> block = new ArrayList<>();
        in.expect('[');
        do block.add(Integer.parseInt(in.token(",]"))); while (in.accept(','));
        in.expect(']');
        in.expect('>');
        return new DescriptorType(element, block);
    }

    private Value define(int id, Type type) {
        if (values.containsKey(id)) throw in.error("%" + id + " is defined twice");
        Value v = new Value(id, type);
        values.put(id, v);
        return v;
    }

    private Value use(int id) {
        Value v = values.get(id);
        if (v == null) throw in.error("%" + id + " is used before it is defined");
        return v;
    }

    /** An error in the op that starts at {@code start}. */
    private IllegalArgumentException error(int start, String message) {
        return new IllegalArgumentException("IR line " + in.lineOf(start) + ": " + message);
    }

    // ------------------------------------------------------------------ characters

    /** Position in the text, with the small lexical rules of the printed form. */
    private static final class Cursor {
        private final String s;
        private int pos;

        Cursor(String s) { this.s = s; }

        int position() {
            skipTrivia();
            return pos;
        }

        /** The line number of a position, counted only when an error is reported. */
        int lineOf(int position) {
            int n = 1;
            for (int i = 0; i < position && i < s.length(); i++) if (s.charAt(i) == '\n') n++;
            return n;
        }

        boolean atEnd() { return pos >= s.length(); }

        /**
         * Skips white space and lines that hold only a comment. A comment after code on its line is
         * left for {@link #location()}: it belongs to the op on that line.
         */
        void skipTrivia() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (Character.isWhitespace(c)) {
                    pos++;
                } else if (s.startsWith("//", pos) && s.substring(s.lastIndexOf('\n', pos - 1) + 1, pos).isBlank()) {
                    int end = s.indexOf('\n', pos);
                    pos = end < 0 ? s.length() : end;
                } else {
                    return;
                }
            }
        }

        /** The location comment ending the current line, if any; the printer writes "// File.java:N". */
        Loc location() {
            int p = pos;
            while (p < s.length() && (s.charAt(p) == ' ' || s.charAt(p) == '\t')) p++;
            if (!s.startsWith("//", p)) return Loc.UNKNOWN;
            int end = s.indexOf('\n', p);
            if (end < 0) end = s.length();
            pos = end;
            Matcher m = LOCATION.matcher(s.substring(p + 2, end).strip());
            return m.matches() ? new Loc(m.group(1), Integer.parseInt(m.group(2)), "") : Loc.UNKNOWN;
        }

        char peek() {
            skipTrivia();
            return pos < s.length() ? s.charAt(pos) : '\0';
        }

        /** The next character without skipping white space (a shape follows its element type directly). */
        boolean peekAdjacent(char c) { return pos < s.length() && s.charAt(pos) == c; }

        boolean accept(char c) {
            if (peek() != c) return false;
            pos++;
            return true;
        }

        void expect(char c) {
            if (!accept(c)) throw error("expected '" + c + "'");
        }

        void expect(String word) {
            skipTrivia();
            if (!s.startsWith(word, pos)) throw error("expected '" + word + "'");
            pos += word.length();
        }

        void expectWord(String word) {
            if (!word().equals(word)) throw error("expected '" + word + "'");
        }

        String word() {
            skipTrivia();
            int start = pos;
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_' || s.charAt(pos) == '$')) pos++;
            if (start == pos) throw error("expected a name");
            return s.substring(start, pos);
        }

        int valueId() {
            expect('%');
            int start = pos;
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
            if (start == pos) throw error("expected a value id after '%'");
            return Integer.parseInt(s.substring(start, pos));
        }

        /** Text up to the first of {@code stops} outside quotes and brackets, stripped. */
        String token(String stops) {
            skipTrivia();
            int start = pos, depth = 0;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '"') {
                    pos = endOfString(pos);
                    continue;
                }
                if (depth == 0 && stops.indexOf(c) >= 0) break;
                if (c == '[') depth++;
                if (c == ']') depth--;
                if (c == '\n') throw error("unterminated value");
                pos++;
            }
            if (pos >= s.length()) throw error("unterminated value");
            String t = s.substring(start, pos).strip();
            if (t.isEmpty()) throw error("expected a value");
            return t;
        }

        String until(String end) {
            int i = s.indexOf(end, pos);
            if (i < 0) throw error("expected '" + end + "'");
            String t = s.substring(pos, i);
            pos = i;
            return t;
        }

        private int endOfString(int open) {
            for (int i = open + 1; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '\\') i++;
                else if (c == '"') return i + 1;
                else if (c == '\n') break;
            }
            throw error("unterminated string");
        }

        static String unquote(String t) {
            if (t.length() < 2 || !t.startsWith("\"") || !t.endsWith("\"")) throw new IllegalArgumentException("not a string");
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i < t.length() - 1; i++) {
                char c = t.charAt(i);
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = t.charAt(++i);
                sb.append(switch (e) {
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    case 't' -> '\t';
                    default -> e;
                });
            }
            return sb.toString();
        }

        IllegalArgumentException error(String message) {
            int lineStart = s.lastIndexOf('\n', Math.max(0, pos - 1)) + 1;
            return new IllegalArgumentException("IR line " + lineOf(pos) + ", column " + (pos - lineStart + 1) + ": " + message);
        }
    }
}
