package dev.tessera.cuda.codegen;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import dev.tessera.ir.Op.*;
import dev.tessera.ir.Region;
import dev.tessera.ir.Shape;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A private stand-in for {@code dev.tessera.passes.AxisInfo} (same API) until that pass lands:
 * per dimension of each value, the run length of consecutive values (contiguity; for pointers,
 * consecutive elements), the largest power of two dividing each run's first value (divisibility;
 * for pointers, in bytes), and the run length of equal values (constancy). Scalars count as one
 * dimension of size 1. Rules follow Triton's AxisInfo, conservatively; loop-carried values are
 * the meet of their initial and yielded facts, iterated to a fixed point.
 */
public final class AxisInfo {
    /** Divisibility is capped here (Triton's highest power of two). */
    private static final int MAX_DIVISIBILITY = 1 << 30;

    public record Facts(int[] contiguity, int[] divisibility, int[] constancy) {
        int rank() { return contiguity.length; }

        @Override
        public boolean equals(Object o) {
            return o instanceof Facts f && Arrays.equals(contiguity, f.contiguity) && Arrays.equals(divisibility, f.divisibility)
                    && Arrays.equals(constancy, f.constancy);
        }

        @Override
        public int hashCode() { return Arrays.hashCode(contiguity) ^ Arrays.hashCode(divisibility) * 31 ^ Arrays.hashCode(constancy) * 961; }

        @Override
        public String toString() {
            return "contig=" + Arrays.toString(contiguity) + " div=" + Arrays.toString(divisibility) + " const=" + Arrays.toString(constancy);
        }
    }

    private final Map<Value, Facts> facts = new IdentityHashMap<>();
    private final Map<Value, Long> constants = new IdentityHashMap<>();

    private AxisInfo() {}

    public static AxisInfo analyze(KernelIR kernel) {
        AxisInfo a = new AxisInfo();
        for (KernelIR.Param p : kernel.params()) {
            Value v = p.value();
            boolean known = v.type().isPointer() || v.type().dtype().isInteger();
            a.facts.put(v, new Facts(new int[] {1}, new int[] {known ? p.divisibility() : 1}, new int[] {1}));
        }
        a.region(kernel.body());
        return a;
    }

    public Facts of(Value v) {
        Facts f = facts.get(v);
        return f != null ? f : unknown(v);
    }

    private static int rankOf(Value v) { return Math.max(1, v.type().rank()); }

    private static int dim(Value v, int d) { return v.type().isScalar() ? 1 : v.type().shape().dim(d); }

    private static Facts unknown(Value v) {
        int r = rankOf(v);
        int[] ones = new int[r];
        Arrays.fill(ones, 1);
        return new Facts(ones, ones.clone(), ones.clone());
    }

    private static Facts uniform(Value v, int divisibility) {
        int r = rankOf(v);
        int[] c = new int[r], div = new int[r], k = new int[r];
        for (int d = 0; d < r; d++) {
            c[d] = 1;
            div[d] = divisibility;
            k[d] = dim(v, d);
        }
        return new Facts(c, div, k);
    }

    private static int pow2Divisor(long x) {
        if (x == 0) return MAX_DIVISIBILITY;
        return (int) Math.min(MAX_DIVISIBILITY, Long.lowestOneBit(Math.abs(x)) == 0 ? 1 : Long.lowestOneBit(x));
    }

