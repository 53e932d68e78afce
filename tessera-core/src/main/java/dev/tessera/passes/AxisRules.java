package dev.tessera.passes;

import static dev.tessera.passes.AxisInfo.MAX_DIVISIBILITY;
import static dev.tessera.passes.AxisInfo.divisibilityAt;
import static dev.tessera.passes.AxisInfo.elementDivisibility;
import static dev.tessera.passes.AxisInfo.pow2Divisor;
import static dev.tessera.passes.AxisInfo.unknown;

import dev.tessera.ir.Op;
import dev.tessera.ir.Shape;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import dev.tessera.passes.AxisInfo.Facts;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * The facts each op's result gets from its operands' (see {@link AxisInfo} for their meaning). Every
 * rule is written so the facts it claims hold for all values the operands may have, given theirs.
 */
final class AxisRules {
    private final AxisInfo info;
    /** Comparisons that, when true, say their left side is at least 0 (x >= c, x > c - 1 for a constant c >= 0): what an assume of them teaches. */
    private final java.util.Map<Value, Value> nonNegativeWhenTrue = new java.util.HashMap<>();

    AxisRules(AxisInfo info) { this.info = info; }

    private Facts of(Value v) { return info.of(v); }

    void visit(Op op) {
        switch (op) {
            case Op.ProgramId p -> scalar(p.result(), 1, true, null);
            case Op.NumPrograms p -> scalar(p.result(), 1, true, null);
            case Op.Constant c -> constant(c);
            case Op.Arange a -> {
                int n = a.end() - a.start();
                info.set(a.result(), new Facts(new int[] {n}, new int[] {pow2Divisor(a.start())}, new int[] {1}), a.start() >= 0, n == 1 ? (long) a.start() : null);
            }
            case Op.Splat s -> uniform(s.result(), elementDivisibility(of(s.source())), s.source());
            case Op.Broadcast b -> broadcast(b);
            case Op.ExpandDims e -> {
                Facts f = of(e.source());
                Facts r = e.source().type().isScalar() ? f
                        : insert(f, e.axis(), elementDivisibility(f));
                info.set(e.result(), r, info.isNonNegative(e.source()), info.constant(e.source()));
            }
            case Op.Reshape r -> reshape(r);
            case Op.Permute p -> {
                Facts f = of(p.source());
                int n = f.rank();
                int[] c = new int[n], v = new int[n], k = new int[n];
                for (int d = 0; d < n; d++) {
                    int from = p.order().get(d);
                    c[d] = f.c(from);
                    v[d] = f.v(from);
                    k[d] = f.k(from);
                }
                info.set(p.result(), new Facts(c, v, k), info.isNonNegative(p.source()), info.constant(p.source()));
            }
            case Op.Hint h -> hint(h);
            case Op.Convert c -> convert(c);
            case Op.Bitcast b -> bitcast(b);
            case Op.Unary u -> unary(u);
            case Op.Binary b -> binary(b);
            case Op.Compare c -> compare(c);
            case Op.Select s -> select(s);
            case Op.PtrAdd p -> add(p.result(), of(p.pointer()), of(p.offset()), p.pointer().type().pointee().byteSize(), false, null);
            case Op.Load l -> load(l);
            case Op.Fma f -> elementwise(f.result(), f.a(), f.b(), f.c());
            // the user's promise that a value is non-negative (TMA writes need their offsets so): kept as a fact of that value
            case Op.Assume a -> {
                Value x = nonNegativeWhenTrue.get(a.condition());
                if (x != null) info.set(x, of(x), true, info.constant(x));
            }
            default -> { for (Value r : op.results()) info.set(r, unknown(Math.max(1, r.type().rank())), false, null); }
        }
    }

    // ------------------------------------------------------------------ sources and shapes

    private void scalar(Value r, int divisibility, boolean nonNeg, Long constant) {
        info.set(r, new Facts(new int[] {1}, new int[] {divisibility}, new int[] {1}), nonNeg, constant);
    }

