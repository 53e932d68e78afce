package dev.tessera.cuda.codegen.layout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.Set;

/**
 * A linear map over GF(2) from named input dimensions to named output dimensions: Triton's
 * "linear layout", the one representation for where a tile's elements live, in registers
 * (register, lane, warp, block to tile coordinates) and in shared memory (offset to tile
 * coordinates, with XOR swizzling).
 *
 * <p>Each input dimension has a size {@code 2^k} and {@code k} bases, one per bit of its index;
 * a basis holds one value per output dimension. The image of an input is the XOR, dimension by
 * dimension, of the bases of its set bits, so {@code apply(x ^ y) = apply(x) ^ apply(y)}. Output
 * dimensions have power-of-two sizes and every basis value lies below its dimension's size. The
 * map need be neither injective (a zero basis: copies of the same elements, as in lanes that
 * replicate data) nor surjective.
 *
 * <p>Dimensions are ordered, and the order means what a tile's shape order means in Tessera:
 * row-major, the LAST dimension varies fastest. Flattening the dimensions {@code d0, ..., dn-1}
 * makes {@code d_{n-1}} the lowest bits of the flat index, then {@code d_{n-2}}, and so on (the
 * flat index of {@link DistributedLayout}, see {@link DistributedLayout#dimShift}). Every operation
 * that depends on an order uses this one: {@link #reshapeIns}, {@link #reshapeOuts}, the choice of
 * preimage in {@link #invertAndCompose} (the smallest flat input) and {@link #freeVariableMasks}.
 * When that choice matters, list the input dimensions from the costliest to move along to the
 * cheapest (warp, lane, register: then the smallest preimage stays in the same warp and lane
 * wherever it can).
 *
 * <p>Instances are immutable. The algebra works on the layout as a matrix of at most 62 input
 * by 62 output bits.
 */
public final class LinearLayout {
    public static final String REGISTER = "register";
    public static final String LANE = "lane";
    public static final String WARP = "warp";
    public static final String BLOCK = "block";
    public static final String OFFSET = "offset";
    private static final int MAX_BITS = 62;
    private static final int MAX_DIM_BITS = 30;

    /** The name of tile dimension {@code d}: "dim0", "dim1", ... (dimension {@code d} of a {@code Shape}). */
    public static String dim(int d) {
        if (d < 0) throw new IllegalArgumentException("dimension " + d);
        return "dim" + d;
    }

    /** A named dimension and its size, a power of two (1 included). */
    public record Dim(String name, int size) {
        public Dim {
            if (name == null || name.isEmpty()) throw new IllegalArgumentException("a dimension needs a name");
            if (size <= 0 || Integer.bitCount(size) != 1) throw new IllegalArgumentException("dimension " + name + " of size " + size + " is not a power of 2");
        }

        int log2() { return Integer.numberOfTrailingZeros(size); }
    }

    private final List<String> inNames;
    /** bases[k][i][o]: output {@code o} of bit {@code i} of input dimension {@code k}. */
    private final int[][][] bases;
    private final List<String> outNames;
    private final int[] outLog2;

    private LinearLayout(List<String> inNames, int[][][] bases, List<String> outNames, int[] outLog2) {
        this.inNames = List.copyOf(inNames);
        this.bases = bases;
        this.outNames = List.copyOf(outNames);
        this.outLog2 = outLog2;
        requireDistinct(this.inNames, "input");
        requireDistinct(this.outNames, "output");
        if (bases.length != inNames.size() || outLog2.length != outNames.size()) throw new IllegalArgumentException("dimension lists of different lengths");
        int inBits = 0, outBits = 0;
        for (int[][] dimBases : bases) inBits += dimBases.length;
        for (int l : outLog2) outBits += l;
        for (int k = 0; k < bases.length; k++) {
            if (bases[k].length > MAX_DIM_BITS) throw new IllegalArgumentException("input dimension " + inNames.get(k) + " has more than 2^" + MAX_DIM_BITS + " values");
        }
        if (inBits > MAX_BITS || outBits > MAX_BITS) throw new IllegalArgumentException("a linear layout has at most " + MAX_BITS + " input and output bits");
        for (int k = 0; k < bases.length; k++) {
            for (int[] basis : bases[k]) {
                if (basis.length != outNames.size()) {
                    throw new IllegalArgumentException("a basis of " + inNames.get(k) + " has " + basis.length + " values for " + outNames.size() + " output dimensions");
                }
                for (int o = 0; o < basis.length; o++) {
                    if (basis[o] < 0 || basis[o] >= 1 << outLog2[o]) {
                        throw new IllegalArgumentException("basis value " + basis[o] + " of " + inNames.get(k) + " is outside " + outNames.get(o) + " of size " + (1 << outLog2[o]));
                    }
                }
            }
        }
    }