    private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }

    private void region(Region r) {
        for (Op op : r.ops()) visit(op);
    }

    private void put(Value v, Facts f) {
        int r = rankOf(v);
        int[] c = f.contiguity().clone(), div = f.divisibility().clone(), k = f.constancy().clone();
        for (int d = 0; d < r; d++) {
            c[d] = Math.max(1, Math.min(c[d], dim(v, d)));
            k[d] = Math.max(1, Math.min(k[d], dim(v, d)));
            div[d] = Math.max(1, Math.min(div[d], MAX_DIVISIBILITY));
        }
        facts.put(v, new Facts(c, div, k));
    }

    private void visit(Op op) {
        switch (op) {
            case Constant c -> {
                if (c.value() instanceof Long l) {
                    constants.put(c.result(), l);
                    put(c.result(), uniform(c.result(), pow2Divisor(l)));
                } else {
                    put(c.result(), uniform(c.result(), 1));
                }
            }
            case Arange a -> put(a.result(), new Facts(new int[] {a.end() - a.start()}, new int[] {pow2Divisor(a.start())}, new int[] {1}));
            case Splat s -> put(s.result(), uniform(s.result(), of(s.source()).divisibility()[0]));
            case Broadcast b -> {
                Facts f = of(b.source());
                Shape from = b.source().type().shape(), to = b.result().type().shape();
                int[] c = f.contiguity().clone(), div = f.divisibility().clone(), k = f.constancy().clone();
                for (int d = 0; d < to.rank(); d++) {
                    if (from.dim(d) == 1 && to.dim(d) > 1) {
                        c[d] = 1;
                        k[d] = to.dim(d);
                    }
                }
                put(b.result(), new Facts(c, div, k));
            }
            case ExpandDims e -> {
                Facts f = of(e.source());
                boolean scalar = e.source().type().isScalar();
                int minDiv = Arrays.stream(f.divisibility()).min().orElse(1);
                put(e.result(), new Facts(insert(f.contiguity(), e.axis(), 1, scalar), insert(f.divisibility(), e.axis(), minDiv, scalar),
                        insert(f.constancy(), e.axis(), 1, scalar)));
            }
            case Hint h -> {
                Facts f = of(h.source());
                int[] c = f.contiguity().clone(), div = f.divisibility().clone(), k = f.constancy().clone();
                for (int d = 0; d < Math.min(h.values().size(), c.length); d++) {
                    int v = h.values().get(d);
                    switch (h.kind()) {
                        case MULTIPLE_OF -> div[d] = Math.max(div[d], pow2Divisor(v));
                        case MAX_CONTIGUOUS -> c[d] = Math.max(c[d], v);
                        case MAX_CONSTANCY -> k[d] = Math.max(k[d], v);
                    }
                }
                put(h.result(), new Facts(c, div, k));
            }
            case Binary b -> binary(b);
            case PtrAdd p -> {
                Facts f = add(of(p.pointer()), scaled(of(p.offset()), p.pointer().type().pointee().byteSize()), false);
                put(p.result(), f);
            }
            case Compare c -> compare(c);
            case Select s -> {
                Facts c = of(s.condition()), a = of(s.ifTrue()), b = of(s.ifFalse());
                int r = c.rank();
                int[] cont = new int[r], div = new int[r], k = new int[r];
                for (int d = 0; d < r; d++) {
                    k[d] = gcd(c.constancy()[d], gcd(a.constancy()[d], b.constancy()[d]));
                    cont[d] = gcd(c.constancy()[d], Math.min(a.contiguity()[d], b.contiguity()[d]));
                    div[d] = Math.min(a.divisibility()[d], b.divisibility()[d]);
                }
                put(s.result(), new Facts(cont, div, k));
            }
            case Convert c -> {
                Facts f = of(c.source());
                boolean ints = !c.source().type().isPointer() && c.source().type().dtype().isInteger()
                        && c.result().type().dtype().isInteger() && c.result().type().dtype().bits() >= c.source().type().dtype().bits();
                put(c.result(), ints ? f : new Facts(ones(f.rank()), ones(f.rank()), f.constancy()));
            }
            case Bitcast b -> {
                Facts f = of(b.source());
                put(b.result(), new Facts(ones(f.rank()), ones(f.rank()), f.constancy()));
            }
            case Load l -> {
                Facts f = of(l.pointer());
                int[] k = f.constancy().clone();
                if (l.mask() != null) {
                    int[] mk = of(l.mask()).constancy();
                    for (int d = 0; d < k.length; d++) k[d] = gcd(k[d], mk[d]);
                }
                put(l.result(), new Facts(ones(f.rank()), ones(f.rank()), l.isVolatile() ? ones(f.rank()) : k));
            }
            case For f -> loop(f.inits(), f.body(), f.results(), f.body().args().subList(1, f.body().args().size()), () -> {
                Facts lo = of(f.lower()), st = of(f.step());
                put(f.body().args().getFirst(), new Facts(new int[] {1}, new int[] {gcd(lo.divisibility()[0], st.divisibility()[0])}, new int[] {1}));
            });
            case While w -> {
                for (Value a : w.condition().args()) facts.put(a, unknown(a));
                for (Value a : w.body().args()) facts.put(a, unknown(a));
                region(w.condition());
                region(w.body());
            }
            case If i -> {
                region(i.thenRegion());
                region(i.elseRegion());
                List<Value> ty = ((Yield) i.thenRegion().terminator()).values(), ey = ((Yield) i.elseRegion().terminator()).values();
                for (int k = 0; k < i.results().size(); k++) put(i.results().get(k), meet(of(ty.get(k)), of(ey.get(k))));
            }
            default -> {
                for (Region nested : op.regions()) region(nested);
            }
        }
    }

    private void loop(List<Value> inits, Region body, List<Value> results, List<Value> args, Runnable inductionVariable) {
        for (int k = 0; k < args.size(); k++) facts.put(args.get(k), of(inits.get(k)));
        List<Value> yields = ((Yield) body.terminator()).values();
        for (int iteration = 0; iteration < 4; iteration++) {
            inductionVariable.run();
            region(body);
            boolean changed = false;
            for (int k = 0; k < args.size(); k++) {
                Facts next = meet(of(inits.get(k)), of(yields.get(k)));
                if (!next.equals(of(args.get(k)))) {
                    facts.put(args.get(k), next);
                    changed = true;
                }
            }
            if (!changed) break;
            if (iteration == 2) for (Value a : args) facts.put(a, unknown(a)); // give up: nothing known
        }
        inductionVariable.run();
        region(body);
        for (int k = 0; k < results.size(); k++) facts.put(results.get(k), of(args.get(k)));
    }

    private static Facts meet(Facts a, Facts b) {
        int r = a.rank();
        int[] c = new int[r], div = new int[r], k = new int[r];
        for (int d = 0; d < r; d++) {
            c[d] = gcd(a.contiguity()[d], b.contiguity()[d]);
            div[d] = gcd(a.divisibility()[d], b.divisibility()[d]);
            k[d] = gcd(a.constancy()[d], b.constancy()[d]);
        }
        return new Facts(c, div, k);
    }

    private static int[] ones(int r) {
        int[] o = new int[r];
        Arrays.fill(o, 1);
        return o;
    }

    private static int[] insert(int[] a, int axis, int v, boolean scalar) {
        if (scalar) return new int[] {v};
        int[] out = new int[a.length + 1];
        for (int i = 0, j = 0; i < out.length; i++) out[i] = i == axis ? v : a[j++];
        return out;
    }

    private static Facts scaled(Facts f, int bytes) {
        int[] div = f.divisibility().clone();
        for (int d = 0; d < div.length; d++) div[d] = (int) Math.min(MAX_DIVISIBILITY, (long) div[d] * bytes);
        return new Facts(f.contiguity(), div, f.constancy());
    }

    private static Facts add(Facts a, Facts b, boolean subtract) {
        int r = a.rank();
        int[] c = new int[r], div = new int[r], k = new int[r];
        for (int d = 0; d < r; d++) {
            c[d] = subtract ? gcd(a.contiguity()[d], b.constancy()[d])
                    : Math.max(gcd(a.contiguity()[d], b.constancy()[d]), gcd(a.constancy()[d], b.contiguity()[d]));
            div[d] = gcd(a.divisibility()[d], b.divisibility()[d]);
            k[d] = gcd(a.constancy()[d], b.constancy()[d]);
        }
        return new Facts(c, div, k);
    }

    private void binary(Binary b) {
        Facts x = of(b.lhs()), y = of(b.rhs());
        int r = x.rank();
        boolean integer = b.result().type().dtype().isInteger();
        if (!integer) {
            int[] k = new int[r];
            for (int d = 0; d < r; d++) k[d] = gcd(x.constancy()[d], y.constancy()[d]);
            put(b.result(), new Facts(ones(r), ones(r), k));
            return;
        }
        Long cx = constants.get(b.lhs()), cy = constants.get(b.rhs());
        int[] c = ones(r), div = ones(r), k = new int[r];
        for (int d = 0; d < r; d++) k[d] = gcd(x.constancy()[d], y.constancy()[d]);
        switch (b.fn()) {
            case ADD -> {
                put(b.result(), add(x, y, false));
                return;
            }
            case SUB -> {
                put(b.result(), add(x, y, true));
                return;
            }
            case MUL -> {
                for (int d = 0; d < r; d++) {
                    div[d] = (int) Math.min(MAX_DIVISIBILITY, (long) x.divisibility()[d] * y.divisibility()[d]);
                    if (cy != null && cy == 1) c[d] = x.contiguity()[d];
                    if (cx != null && cx == 1) c[d] = y.contiguity()[d];
                }
            }
            case DIV -> {
                if (cy != null && cy > 0 && Long.bitCount(cy) == 1) {
                    for (int d = 0; d < r; d++) {
                        div[d] = Math.max(1, x.divisibility()[d] / (int) Math.min(cy, MAX_DIVISIBILITY));
                        k[d] = Math.max(k[d], gcd(x.contiguity()[d], (int) Math.min(cy, MAX_DIVISIBILITY)));
                    }
                }
            }
            case REM -> {
                if (cy != null && cy > 0 && Long.bitCount(cy) == 1) {
                    int m = (int) Math.min(cy, MAX_DIVISIBILITY);
                    for (int d = 0; d < r; d++) {
                        c[d] = gcd(x.contiguity()[d], m);
                        div[d] = gcd(x.divisibility()[d], m);
                    }
                }
            }
            case SHL -> {
                if (cy != null && cy >= 0 && cy < 30) {
                    for (int d = 0; d < r; d++) div[d] = (int) Math.min(MAX_DIVISIBILITY, (long) x.divisibility()[d] << cy);
                }
            }
            case AND -> {
                for (int d = 0; d < r; d++) div[d] = Math.max(x.divisibility()[d], y.divisibility()[d]);
            }
            default -> { }
        }
        if (b.fn() == Op.Binary.Fn.MUL && cx != null && cy != null) constants.put(b.result(), cx * cy);
        if (b.fn() == Op.Binary.Fn.ADD && cx != null && cy != null) constants.put(b.result(), cx + cy);
        put(b.result(), new Facts(c, div, k));
    }

    private void compare(Compare cmp) {
        Facts x = of(cmp.lhs()), y = of(cmp.rhs());
        int r = x.rank();
        int[] k = new int[r];
        boolean ints = cmp.lhs().type().isPointer() || cmp.lhs().type().dtype().isInteger();
        for (int d = 0; d < r; d++) {
            k[d] = gcd(x.constancy()[d], y.constancy()[d]);
            if (!ints || cmp.lhs().type().isScalar()) continue;
            int n = dim(cmp.lhs(), d);
            boolean xConst = x.constancy()[d] >= n, yConst = y.constancy()[d] >= n;
            var fn = cmp.fn();
            if ((fn == Compare.Fn.GT || fn == Compare.Fn.LE) && xConst) {
                k[d] = Math.max(k[d], gcd(y.contiguity()[d], gcd(x.divisibility()[d], y.divisibility()[d])));
            } else if ((fn == Compare.Fn.LT || fn == Compare.Fn.GE) && yConst) {
                k[d] = Math.max(k[d], gcd(x.contiguity()[d], gcd(x.divisibility()[d], y.divisibility()[d])));
            }
        }
        put(cmp.result(), new Facts(ones(r), ones(r), k));
    }

    /** For tests and dumps: the integer constant a value is known to be, if any. */
    Long constant(Value v) { return constants.get(v); }

    static boolean isIntegerType(Value v) { return !v.type().isPointer() && v.type().dtype() != DType.I1 && v.type().dtype().isInteger(); }
}