    private void constant(Op.Constant c) {
        Type t = c.result().type();
        boolean integer = t.dtype().isInteger() || t.dtype().isBool();
        long value = integer ? c.value().longValue() : 0;
        int div = integer ? pow2Divisor(value) : 1;
        uniformOf(c.result(), div, integer && (value >= 0 || t.dtype().isUnsigned()), integer ? value : null);
    }

    /** Every element equals the scalar {@code source}. */
    private void uniform(Value r, int divisibility, Value source) {
        uniformOf(r, divisibility, info.isNonNegative(source), info.constant(source));
    }

    private void uniformOf(Value r, int divisibility, boolean nonNeg, Long constant) {
        Shape s = r.type().shape();
        int n = Math.max(1, s.rank());
        int[] c = new int[n], v = new int[n], k = new int[n];
        for (int d = 0; d < n; d++) {
            c[d] = 1;
            v[d] = divisibility;
            k[d] = s.isScalar() ? 1 : s.dim(d);
        }
        info.set(r, new Facts(c, v, k), nonNeg, constant);
    }

    /** Stretched dimensions repeat one value; the others keep their facts. */
    private void broadcast(Op.Broadcast b) {
        Facts f = of(b.source());
        Shape from = b.source().type().shape(), to = b.result().type().shape();
        int n = to.rank();
        int[] c = new int[n], v = new int[n], k = new int[n];
        for (int d = 0; d < n; d++) {
            boolean stretched = from.dim(d) == 1 && to.dim(d) > 1;
            c[d] = stretched ? 1 : f.c(d);
            v[d] = f.v(d);
            k[d] = stretched ? to.dim(d) : f.k(d);
        }
        info.set(b.result(), new Facts(c, v, k), info.isNonNegative(b.source()), info.constant(b.source()));
    }

    /** A new size-1 dimension: each element is its own run, divisible as every element is. */
    private static Facts insert(Facts f, int axis, int divisibility) {
        int n = f.rank() + 1;
        int[] c = new int[n], v = new int[n], k = new int[n];
        for (int d = 0, s = 0; d < n; d++) {
            if (d == axis) {
                c[d] = 1;
                v[d] = divisibility;
                k[d] = 1;
            } else {
                c[d] = f.c(s);
                v[d] = f.v(s);
                k[d] = f.k(s);
                s++;
            }
        }
        return new Facts(c, v, k);
    }

    /**
     * Adding or removing size-1 dimensions keeps the others' facts. Other reshapes keep only what
     * holds for every element (and uniformity).
     */
    private void reshape(Op.Reshape r) {
        Facts f = of(r.source());
        Shape from = r.source().type().shape(), to = r.result().type().shape();
        boolean nonNeg = info.isNonNegative(r.source());
        Long constant = info.constant(r.source());
        int[] fromDims = nonUnit(from), toDims = nonUnit(to);
        if (java.util.Arrays.equals(fromDims, toDims)) {
            int n = Math.max(1, to.rank());
            int[] c = new int[n], v = new int[n], k = new int[n];
            int every = elementDivisibility(f);
            for (int d = 0, s = 0; d < n; d++) {
                while (s < from.rank() && from.dim(s) == 1) s++;
                if (to.isScalar() || to.dim(d) == 1) {
                    c[d] = 1;
                    v[d] = every;
                    k[d] = 1;
                } else {
                    c[d] = f.c(s);
                    v[d] = f.v(s);
                    k[d] = f.k(s);
                    s++;
                }
            }
            info.set(r.result(), new Facts(c, v, k), nonNeg, constant);
        } else if (isUniform(f, from)) {
            uniformOf(r.result(), elementDivisibility(f), nonNeg, constant);
        } else {
            Facts u = unknown(Math.max(1, to.rank()));
            int[] v = u.divisibility();
            java.util.Arrays.fill(v, elementDivisibility(f));
            info.set(r.result(), new Facts(u.contiguity(), v, u.constancy()), nonNeg, constant);
        }
    }

    private static int[] nonUnit(Shape s) {
        return java.util.Arrays.stream(s.dims()).filter(d -> d != 1).toArray();
    }

    private static boolean isUniform(Facts f, Shape s) {
        for (int d = 0; d < s.rank(); d++) if (f.k(d) < s.dim(d)) return false;
        return true;
    }