    private static void requireDistinct(List<String> names, String what) {
        if (new HashSet<>(names).size() != names.size()) throw new IllegalArgumentException("repeated " + what + " dimension in " + names);
    }

    // ------------------------------------------------------------------ construction

    /** Builds a layout dimension by dimension, in order. */
    public static Builder builder() { return new Builder(); }

    /** Input dimensions with their bases and output dimensions with their sizes, each list in order. */
    public static final class Builder {
        private final SequencedMap<String, int[][]> ins = new LinkedHashMap<>();
        private final SequencedMap<String, Integer> outs = new LinkedHashMap<>();

        private Builder() {}

        /** An input dimension of size {@code 2^bases.length}; each basis has one value per output dimension, in their order. */
        public Builder in(String name, int[]... bases) {
            if (ins.containsKey(name)) throw new IllegalArgumentException("repeated input dimension " + name);
            int[][] copy = new int[bases.length][];
            for (int i = 0; i < bases.length; i++) copy[i] = bases[i].clone();
            ins.put(name, copy);
            return this;
        }

        public Builder out(String name, int size) {
            if (outs.containsKey(name)) throw new IllegalArgumentException("repeated output dimension " + name);
            outs.put(name, new Dim(name, size).size());
            return this;
        }

        public LinearLayout build() {
            return new LinearLayout(new ArrayList<>(ins.keySet()), ins.values().toArray(int[][][]::new), new ArrayList<>(outs.keySet()),
                    outs.values().stream().mapToInt(Integer::numberOfTrailingZeros).toArray());
        }
    }

    /** The layout with no dimensions: the unit of {@link #product}. */
    public static LinearLayout empty() { return new LinearLayout(List.of(), new int[0][][], List.of(), new int[0]); }

    /** {@code in -> out}, {@code x -> x} for {@code x < size}. */
    public static LinearLayout identity1D(int size, String in, String out) { return strided1D(size, 1, in, out); }

    /** {@code in -> out}, {@code x -> stride * x}: the output dimension has size {@code size * stride}. */
    public static LinearLayout strided1D(int size, int stride, String in, String out) {
        int n = new Dim(in, size).log2();
        if (stride <= 0 || Integer.bitCount(stride) != 1) throw new IllegalArgumentException("stride " + stride + " is not a power of 2");
        int[][] b = new int[n][];
        for (int i = 0; i < n; i++) b[i] = new int[] {stride << i};
        return new LinearLayout(List.of(in), new int[][][] {b}, List.of(out), new int[] {Integer.numberOfTrailingZeros(stride) + n});
    }

    /** {@code in -> out} of size 1, every input to 0: a broadcast, all {@code size} inputs see the same element. */
    public static LinearLayout zeros1D(int size, String in, String out) {
        int[][] b = new int[new Dim(in, size).log2()][];
        for (int i = 0; i < b.length; i++) b[i] = new int[] {0};
        return new LinearLayout(List.of(in), new int[][][] {b}, List.of(out), new int[] {0});
    }

    // ------------------------------------------------------------------ dimensions

    public List<String> inDimNames() { return inNames; }

    public List<String> outDimNames() { return outNames; }

    public List<Dim> inDims() {
        List<Dim> out = new ArrayList<>();
        for (int k = 0; k < inNames.size(); k++) out.add(new Dim(inNames.get(k), 1 << bases[k].length));
        return out;
    }

    public List<Dim> outDims() {
        List<Dim> out = new ArrayList<>();
        for (int o = 0; o < outNames.size(); o++) out.add(new Dim(outNames.get(o), 1 << outLog2[o]));
        return out;
    }

    public boolean hasInDim(String name) { return inNames.contains(name); }

    public boolean hasOutDim(String name) { return outNames.contains(name); }

