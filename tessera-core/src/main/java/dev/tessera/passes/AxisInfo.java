package dev.tessera.passes;

import dev.tessera.ir.KernelIR;
import dev.tessera.ir.Op;
import dev.tessera.ir.Region;
import dev.tessera.ir.Value;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Triton's axis analysis: for every value, per dimension, how long its runs of consecutive values
 * are, what power of two divides the first value of each run, and how long its runs of equal values
 * are. Backends use it to choose vector widths (a 16-byte-aligned run of 4 consecutive f32 pointers
 * is one 128-bit access) and to decide when a mask is constant over a vector.
 *
 * <p>Runs are aligned: along dimension d, positions [j·c, (j+1)·c) for run length c. Run lengths are
 * powers of two no longer than the dimension. Facts come from kernel parameters (pointer alignment
 * and integer divisors the launch guarantees), constants, arange, program ids, shape ops, integer
 * arithmetic, ptr_add, comparisons, select, hints (which override) and loops (the induction
 * variable from its bounds; carried values joined over iterations until stable). Everything else
 * gets the conservative facts (all 1). Signed overflow of offsets is assumed not to happen, as
 * in Triton; rules for division and remainder are used only where the dividend is known to be
 * non-negative.
 */
public final class AxisInfo {
    /** The largest divisibility recorded (that of 0 and of anything known to be a large power of two). */
    public static final int MAX_DIVISIBILITY = 1 << 30;

    /** Loops whose carried facts still change after this many passes over the body get no facts. */
    private static final int MAX_LOOP_PASSES = 64;

    /**
     * Per dimension (a scalar has one entry). contiguity: length of runs of consecutive increasing
     * values (for pointers: consecutive elements); divisibility: largest power of 2 dividing the first
     * value of each run (for pointers: in bytes); constancy: length of runs of equal values.
     */
    public record Facts(int[] contiguity, int[] divisibility, int[] constancy) {
        public Facts {
            contiguity = contiguity.clone();
            divisibility = divisibility.clone();
            constancy = constancy.clone();
            if (contiguity.length != divisibility.length || contiguity.length != constancy.length) {
                throw new IllegalArgumentException("facts need one entry per dimension for each kind");
            }
        }

        @Override
        public int[] contiguity() { return contiguity.clone(); }

        @Override
        public int[] divisibility() { return divisibility.clone(); }

        @Override
        public int[] constancy() { return constancy.clone(); }

        int rank() { return contiguity.length; }

        int c(int d) { return contiguity[d]; }

        int v(int d) { return divisibility[d]; }

        int k(int d) { return constancy[d]; }

        @Override
        public boolean equals(Object o) {
            return o instanceof Facts f && Arrays.equals(contiguity, f.contiguity) && Arrays.equals(divisibility, f.divisibility)
                    && Arrays.equals(constancy, f.constancy);
        }

        @Override
        public int hashCode() { return Arrays.hashCode(contiguity) * 31 * 31 + Arrays.hashCode(divisibility) * 31 + Arrays.hashCode(constancy); }

        /** "contiguity=[1, 128] divisibility=[16, 16] constancy=[1, 1]". */
        @Override
        public String toString() {
            return "contiguity=" + Arrays.toString(contiguity) + " divisibility=" + Arrays.toString(divisibility)
                    + " constancy=" + Arrays.toString(constancy);
        }
    }

    private final Map<Value, Facts> facts = new HashMap<>();
    private final Map<Value, Long> constants = new HashMap<>();
    private final Set<Value> nonNegative = new HashSet<>();
    private final AxisRules rules = new AxisRules(this);

    private AxisInfo() {}

    public static AxisInfo analyze(KernelIR kernel) {
        AxisInfo info = new AxisInfo();
        for (KernelIR.Param p : kernel.params()) {
            Value v = p.value();
            if (v.type().isScalar()) info.facts.put(v, new Facts(new int[] {1}, new int[] {pow2Floor(p.divisibility())}, new int[] {1}));
        }
        info.region(kernel.body());
        return info;
    }

    /** The facts about {@code v}; conservative ones (all 1) for values the analysis knows nothing of. */
    public Facts of(Value v) {
        Facts f = facts.get(v);
        return f != null ? f : unknown(Math.max(1, v.type().rank()));
    }

    // ------------------------------------------------------------------ what the rules read and write

    /** Whether every element of {@code v} is known to be at least 0 (unsigned, or so by its definition). */
    public boolean isNonNegative(Value v) { return nonNegative.contains(v) || (!v.type().isPointer() && v.type().dtype().isUnsigned()); }

    /** The integer every element of {@code v} equals, when known. */
    Long constant(Value v) { return constants.get(v); }

    void set(Value v, Facts f, boolean nonNeg, Long constant) {
        facts.put(v, clamp(v, f));
        if (nonNeg) nonNegative.add(v);
        else nonNegative.remove(v);
        if (constant != null) constants.put(v, constant);
        else constants.remove(v);
    }

    // ------------------------------------------------------------------ walking the kernel

    private void region(Region r) {
        for (Op op : r.ops()) {
            switch (op) {
                case Op.For f -> forLoop(f);
                case Op.While w -> whileLoop(w);
                case Op.If i -> branch(i);
                default -> rules.visit(op);
            }
        }
    }

    /** The induction variable starts at lower and steps by step; carried values join init and yield. */
    private void forLoop(Op.For f) {
        Value iv = f.body().args().getFirst();
        int div = Math.min(of(f.lower()).v(0), of(f.step()).v(0));
        set(iv, new Facts(new int[] {1}, new int[] {div}, new int[] {1}), isNonNegative(f.lower()), null);
        List<Value> args = f.body().args().subList(1, f.body().args().size());
        carried(f.inits(), List.of(args), List.of(f.body()), f.body(), f.results());
    }