    /**
     * Hints replace what they state. A value stated as n gives the largest power of two dividing n:
     * a multiple of 24 is a multiple of 8, and runs of 24 aligned at multiples of 24 hold aligned
     * runs of 8 (but not of 16).
     */
    private void hint(Op.Hint h) {
        Facts f = of(h.source());
        int[] c = f.contiguity(), v = f.divisibility(), k = f.constancy();
        int[] target = switch (h.kind()) {
            case MULTIPLE_OF -> v;
            case MAX_CONTIGUOUS -> c;
            case MAX_CONSTANCY -> k;
        };
        for (int d = 0; d < target.length && d < h.values().size(); d++) target[d] = pow2Divisor(h.values().get(d));
        info.set(h.result(), new Facts(c, v, k), info.isNonNegative(h.source()), info.constant(h.source()));
    }

    // ------------------------------------------------------------------ conversions and elementwise

    private void convert(Op.Convert c) {
        Type from = c.source().type(), to = c.result().type();
        DType f = from.dtype(), t = to.dtype();
        Facts src = of(c.source());
        boolean integers = (f.isInteger() || f.isBool()) && t.isInteger();
        boolean nonNeg = info.isNonNegative(c.source());
        // a conversion that keeps every value keeps every fact: widening within a signedness, from
        // i1 or an unsigned type to a wider signed one, and of non-negative signed values to unsigned
        boolean keepsValues = integers && t.bits() >= f.bits() && (f.isBool() || f.isSigned() == t.isSigned()
                || f.isUnsigned() && t.bits() > f.bits() || f.isSigned() && nonNeg);
        if (keepsValues) {
            info.set(c.result(), src, nonNeg || t.isUnsigned(), info.constant(c.source()));
        } else if (integers) {
            // truncation keeps the low bits, so divisibility survives up to the width; runs may wrap
            int cap = 1 << Math.min(30, t.bits() - 1);
            Facts k = constancyOnly(src);
            int[] v = k.divisibility();
            java.util.Arrays.fill(v, Math.min(elementDivisibility(src), cap));
            info.set(c.result(), new Facts(k.contiguity(), v, k.constancy()), t.isUnsigned(), null);
        } else {
            elementwise(c.result(), c.source());
        }
    }

    /**
     * Between pointers and 64-bit integers the bits are the address: divisibility and constancy
     * stay, and runs stay consecutive where one step is the same number of bytes (an f32 pointer
     * steps by 4, an integer by 1). Other bitcasts keep only constancy.
     */
    private void bitcast(Op.Bitcast b) {
        Type from = b.source().type(), to = b.result().type();
        if (!from.isPointer() && !to.isPointer()) {
            elementwise(b.result(), b.source());
            return;
        }
        Facts f = of(b.source());
        int[] c = f.contiguity();
        if (step(from) != step(to)) java.util.Arrays.fill(c, 1);
        info.set(b.result(), new Facts(c, f.divisibility(), f.constancy()), false, info.constant(b.source()));
    }

    /** Bytes between consecutive values of a run. */
    private static int step(Type t) { return t.isPointer() ? t.pointee().byteSize() : 1; }

    /** An elementwise function of its operands: equal inputs give equal outputs, nothing more. */
    private void elementwise(Value r, Value... operands) {
        Facts k = constancyOnly(of(operands[0]));
        for (Value o : operands) k = minConstancy(k, of(o));
        info.set(r, k, false, null);
    }

    private static Facts constancyOnly(Facts f) {
        Facts u = unknown(f.rank());
        return new Facts(u.contiguity(), u.divisibility(), f.constancy());
    }

    private static Facts minConstancy(Facts a, Facts b) {
        int[] k = a.constancy();
        for (int d = 0; d < k.length; d++) k[d] = Math.min(k[d], b.k(d));
        return new Facts(a.contiguity(), a.divisibility(), k);
    }