    public int inDimSizeLog2(String name) { return bases[inIndex(name)].length; }

    public int inDimSize(String name) { return 1 << inDimSizeLog2(name); }

    public int outDimSizeLog2(String name) { return outLog2[outIndex(name)]; }

    public int outDimSize(String name) { return 1 << outDimSizeLog2(name); }

    public int totalInDimSizeLog2() {
        int n = 0;
        for (int[][] b : bases) n += b.length;
        return n;
    }

    /** The number of distinct inputs (a long: up to 2^62). */
    public long totalInDimSize() { return 1L << totalInDimSizeLog2(); }

    public int totalOutDimSizeLog2() {
        int n = 0;
        for (int l : outLog2) n += l;
        return n;
    }

    public long totalOutDimSize() { return 1L << totalOutDimSizeLog2(); }

    /** The image of bit {@code i} of input {@code in} (its value {@code 2^i}): one value per output dimension. */
    public int[] basis(String in, int i) { return bases[inIndex(in)][i].clone(); }

    public int basis(String in, int i, String out) { return bases[inIndex(in)][i][outIndex(out)]; }

    /** All bases of input {@code in}, lowest bit first. */
    public int[][] bases(String in) {
        int[][] b = bases[inIndex(in)];
        int[][] copy = new int[b.length][];
        for (int i = 0; i < b.length; i++) copy[i] = b[i].clone();
        return copy;
    }

    private int inIndex(String name) {
        int k = inNames.indexOf(name);
        if (k < 0) throw new IllegalArgumentException("no input dimension " + name + " in " + this);
        return k;
    }

    private int outIndex(String name) {
        int o = outNames.indexOf(name);
        if (o < 0) throw new IllegalArgumentException("no output dimension " + name + " in " + this);
        return o;
    }

    // ------------------------------------------------------------------ applying

    /** The outputs, in output-dimension order, of the inputs given by name (every input dimension once). */
    public SequencedMap<String, Integer> apply(Map<String, Integer> ins) {
        if (!ins.keySet().equals(Set.copyOf(inNames))) throw new IllegalArgumentException("inputs " + ins.keySet() + " for input dimensions " + inNames);
        int[] values = new int[inNames.size()];
        for (int k = 0; k < values.length; k++) values[k] = ins.get(inNames.get(k));
        int[] outs = apply(values);
        SequencedMap<String, Integer> result = new LinkedHashMap<>();
        for (int o = 0; o < outs.length; o++) result.put(outNames.get(o), outs[o]);
        return Collections.unmodifiableSequencedMap(result);
    }