    private void whileLoop(Op.While w) {
        carried(w.inits(), List.of(w.condition().args(), w.body().args()), List.of(w.condition(), w.body()), w.body(), w.results());
    }

    /**
     * Runs the loop's regions with facts for the carried arguments (one list per region) until a
     * pass changes nothing, each time joining what the body yields into the arguments; the results
     * get the final arguments' facts. Facts only shrink, so this ends; a bound guards it anyway.
     */
    private void carried(List<Value> inits, List<List<Value>> argLists, List<Region> regions, Region body, List<Value> results) {
        for (List<Value> args : argLists) for (int i = 0; i < inits.size(); i++) copy(inits.get(i), args.get(i));
        List<Value> args = argLists.getFirst();
        boolean stable = false;
        for (int pass = 0; pass < MAX_LOOP_PASSES && !stable; pass++) {
            regions.forEach(this::region);
            List<Value> yields = ((Op.Yield) body.terminator()).values();
            stable = true;
            for (int i = 0; i < args.size(); i++) {
                Value arg = args.get(i), y = yields.get(i);
                Facts joined = join(of(arg), of(y));
                boolean nonNeg = isNonNegative(arg) && isNonNegative(y);
                Long c = Objects.equals(constant(arg), constant(y)) ? constant(arg) : null;
                if (!joined.equals(of(arg)) || nonNeg != isNonNegative(arg) || !Objects.equals(c, constant(arg))) {
                    stable = false;
                    for (List<Value> list : argLists) set(list.get(i), joined, nonNeg, c);
                }
            }
        }
        if (!stable) {
            for (List<Value> list : argLists) for (Value a : list) set(a, unknown(Math.max(1, a.type().rank())), false, null);
            regions.forEach(this::region);
        }
        for (int i = 0; i < results.size(); i++) copy(args.get(i), results.get(i));
    }

    private void branch(Op.If i) {
        region(i.thenRegion());
        region(i.elseRegion());
        List<Value> a = ((Op.Yield) i.thenRegion().terminator()).values(), b = ((Op.Yield) i.elseRegion().terminator()).values();
        for (int j = 0; j < i.results().size(); j++) {
            Value x = a.get(j), y = b.get(j);
            set(i.results().get(j), join(of(x), of(y)), isNonNegative(x) && isNonNegative(y),
                    Objects.equals(constant(x), constant(y)) ? constant(x) : null);
        }
    }

    private void copy(Value from, Value to) { set(to, of(from), isNonNegative(from), constant(from)); }

    // ------------------------------------------------------------------ facts arithmetic

    static Facts unknown(int rank) {
        int[] ones = new int[rank];
        Arrays.fill(ones, 1);
        return new Facts(ones, ones, ones);
    }

    /** Facts that hold for either of two values (loop iterations, branches). */
    static Facts join(Facts a, Facts b) {
        int n = a.rank();
        int[] c = new int[n], v = new int[n], k = new int[n];
        for (int d = 0; d < n; d++) {
            c[d] = Math.min(a.c(d), b.c(d));
            k[d] = Math.min(a.k(d), b.k(d));
            v[d] = Math.min(divisibilityAt(a, d, c[d]), divisibilityAt(b, d, c[d]));
        }
        return new Facts(c, v, k);
    }

    /**
     * A power of two dividing the value at every position along d that is a multiple of {@code run}:
     * the divisibility itself where those positions start runs, else the run-start divisibility
     * limited by the distance from the run start (a multiple of {@code run}).
     */
    static int divisibilityAt(Facts f, int d, int run) {
        if (f.c(d) == 1 || run % f.c(d) == 0) return f.v(d);
        return Math.min(f.v(d), Integer.lowestOneBit(run));
    }

    /** A power of two dividing every element: any dimension whose runs have length 1 gives one. */
    static int elementDivisibility(Facts f) {
        int best = 1;
        for (int d = 0; d < f.rank(); d++) if (f.c(d) == 1) best = Math.max(best, f.v(d));
        return best;
    }

    /** The largest power of two dividing x (of 0: the maximum). */
    static int pow2Divisor(long x) {
        if (x == 0) return MAX_DIVISIBILITY;
        long low = Long.lowestOneBit(x);
        return low <= 0 || low > MAX_DIVISIBILITY ? MAX_DIVISIBILITY : (int) low;
    }

    /** The largest power of two not above x (at least 1). */
    static int pow2Floor(long x) { return x < 1 ? 1 : (int) Math.min(MAX_DIVISIBILITY, Long.highestOneBit(x)); }

    /** Run lengths are powers of two within [1, dimension]; divisibility within [1, maximum]. */
    private static Facts clamp(Value v, Facts f) {
        int rank = Math.max(1, v.type().rank());
        if (f.rank() != rank) throw new IllegalStateException("facts of rank " + f.rank() + " for " + v.type());
        int[] c = new int[rank], dv = new int[rank], k = new int[rank];
        for (int d = 0; d < rank; d++) {
            int size = v.type().isScalar() ? 1 : v.type().shape().dim(d);
            c[d] = Math.min(pow2Floor(f.c(d)), pow2Floor(size));
            k[d] = Math.min(pow2Floor(f.k(d)), pow2Floor(size));
            dv[d] = pow2Floor(Math.min(f.v(d), MAX_DIVISIBILITY));
        }
        return new Facts(c, dv, k);
    }
}