    private void unary(Op.Unary u) {
        boolean integer = !u.x().type().dtype().isFloat();
        switch (u.fn()) {
            // −x and |x| have the divisibility of x
            case NEG, ABS -> {
                Facts k = constancyOnly(of(u.x()));
                int[] v = k.divisibility();
                if (integer) java.util.Arrays.fill(v, elementDivisibility(of(u.x())));
                info.set(u.result(), new Facts(k.contiguity(), v, k.constancy()), false, null);
            }
            default -> elementwise(u.result(), u.x());
        }
    }

    // ------------------------------------------------------------------ integer arithmetic

    private void binary(Op.Binary b) {
        if (b.result().type().dtype().isFloat()) {
            elementwise(b.result(), b.lhs(), b.rhs());
            return;
        }
        Facts l = of(b.lhs()), r = of(b.rhs());
        Long lc = info.constant(b.lhs()), rc = info.constant(b.rhs());
        boolean ln = info.isNonNegative(b.lhs()), rn = info.isNonNegative(b.rhs());
        Long constant = lc != null && rc != null ? (Long) ConstantArithmetic.binary(b.fn(), b.result().type().dtype(), lc, rc) : null;
        Value res = b.result();
        switch (b.fn()) {
            case ADD -> add(res, l, r, 1, ln && rn, constant);
            case SUB -> sub(res, l, r, constant);
            case MUL -> {
                if (rc != null && rc == 1) info.set(res, l, ln, lc);
                else if (lc != null && lc == 1) info.set(res, r, rn, rc);
                else perElement(res, l, r, (x, y) -> (int) Math.min(MAX_DIVISIBILITY, (long) x * y), ln && rn, constant);
            }
            case DIV -> div(b, l, r, lc, rc, ln, constant);
            case REM -> rem(b, l, r, rc, ln, constant);
            // x & y keeps the trailing zeros of either; x | y and x ^ y only those of both
            case AND -> perElement(res, l, r, Math::max, ln || rn, constant);
            case OR, XOR -> perElement(res, l, r, Math::min, ln && rn, constant);
            case SHL -> shiftLeft(b, l, rc, constant);
            case SHR -> shiftRight(b, l, rc, ln, constant);
            case MAX, MIN -> info.set(res, eitherOf(l, r), b.fn() == Op.Binary.Fn.MAX ? ln || rn : ln && rn, constant);
            default -> elementwise(res, b.lhs(), b.rhs());
        }
    }

    /**
     * x + y is contiguous where one side is contiguous and the other constant over the same
     * aligned block; its run starts are sums of the operands' values there. Pointers add offsets
     * scaled by the element size (divisibility in bytes, contiguity in elements).
     */
    private void add(Value res, Facts l, Facts r, int elementSize, boolean nonNeg, Long constant) {
        int n = l.rank();
        int[] c = new int[n], v = new int[n], k = new int[n];
        for (int d = 0; d < n; d++) {
            c[d] = Math.max(Math.min(l.c(d), r.k(d)), Math.min(l.k(d), r.c(d)));
            k[d] = Math.min(l.k(d), r.k(d));
            long scaled = (long) divisibilityAt(r, d, c[d]) * elementSize;
            v[d] = (int) Math.min(divisibilityAt(l, d, c[d]), Math.min(scaled, MAX_DIVISIBILITY));
        }
        info.set(res, new Facts(c, v, k), nonNeg, constant);
    }

    /** x − y is contiguous only where y is constant (a contiguous y makes it decrease). */
    private void sub(Value res, Facts l, Facts r, Long constant) {
        int n = l.rank();
        int[] c = new int[n], v = new int[n], k = new int[n];
        for (int d = 0; d < n; d++) {
            c[d] = Math.min(l.c(d), r.k(d));
            k[d] = Math.min(l.k(d), r.k(d));
            v[d] = Math.min(divisibilityAt(l, d, c[d]), divisibilityAt(r, d, c[d]));
        }
        info.set(res, new Facts(c, v, k), false, constant);
    }

    /** No runs of consecutive values; every element divisible as {@code combine} of the operands' elements. */
    private void perElement(Value res, Facts l, Facts r, java.util.function.IntBinaryOperator combine, boolean nonNeg, Long constant) {
        int n = l.rank();
        int[] c = new int[n], v = new int[n], k = new int[n];
        for (int d = 0; d < n; d++) {
            c[d] = 1;
            k[d] = Math.min(l.k(d), r.k(d));
            v[d] = combine.applyAsInt(divisibilityAt(l, d, 1), divisibilityAt(r, d, 1));
        }
        info.set(res, new Facts(c, v, k), nonNeg, constant);
    }