    /** The outputs, in output-dimension order, of one input per input dimension, in their order. */
    public int[] apply(int... ins) {
        if (ins.length != inNames.size()) throw new IllegalArgumentException(ins.length + " inputs for input dimensions " + inNames);
        int[] out = new int[outNames.size()];
        for (int k = 0; k < ins.length; k++) {
            if (ins[k] < 0 || ins[k] >= 1 << bases[k].length) throw new IllegalArgumentException("input " + ins[k] + " outside " + inNames.get(k) + " of size " + (1 << bases[k].length));
            for (int i = 0; i < bases[k].length; i++) {
                if ((ins[k] >>> i & 1) == 0) continue;
                for (int o = 0; o < out.length; o++) out[o] ^= bases[k][i][o];
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ flat (row-major) views

    /** Each dimension's lowest bit in the flat index of dimensions of these sizes (row-major: the last dimension lowest). */
    private static int[] shifts(int[] log2) {
        int[] s = new int[log2.length];
        for (int d = log2.length - 2; d >= 0; d--) s[d] = s[d + 1] + log2[d + 1];
        return s;
    }

    private static long flatten(int[] values, int[] log2) {
        int[] s = shifts(log2);
        long flat = 0;
        for (int d = 0; d < values.length; d++) flat |= (long) values[d] << s[d];
        return flat;
    }

    private static int[] unflatten(long flat, int[] log2) {
        int[] s = shifts(log2), values = new int[log2.length];
        for (int d = 0; d < values.length; d++) values[d] = (int) (flat >>> s[d] & ((1L << log2[d]) - 1));
        return values;
    }

    private int[] inLog2() {
        int[] log2 = new int[bases.length];
        for (int k = 0; k < log2.length; k++) log2[k] = bases[k].length;
        return log2;
    }

    /** The bases in flat-input order (position 0 first: the lowest bit of the last input dimension). */
    private int[][] flatBases() {
        int[] s = shifts(inLog2());
        int[][] out = new int[totalInDimSizeLog2()][];
        for (int k = 0; k < bases.length; k++) {
            for (int i = 0; i < bases[k].length; i++) out[s[k] + i] = bases[k][i];
        }
        return out;
    }

    /** Each input bit's image as a flat output, in flat-input order. */
    private long[] columns() {
        int[][] flat = flatBases();
        long[] cols = new long[flat.length];
        for (int p = 0; p < flat.length; p++) cols[p] = flatten(flat[p], outLog2);
        return cols;
    }

    // ------------------------------------------------------------------ combining

    /**
     * Triton's {@code operator*}: {@code this} is the inner (minor) factor, {@code outer} the outer one.
     * Dimensions only one side has are taken over; a dimension both have multiplies: an input
     * dimension's bits are this layout's followed by outer's, and an output dimension's values are
     * this layout's in its low bits with outer's above them. The result lists this layout's
     * dimensions in their order with outer's others merged in, so dimensions both have must come
     * in the same relative order in both. For example
     * {@code identity1D(4, "i", "o").product(identity1D(2, "i", "o")) = identity1D(8, "i", "o")}, and
     * {@code identity1D(4, "i", "o").product(zeros1D(2, "i", "o"))} maps {@code x} to {@code x % 4}.
     * Associative, not commutative; {@link #empty()} is its unit.
     */
    public LinearLayout product(LinearLayout outer) {
        List<String> ins = supremum(inNames, outer.inNames), outs = supremum(outNames, outer.outNames);
        if (ins == null || outs == null) {
            throw new IllegalArgumentException("dimensions in different orders: " + this + " and " + outer);
        }
        int[] log2 = new int[outs.size()];
        for (int o = 0; o < log2.length; o++) log2[o] = outLog2Or0(outs.get(o)) + outer.outLog2Or0(outs.get(o));
        int[][][] b = new int[ins.size()][][];
        for (int k = 0; k < b.length; k++) {
            String in = ins.get(k);
            int mine = inLog2Or0(in), theirs = outer.inLog2Or0(in);
            b[k] = new int[mine + theirs][outs.size()];
            for (int o = 0; o < outs.size(); o++) {
                String out = outs.get(o);
                for (int i = 0; i < mine; i++) if (hasOutDim(out)) b[k][i][o] = basis(in, i, out);
                int shift = outLog2Or0(out);
                for (int i = 0; i < theirs; i++) if (outer.hasOutDim(out)) b[k][mine + i][o] = outer.basis(in, i, out) << shift;
            }
        }
        return new LinearLayout(ins, b, outs, log2);
    }

    private int inLog2Or0(String name) { return hasInDim(name) ? inDimSizeLog2(name) : 0; }

    private int outLog2Or0(String name) { return hasOutDim(name) ? outDimSizeLog2(name) : 0; }

    /** The shortest list holding both lists as subsequences, the first's names first where both orders allow; null if they conflict. */
    private static List<String> supremum(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>();
        int i = 0, j = 0;
        while (i < a.size() && j < b.size()) {
            String x = a.get(i), y = b.get(j);
            if (x.equals(y)) {
                out.add(x);
                i++;
                j++;
            } else if (!b.subList(j, b.size()).contains(x)) {
                out.add(x);
                i++;
            } else if (!a.subList(i, a.size()).contains(y)) {
                out.add(y);
                j++;
            } else {
                return null;
            }
        }
        out.addAll(a.subList(i, a.size()));
        out.addAll(b.subList(j, b.size()));
        return out;
    }

    /**
     * This layout, then {@code outer}: {@code compose(outer).apply(x) = outer.apply(apply(x))}.
     * This layout's output dimensions must be outer's input dimensions (in any order), each no
     * larger than outer's. The result has this layout's inputs and outer's outputs.
     */
    public LinearLayout compose(LinearLayout outer) {
        if (!Set.copyOf(outNames).equals(Set.copyOf(outer.inNames))) {
            throw new IllegalArgumentException("compose: outputs " + outNames + " are not the inputs " + outer.inNames + " of the outer layout");
        }
        int[] order = new int[outer.inNames.size()];
        for (int j = 0; j < order.length; j++) {
            String d = outer.inNames.get(j);
            order[j] = outIndex(d);
            if (outDimSize(d) > outer.inDimSize(d)) throw new IllegalArgumentException("compose: " + d + " of size " + outDimSize(d) + " into one of " + outer.inDimSize(d));
        }
        int[][][] b = new int[bases.length][][];
        for (int k = 0; k < bases.length; k++) {
            b[k] = new int[bases[k].length][];
            for (int i = 0; i < bases[k].length; i++) {
                int[] args = new int[order.length];
                for (int j = 0; j < order.length; j++) args[j] = bases[k][i][order[j]];
                b[k][i] = outer.apply(args);
            }
        }
        return new LinearLayout(inNames, b, outer.outNames, outer.outLog2.clone());
    }

    /**
     * The map {@code C} from this layout's inputs to {@code other}'s inputs with
     * {@code other.apply(C.apply(x)) = apply(x)} for every {@code x}: where each element this layout
     * places is found in {@code other}. Both must have the same output dimensions (any order), each
     * of this layout's no larger than other's, and every output this layout reaches must be reached
     * by {@code other} (an error names the first that is not). Where {@code other} is not injective
     * (copies: several of its inputs give the same output), {@code C} picks the smallest preimage,
     * the one with the smallest flat input of {@code other} (row-major over its input dimensions):
     * for each {@code x} it is {@code B^-1(A(x))} with {@code other}'s free variables
     * ({@link #freeVariableMasks}) set to zero. That choice is linear, so {@code C} is a layout.
     * The result has this layout's inputs and {@code other}'s inputs as outputs, with their sizes.
     */
    public LinearLayout invertAndCompose(LinearLayout other) {
        if (!Set.copyOf(outNames).equals(Set.copyOf(other.outNames))) {
            throw new IllegalArgumentException("invertAndCompose: outputs " + outNames + " and " + other.outNames + " differ");
        }
        LinearLayout target = other.transposeOuts(outNames);
        for (int o = 0; o < outNames.size(); o++) {
            if (outLog2[o] > target.outLog2[o]) {
                throw new IllegalArgumentException("invertAndCompose: " + outNames.get(o) + " of size " + (1 << outLog2[o]) + " is larger than the other layout's");
            }
        }
        EchelonBasis basis = new EchelonBasis();
        long[] cols = target.columns();
        for (int p = 0; p < cols.length; p++) basis.insert(cols[p], 1L << p);
        int[][][] b = new int[bases.length][][];
        for (int k = 0; k < bases.length; k++) {
            b[k] = new int[bases[k].length][];
            for (int i = 0; i < bases[k].length; i++) {
                long combination = basis.solve(flatten(bases[k][i], target.outLog2));
                if (combination < 0) {
                    throw new IllegalArgumentException("invertAndCompose: " + inNames.get(k) + " bit " + i + " maps to " + Arrays.toString(bases[k][i])
                            + ", which " + other + " never reaches");
                }
                b[k][i] = unflatten(combination, other.inLog2());
            }
        }
        return new LinearLayout(inNames, b, other.inNames, other.inLog2());
    }

    /**
     * The inverse map, from this layout's outputs to its inputs (as dimensions of the same names
     * and sizes): {@code invert().compose(this)} and {@code compose(invert())} are identities.
     * Only for bijective layouts ({@link #isInvertible}); an {@link IllegalStateException} says
     * which property fails otherwise.
     */
    public LinearLayout invert() {
        if (!isInvertible()) {
            throw new IllegalStateException("not invertible (" + (isInjective() ? "" : "not injective: copies, ") + (isSurjective() ? "" : "not surjective: holes, ")
                    + "in " + totalInDimSizeLog2() + " bits, out " + totalOutDimSizeLog2() + " bits): " + this);
        }
        LinearLayout identity = empty();
        for (int o = 0; o < outNames.size(); o++) identity = identity.product(identity1D(1 << outLog2[o], outNames.get(o), outNames.get(o)));
        return identity.invertAndCompose(this);
    }

    /**
     * Triton's {@code divideLeft}: the layout {@code b}, with this layout's dimensions, such that
     * {@code this.equals(a.product(b))}, if there is one. There is one when, in every dimension
     * {@code a} has, this layout's low input bits are {@code a}'s bases placed in the low output
     * bits, and its other bits map above them: the matrix is block-diagonal {@code [[a, 0], [0, b]]}.
     * {@code a}'s dimensions must be this layout's, in the same relative order.
     */
    public Optional<LinearLayout> divideLeft(LinearLayout a) {
        if (!inNames.containsAll(a.inNames) || !outNames.containsAll(a.outNames)) return Optional.empty();
        int[] log2 = new int[outNames.size()];
        for (int o = 0; o < log2.length; o++) {
            log2[o] = outLog2[o] - a.outLog2Or0(outNames.get(o));
            if (log2[o] < 0) return Optional.empty();
        }
        int[][][] b = new int[bases.length][][];
        for (int k = 0; k < bases.length; k++) {
            int skip = a.inLog2Or0(inNames.get(k));
            if (skip > bases[k].length) return Optional.empty();
            b[k] = new int[bases[k].length - skip][outNames.size()];
            for (int i = skip; i < bases[k].length; i++) {
                for (int o = 0; o < outNames.size(); o++) {
                    int low = a.outLog2Or0(outNames.get(o)), v = bases[k][i][o];
                    if ((v & ((1 << low) - 1)) != 0) return Optional.empty();
                    b[k][i - skip][o] = v >>> low;
                }
            }
        }
        return matchingFactor(a, new LinearLayout(inNames, b, outNames, log2), true);
    }

    /**
     * Triton's {@code divideRight}: the layout {@code a}, with this layout's dimensions, such that
     * {@code this.equals(a.product(b))}, if there is one (the mirror of {@link #divideLeft}: here
     * {@code b} is the outer factor, in this layout's high input and output bits).
     */
    public Optional<LinearLayout> divideRight(LinearLayout b) {
        if (!inNames.containsAll(b.inNames) || !outNames.containsAll(b.outNames)) return Optional.empty();
        int[] log2 = new int[outNames.size()];
        for (int o = 0; o < log2.length; o++) {
            log2[o] = outLog2[o] - b.outLog2Or0(outNames.get(o));
            if (log2[o] < 0) return Optional.empty();
        }
        int[][][] a = new int[bases.length][][];
        for (int k = 0; k < bases.length; k++) {
            int keep = bases[k].length - b.inLog2Or0(inNames.get(k));
            if (keep < 0) return Optional.empty();
            a[k] = new int[keep][];
            for (int i = 0; i < keep; i++) {
                for (int o = 0; o < outNames.size(); o++) if (bases[k][i][o] >= 1 << log2[o]) return Optional.empty();
                a[k][i] = bases[k][i].clone();
            }
        }
        return matchingFactor(new LinearLayout(inNames, a, outNames, log2), b, false);
    }

    /** The candidate factor, if the product of inner and outer is this layout. */
    private Optional<LinearLayout> matchingFactor(LinearLayout inner, LinearLayout outer, boolean returnOuter) {
        if (supremum(inner.inNames, outer.inNames) == null || supremum(inner.outNames, outer.outNames) == null) return Optional.empty();
        return inner.product(outer).equals(this) ? Optional.of(returnOuter ? outer : inner) : Optional.empty();
    }

    // ------------------------------------------------------------------ reshaping

    /**
     * The same map with the input dimensions flattened (row-major: the last dimension lowest) and
     * split again into {@code newIns}, the last of them taking the lowest bits. Their sizes must
     * multiply to {@link #totalInDimSize()}.
     */
    public LinearLayout reshapeIns(List<Dim> newIns) {
        int bits = 0;
        for (Dim d : newIns) bits += d.log2();
        if (bits != totalInDimSizeLog2()) throw new IllegalArgumentException("reshapeIns to " + newIns + " from " + inDims());
        int[][] flat = flatBases();
        int[][][] b = new int[newIns.size()][][];
        int p = flat.length;
        for (int k = 0; k < b.length; k++) {
            int n = newIns.get(k).log2();
            p -= n;
            b[k] = new int[n][];
            for (int i = 0; i < n; i++) b[k][i] = flat[p + i].clone();
        }
        return new LinearLayout(newIns.stream().map(Dim::name).toList(), b, outNames, outLog2.clone());
    }

    /**
     * The same map with the output dimensions flattened (row-major: the last dimension lowest, as
     * a tile's flat index) and split again into {@code newOuts}, whose sizes must multiply to
     * {@link #totalOutDimSize()}. As a tile reshape, it keeps every element's flat index.
     */
    public LinearLayout reshapeOuts(List<Dim> newOuts) {
        int bits = 0;
        for (Dim d : newOuts) bits += d.log2();
        if (bits != totalOutDimSizeLog2()) throw new IllegalArgumentException("reshapeOuts to " + newOuts + " from " + outDims());
        int[] log2 = newOuts.stream().mapToInt(Dim::log2).toArray();
        int[][][] b = new int[bases.length][][];
        for (int k = 0; k < bases.length; k++) {
            b[k] = new int[bases[k].length][];
            for (int i = 0; i < bases[k].length; i++) b[k][i] = unflatten(flatten(bases[k][i], outLog2), log2);
        }
        return new LinearLayout(inNames, b, newOuts.stream().map(Dim::name).toList(), log2);
    }

    /** All inputs as one dimension named after the first, of the total size (or {@link #empty()}'s inputs if none). */
    public LinearLayout flattenIns() {
        return inNames.isEmpty() ? this : reshapeIns(List.of(new Dim(inNames.getFirst(), 1 << totalInDimSizeLog2())));
    }

    /** All outputs as one dimension named after the first: its value is the row-major flat index. */
    public LinearLayout flattenOuts() {
        return outNames.isEmpty() ? this : reshapeOuts(List.of(new Dim(outNames.getFirst(), 1 << totalOutDimSizeLog2())));
    }

    /** The same map with the input dimensions listed in {@code order} (the same names). This changes only what depends on order. */
    public LinearLayout transposeIns(List<String> order) {
        if (order.size() != inNames.size() || !Set.copyOf(order).equals(Set.copyOf(inNames))) {
            throw new IllegalArgumentException("transposeIns to " + order + " from " + inNames);
        }
        int[][][] b = new int[order.size()][][];
        for (int k = 0; k < b.length; k++) b[k] = bases[inIndex(order.get(k))];
        return new LinearLayout(order, b, outNames, outLog2.clone());
    }

    /** The same map with the output dimensions listed in {@code order} (the same names), each basis's values reordered with them. */
    public LinearLayout transposeOuts(List<String> order) {
        if (order.size() != outNames.size() || !Set.copyOf(order).equals(Set.copyOf(outNames))) {
            throw new IllegalArgumentException("transposeOuts to " + order + " from " + outNames);
        }
        int[] from = order.stream().mapToInt(this::outIndex).toArray();
        int[][][] b = new int[bases.length][][];
        for (int k = 0; k < bases.length; k++) {
            b[k] = new int[bases[k].length][from.length];
            for (int i = 0; i < bases[k].length; i++) for (int o = 0; o < from.length; o++) b[k][i][o] = bases[k][i][from[o]];
        }
        int[] log2 = new int[from.length];
        for (int o = 0; o < from.length; o++) log2[o] = outLog2[from[o]];
        return new LinearLayout(inNames, b, order, log2);
    }

    /**
     * The restriction to the input dimensions {@code ins} (the others held at zero) and the output
     * dimensions {@code outs} (the others dropped), each kept in this layout's order with its size.
     */
    public LinearLayout sublayout(Collection<String> ins, Collection<String> outs) {
        for (String d : ins) inIndex(d);
        for (String d : outs) outIndex(d);
        List<String> keptIns = inNames.stream().filter(ins::contains).toList(), keptOuts = outNames.stream().filter(outs::contains).toList();
        int[] from = keptOuts.stream().mapToInt(this::outIndex).toArray();
        int[][][] b = new int[keptIns.size()][][];
        for (int k = 0; k < b.length; k++) {
            int[][] src = bases[inIndex(keptIns.get(k))];
            b[k] = new int[src.length][from.length];
            for (int i = 0; i < src.length; i++) for (int o = 0; o < from.length; o++) b[k][i][o] = src[i][from[o]];
        }
        int[] log2 = new int[from.length];
        for (int o = 0; o < from.length; o++) log2[o] = outLog2[from[o]];
        return new LinearLayout(keptIns, b, keptOuts, log2);
    }

    // ------------------------------------------------------------------ properties

    /** The rank of the matrix: the number of independent bases. */
    private int rank() {
        EchelonBasis basis = new EchelonBasis();
        int rank = 0;
        for (long c : columns()) if (basis.insert(c, 0)) rank++;
        return rank;
    }

    /** Distinct inputs give distinct outputs: the bases are linearly independent (no zero basis, no copies). */
    public boolean isInjective() { return rank() == totalInDimSizeLog2(); }

    /** Every output in range is reached by some input. */
    public boolean isSurjective() { return rank() == totalOutDimSizeLog2(); }

    /** Bijective: injective and surjective (so inputs and outputs have the same total size). */
    public boolean isInvertible() { return isInjective() && isSurjective(); }

    /**
     * Per input dimension, the bits whose basis adds nothing new: zero, or the XOR of bases of
     * lower flat-input positions (row-major: later dimensions, lower bits). Flipping such a bit in
     * an input moves to another input with the same output, so these are the copies (replication)
     * a layout holds; {@link #invertAndCompose} keeps them zero in the preimages it picks. For
     * single-bit layouts ({@link DistributedLayout}) they are exactly the zero bases.
     */
    public SequencedMap<String, Integer> freeVariableMasks() {
        EchelonBasis basis = new EchelonBasis();
        long[] cols = columns();
        long free = 0;
        for (int p = 0; p < cols.length; p++) if (!basis.insert(cols[p], 0)) free |= 1L << p;
        SequencedMap<String, Integer> masks = new LinkedHashMap<>();
        int[] perDim = unflatten(free, inLog2());
        for (int k = 0; k < inNames.size(); k++) masks.put(inNames.get(k), perDim[k]);
        return Collections.unmodifiableSequencedMap(masks);
    }

    /**
     * Vectors over GF(2) kept in echelon form by their highest set bit, each with the combination
     * of inserted columns it is made of. Inserting columns in flat-input order makes each
     * dependent column a combination of lower ones only, which is what makes solutions with the
     * dependent (free) columns at zero the smallest ones.
     */
    private static final class EchelonBasis {
        private final long[] vector = new long[64];
        private final long[] combination = new long[64];

        /** Adds {@code v} (made of the columns in {@code made}); false if it was a combination of earlier vectors. */
        boolean insert(long v, long made) {
            while (v != 0) {
                int top = 63 - Long.numberOfLeadingZeros(v);
                if (vector[top] == 0) {
                    vector[top] = v;
                    combination[top] = made;
                    return true;
                }
                v ^= vector[top];
                made ^= combination[top];
            }
            return false;
        }

        /** The columns whose XOR is {@code v}, or -1 if no combination makes it. */
        long solve(long v) {
            long made = 0;
            while (v != 0) {
                int top = 63 - Long.numberOfLeadingZeros(v);
                if (vector[top] == 0) return -1;
                v ^= vector[top];
                made ^= combination[top];
            }
            return made;
        }
    }

    // ------------------------------------------------------------------ identity

    @Override
    public boolean equals(Object o) {
        return o instanceof LinearLayout l && inNames.equals(l.inNames) && outNames.equals(l.outNames) && Arrays.equals(outLog2, l.outLog2)
                && Arrays.deepEquals(bases, l.bases);
    }

    @Override
    public int hashCode() { return (inNames.hashCode() * 31 + outNames.hashCode()) * 31 * 31 + Arrays.hashCode(outLog2) * 31 + Arrays.deepHashCode(bases); }

    /** "register: [[0,1],[0,2]], lane: [[1,0]], warp: [] -> dim0:16, dim1:8" (each basis's values in output order). */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < inNames.size(); k++) {
            sb.append(k == 0 ? "" : ", ").append(inNames.get(k)).append(": [");
            for (int i = 0; i < bases[k].length; i++) {
                sb.append(i == 0 ? "[" : ",[");
                for (int o = 0; o < bases[k][i].length; o++) sb.append(o == 0 ? "" : ",").append(bases[k][i][o]);
                sb.append(']');
            }
            sb.append(']');
        }
        sb.append(" ->");
        for (int o = 0; o < outNames.size(); o++) sb.append(o == 0 ? " " : ", ").append(outNames.get(o)).append(':').append(1 << outLog2[o]);
        return sb.toString();
    }
}
