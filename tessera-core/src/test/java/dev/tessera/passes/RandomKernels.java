package dev.tessera.passes;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random well-typed kernels in IR text, for checking that optimization keeps results: integer and
 * float arithmetic on tiles and scalars, comparisons and selects, conversions, splats and shape
 * detours, masked loads through chains of ptr_add, for loops (some never run, some carry values
 * they never change or never use) and branches, all over constants, program ids and loaded data.
 *
 * <p>Signature: {@code (x: *f32, y: *i32, outf: *f32, outi: *i32, n: i32)}; run with 2 programs;
 * x and y hold {@link #INPUT} elements. Every value left at the top level is stored (scalars
 * splatted), each in its own block of 2·{@link #B} elements of the output of its element type.
 */
final class RandomKernels {
    static final int B = 16, INPUT = 2 * B;

    /** The kernel's text and how many blocks it stores to each output. */
    record Generated(String text, int floatBlocks, int intBlocks) {}
    private static final String I = "i32[" + B + "]", F = "f32[" + B + "]", M = "i1[" + B + "]";

    private record V(String id, String type) {}

    private final SplittableRandom r;
    private final StringBuilder out = new StringBuilder();
    private final Deque<List<V>> scopes = new ArrayDeque<>();
    private int next = 5, depth = 1;

    private RandomKernels(long seed) { this.r = new SplittableRandom(seed); }

    static Generated generate(long seed) { return new RandomKernels(seed).kernel(); }

    private Generated kernel() {
        out.append("kernel fuzz(%0: *f32 {divisibility=16} /* x */, %1: *i32 {divisibility=16} /* y */, ")
                .append("%2: *f32 {divisibility=16} /* outf */, %3: *i32 {divisibility=16} /* outi */, %4: i32 /* n */) {\n");
        scopes.push(new ArrayList<>(List.of(new V("%4", "i32"))));
        V pid = emit("program_id {axis=0}", "i32");
        V base = emit("mul " + pid.id + ", " + constant("i32", B).id, "i32");
        V lanes = emit("add " + emit("splat " + base.id, I).id + ", " + emit("arange {start=0, end=" + B + "}", I).id, I);
        ops(12 + r.nextInt(20));
        int floats = 0, ints = 0;
        for (V v : List.copyOf(scopes.peek())) {
            if (!List.of(I, F, "i32", "f32").contains(v.type)) continue;
            boolean isFloat = v.type.startsWith("f");
            V tile = v.type.contains("[") ? v : emit("splat " + v.id, v.type + "[" + B + "]");
            V offsets = emit("add " + lanes.id + ", " + constant(I, (long) (isFloat ? floats++ : ints++) * 2 * B).id, I);
            String pointer = isFloat ? "%2" : "%3", type = isFloat ? "f32" : "i32";
            V p = emit("ptr_add " + emit("splat " + pointer, "*" + type + "[" + B + "]").id + ", " + offsets.id, "*" + type + "[" + B + "]");
            line("store " + p.id + ", " + tile.id + ", _ {cache=NONE, eviction=NORMAL}");
        }
        out.append("}\n");
        return new Generated(out.toString(), floats, ints);
    }

    private void ops(int count) {
        for (int i = 0; i < count; i++) op();
    }

    private void op() {
        int kind = r.nextInt(depth < 3 ? 13 : 11);
        switch (kind) {
            case 0 -> constant(r.nextBoolean() ? I : "i32", intLiteral());
            case 1 -> constant(r.nextBoolean() ? F : "f32", floatLiteral());
            case 2, 3 -> {
                String t = r.nextInt(3) == 0 ? "i32" : I;
                String fn = pickOf("add", "sub", "mul", "div", "rem", "and", "or", "xor", "shl", "shr", "max", "min");
                emit(fn + " " + pick(t).id + ", " + pick(t).id, t);
            }
            case 4 -> {
                String t = r.nextInt(3) == 0 ? "f32" : F;
                emit(pickOf("add", "sub", "mul", "div_rn", "max", "min", "max_nan") + " " + pick(t).id + ", " + pick(t).id, t);
            }
            case 5 -> {
                String t = pickOf(I, F, "i32");
                V v = emit((t.startsWith("f") ? "neg " : pickOf("neg ", "not ")) + pick(t).id, t);
                if (r.nextBoolean()) emit("neg " + v.id, t);
            }
            case 6 -> {
                String t = pickOf(I, F);
                V c = emit(pickOf("lt", "le", "gt", "ge", "eq", "ne") + " " + pick(t).id + ", " + pick(t).id, M);
                String u = pickOf(I, F);
                emit("select " + c.id + ", " + pick(u).id + ", " + pick(u).id, u);
            }
            case 7 -> {
                boolean toFloat = r.nextBoolean();
                emit("convert " + pick(toFloat ? I : F).id + " {rounding=NEAREST_EVEN}", toFloat ? F : I);
            }
            case 8 -> {
                String t = pickOf("i32", "f32");
                emit("splat " + pick(t).id, t + "[" + B + "]");
            }
            case 9 -> shapes();
            case 10 -> load();
            case 11 -> forLoop();
            default -> branch();
        }
    }

    /** Through two dimensions and back: the canonicalizer and folder meet chains of shape ops. */
    private void shapes() {
        String t = pickOf(I, F), e = t.substring(0, 3);
        V v = r.nextBoolean() ? pick(t) : emit("splat " + pick(e).id, t);
        V row = emit("expand_dims " + v.id + " {axis=0}", e + "[1, " + B + "]");
        V wide = emit("broadcast " + row.id, e + "[4, " + B + "]");
        emit("reduce " + wide.id + " {kind=" + pickOf("SUM", "MAX", "MIN") + ", axis=0}", t);
        V square = emit("reshape " + v.id, e + "[4, " + (B / 4) + "]");
        emit("reshape " + emit("reshape " + square.id, e + "[" + (B / 4) + ", 4]").id, t);
    }

    /** A masked load through ptr_add chains whose offsets stay within the input. */
    private void load() {
        boolean isFloat = r.nextBoolean();
        String t = isFloat ? F : I, pointer = isFloat ? "%0" : "%1", pt = "*" + (isFloat ? "f32" : "i32") + "[" + B + "]";
        V limit = constant(I, B - 1);
        V a = emit("and " + pick(I).id + ", " + limit.id, I), b = emit("and " + pick(I).id + ", " + limit.id, I);
        V p = emit("ptr_add " + emit("ptr_add " + emit("splat " + pointer, pt).id + ", " + a.id, pt).id + ", " + b.id, pt);
        if (r.nextBoolean()) {
            emit("load " + p.id + ", " + pick(M).id + ", " + pick(t).id + " {cache=NONE, eviction=NORMAL, isVolatile=false}", t);
        } else {
            emit("load " + p.id + ", _, _ {cache=NONE, eviction=NORMAL, isVolatile=false}", t);
        }
    }

    private void forLoop() {
        long[][] bounds = {{0, 3, 1}, {5, 2, 1}, {0, 1, 1}, {1, 7, 2}};
        V lo, hi, st;
        if (r.nextInt(4) == 0) {
            lo = constant("i32", 0);
            hi = scope("%4", "i32");
            st = constant("i32", 4);
        } else {
            long[] b = bounds[r.nextInt(bounds.length)];
            lo = constant("i32", b[0]);
            hi = constant("i32", b[1]);
            st = constant("i32", b[2]);
        }
        List<V> inits = new ArrayList<>();
        for (int i = 1 + r.nextInt(3); i > 0; i--) inits.add(pick(pickOf(I, F, "i32")));
        List<V> results = new ArrayList<>(), args = new ArrayList<>();
        for (V init : inits) results.add(new V("%" + next++, init.type));
        V iv = new V("%" + next++, "i32");
        for (V init : inits) args.add(new V("%" + next++, init.type));
        line((results.isEmpty() ? "" : ids(results) + " = ") + "for " + lo.id + ", " + hi.id + ", " + st.id + ", [" + ids(inits) + "] {");
        depth++;
        List<V> inner = new ArrayList<>(args);
        inner.add(iv);
        scopes.push(inner);
        line("^(" + iv.id + ": i32" + args.stream().map(a -> ", " + a.id + ": " + a.type).reduce("", String::concat) + ")");
        emit("splat " + iv.id, I);
        ops(1 + r.nextInt(5));
        List<V> yields = new ArrayList<>();
        for (V a : args) yields.add(r.nextInt(4) == 0 ? a : pick(a.type));
        line("yield [" + ids(yields) + "]");
        scopes.pop();
        depth--;
        line("} : " + types(results));
        scopes.peek().addAll(results);
    }

    private void branch() {
        V condition = r.nextBoolean() ? constant("i1", r.nextInt(2))
                : emit(pickOf("lt", "ge") + " " + scope("%4", "i32").id + ", " + constant("i32", r.nextInt(40)).id, "i1");
        List<String> types = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) types.add(pickOf(I, F, "i32"));
        List<V> results = new ArrayList<>();
        for (String t : types) results.add(new V("%" + next++, t));
        line((results.isEmpty() ? "" : ids(results) + " = ") + "if " + condition.id + " {");
        for (int side = 0; side < 2; side++) {
            if (side == 1) line("} {");
            depth++;
            scopes.push(new ArrayList<>());
            line("^()");
            ops(r.nextInt(4));
            List<V> yields = new ArrayList<>();
            for (String t : types) yields.add(pick(t));
            line("yield [" + ids(yields) + "]");
            scopes.pop();
            depth--;
        }
        line("}" + (results.isEmpty() ? "" : " : " + types(results)));
        scopes.peek().addAll(results);
    }

    // ------------------------------------------------------------------ values

    private V pick(String type) {
        List<V> candidates = new ArrayList<>();
        for (List<V> s : scopes) for (V v : s) if (v.type.equals(type)) candidates.add(v);
        if (candidates.isEmpty() || r.nextInt(8) == 0) {
            return type.startsWith("i1") ? emit("lt " + pick(I).id + ", " + pick(I).id, M)
                    : constant(type, type.startsWith("f") ? floatLiteral() : intLiteral());
        }
        // mostly recent values, so that results feed later ops and reach the stores
        int n = candidates.size();
        return candidates.get(r.nextInt(3) == 0 ? r.nextInt(n) : Math.max(0, n - 1 - r.nextInt(Math.min(n, 4))));
    }

    private V scope(String id, String type) { return new V(id, type); }

    private V constant(String type, Number value) {
        Number v = type.startsWith("f") ? (Number) value.doubleValue() : (Number) value.longValue();
        return emit("constant {value=" + v + "}", type);
    }

    private long intLiteral() { return pickOf(0L, 1L, -1L, 2L, 3L, 7L, (long) B, 31L, 32L, -1000L, (long) r.nextInt()); }

    private double floatLiteral() { return pickOf(0.0, -0.0, 1.0, -1.0, 0.5, 3.25, 1e30, r.nextGaussian()); }

    private V emit(String text, String type) {
        V v = new V("%" + next++, type);
        line(v.id + " = " + text + " : " + type);
        scopes.peek().add(v);
        return v;
    }

    private void line(String text) { out.append("  ".repeat(depth)).append(text).append('\n'); }

    @SafeVarargs
    private <T> T pickOf(T... options) { return options[r.nextInt(options.length)]; }

    private static String ids(List<V> vs) { return String.join(", ", vs.stream().map(V::id).toList()); }

    private static String types(List<V> vs) { return String.join(", ", vs.stream().map(V::type).toList()); }
}