    /**
     * Each element is one of the operands' (max, min): runs where both are consecutive stay
     * consecutive (both step by one), and run starts are divisible as either operand's there.
     */
    private static Facts eitherOf(Facts l, Facts r) {
        int n = l.rank();
        int[] c = new int[n], v = new int[n], k = new int[n];
        for (int d = 0; d < n; d++) {
            c[d] = Math.min(l.c(d), r.c(d));
            k[d] = Math.min(l.k(d), r.k(d));
            v[d] = Math.min(divisibilityAt(l, d, c[d]), divisibilityAt(r, d, c[d]));
        }
        return new Facts(c, v, k);
    }

    /**
     * The largest aligned block on which a non-negative contiguous x divided by a y that is constant
     * there stays constant (x / y) or consecutive (x % y): blocks of g values starting at multiples of
     * g, where g divides both the run-start divisibility of x and y.
     */
    private static int quotientBlock(Facts l, Facts r, int d) {
        if (l.c(d) == 1) return 1;
        return Math.min(Math.min(l.c(d), l.v(d)), Math.min(r.v(d), r.k(d)));
    }

    private void div(Op.Binary b, Facts l, Facts r, Long lc, Long rc, boolean ln, Long constant) {
        Value res = b.result();
        if (rc != null && rc == 1) {
            info.set(res, l, ln, lc);
            return;
        }
        int n = l.rank();
        int[] c = new int[n], v = new int[n], k = new int[n];
        for (int d = 0; d < n; d++) {
            c[d] = 1;
            k[d] = Math.min(l.k(d), r.k(d));
            if (ln) k[d] = Math.max(k[d], quotientBlock(l, r, d));
            // an exact division by ±2^m leaves 2^(a−m) of a dividend divisible by 2^a
            boolean powerOfTwo = rc != null && rc != 0 && rc != Long.MIN_VALUE && Long.bitCount(Math.abs(rc)) == 1;
            v[d] = powerOfTwo ? (int) Math.max(1, divisibilityAt(l, d, 1) / Math.abs(rc)) : 1;
        }
        info.set(res, new Facts(c, v, k), ln && rc != null && rc > 0, constant);
    }

    private void rem(Op.Binary b, Facts l, Facts r, Long rc, boolean ln, Long constant) {
        Value res = b.result();
        if (rc != null && (rc == 1 || rc == -1)) {
            uniformOf(res, MAX_DIVISIBILITY, true, 0L);
            return;
        }
        int n = l.rank();
        int[] c = new int[n], v = new int[n], k = new int[n];
        for (int d = 0; d < n; d++) {
            c[d] = ln ? quotientBlock(l, r, d) : 1;
            k[d] = Math.min(l.k(d), r.k(d));
            // x % y = x − y·q is divisible by what divides both
            v[d] = Math.min(divisibilityAt(l, d, c[d]), divisibilityAt(r, d, c[d]));
        }
        info.set(res, new Facts(c, v, k), ln, constant);
    }

    private void shiftLeft(Op.Binary b, Facts l, Long shift, Long constant) {
        Value res = b.result();
        int bits = b.result().type().dtype().bits();
        Facts r = of(b.rhs());
        if (shift == null) {
            perElement(res, l, r, (x, y) -> 1, false, constant);
        } else if (shift == 0) {
            info.set(res, l, info.isNonNegative(b.lhs()), info.constant(b.lhs()));
        } else if (shift < 0 || shift >= bits) {
            uniformOf(res, MAX_DIVISIBILITY, true, 0L);
        } else {
            long factor = 1L << Math.min(shift, 31);
            perElement(res, l, r, (x, y) -> (int) Math.min(MAX_DIVISIBILITY, x * factor), false, constant);
        }
    }

    /** A right shift by s is a floor division by 2^s (for signed and unsigned types alike). */
    private void shiftRight(Op.Binary b, Facts l, Long shift, boolean ln, Long constant) {
        Value res = b.result();
        int bits = b.result().type().dtype().bits();
        Facts r = of(b.rhs());
        if (shift == null || shift < 0 || shift >= bits) {
            perElement(res, l, r, (x, y) -> 1, ln, constant);
            return;
        }
        if (shift == 0) {
            info.set(res, l, ln, info.constant(b.lhs()));
            return;
        }
        int n = l.rank();
        long divisor = 1L << shift;
        int[] c = new int[n], v = new int[n], k = new int[n];
        for (int d = 0; d < n; d++) {
            c[d] = 1;
            int block = l.c(d) == 1 ? 1 : (int) Math.min(Math.min(l.c(d), l.v(d)), divisor);
            k[d] = Math.max(Math.min(l.k(d), r.k(d)), block);
            v[d] = (int) Math.max(1, divisibilityAt(l, d, 1) / divisor);
        }
        info.set(res, new Facts(c, v, k), ln, constant);
    }

    // ------------------------------------------------------------------ masks and choices

    /**
     * x &lt; n and x &gt;= n (and n &gt; x, n &lt;= x) are constant over aligned blocks of consecutive
     * x that start at multiples of the block, when n is constant there and divisible by the block:
     * the whole block lies on one side of n. Other comparisons are constant where both sides are.
     */
    private void compare(Op.Compare c) {
        Facts l = of(c.lhs()), r = of(c.rhs());
        Long lc = info.constant(c.lhs()), rc = info.constant(c.rhs());
        int n = l.rank();
        int[] k = new int[n];
        for (int d = 0; d < n; d++) {
            k[d] = Math.min(l.k(d), r.k(d));
            switch (c.fn()) {
                case LT, GE -> k[d] = Math.max(k[d], quotientBlock(l, r, d));
                case GT, LE -> k[d] = Math.max(k[d], quotientBlock(r, l, d));
                default -> { }
            }
        }
        Facts u = unknown(n);
        Long constant = lc != null && rc != null
                ? (ConstantArithmetic.compare(c.fn(), c.lhs().type().dtype(), lc, rc) ? 1L : 0L) : null;
        info.set(c.result(), new Facts(u.contiguity(), u.divisibility(), k), true, constant);
        if (c.lhs().type().isScalar() && c.lhs().type().dtype().isInteger() && rc != null
                && (c.fn() == Op.Compare.Fn.GE && rc >= 0 || c.fn() == Op.Compare.Fn.GT && rc >= -1)) {
            nonNegativeWhenTrue.put(c.result(), c.lhs());
        }
    }

    private void select(Op.Select s) {
        Long cond = info.constant(s.condition());
        if (cond != null) {
            Value chosen = cond != 0 ? s.ifTrue() : s.ifFalse();
            info.set(s.result(), of(chosen), info.isNonNegative(chosen), info.constant(chosen));
            return;
        }
        Facts m = of(s.condition()), a = of(s.ifTrue()), b = of(s.ifFalse());
        int n = a.rank();
        int[] c = new int[n], v = new int[n], k = new int[n];
        for (int d = 0; d < n; d++) {
            c[d] = Math.min(Math.min(a.c(d), b.c(d)), m.k(d));
            k[d] = Math.min(Math.min(a.k(d), b.k(d)), m.k(d));
            v[d] = Math.min(divisibilityAt(a, d, c[d]), divisibilityAt(b, d, c[d]));
        }
        Long ca = info.constant(s.ifTrue());
        info.set(s.result(), new Facts(c, v, k), info.isNonNegative(s.ifTrue()) && info.isNonNegative(s.ifFalse()),
                ca != null && ca.equals(info.constant(s.ifFalse())) ? ca : null);
    }

    /**
     * Lanes reading one address at once read one value, and masked-off lanes read {@code other}: a
     * load is constant where its pointers, mask and other all are.
     */
    private void load(Op.Load l) {
        List<Value> parts = new ArrayList<>(List.of(l.pointer()));
        if (l.mask() != null) parts.add(l.mask());
        if (l.other() != null) parts.add(l.other());
        elementwise(l.result(), parts.toArray(Value[]::new));
    }
}
