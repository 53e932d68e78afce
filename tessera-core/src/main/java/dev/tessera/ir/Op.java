package dev.tessera.ir;

import dev.tessera.types.Numerics.Rounding;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The op set of Tessera's IR. Every op is a record; its components follow one convention, which
 * {@link OpSchema} reads so that passes, the printer and the verifier treat ops uniformly:
 * <ul>
 *   <li>{@code result} (a Value) or {@code results} (a List of Values): what the op defines;</li>
 *   <li>other Value or List-of-Value components: operands (an optional operand may be null);</li>
 *   <li>Region components: nested regions;</li>
 *   <li>{@code loc}: the user's source location;</li>
 *   <li>everything else: attributes.</li>
 * </ul>
 * Binary, comparison and most unary ops require operands of identical type; the semantic layer
 * inserts the broadcasts and conversions that make them so.
 */
public sealed interface Op {

    Loc loc();

    default List<Value> results() { return OpSchema.of(getClass()).results(this); }

    default List<Value> operands() { return OpSchema.of(getClass()).operands(this); }

    default List<Region> regions() { return OpSchema.of(getClass()).regions(this); }

    /** The single result; fails for ops with none or several. */
    default Value result() {
        List<Value> r = results();
        if (r.size() != 1) throw new IllegalStateException(this + " has " + r.size() + " results");
        return r.getFirst();
    }

    /** A copy with each of this op's operands replaced by {@code f} (nested regions are left as they are). */
    default Op mapOperands(UnaryOperator<Value> f) { return OpSchema.of(getClass()).mapOperands(this, f); }

    /** A copy at another source location. */
    default Op withLoc(Loc loc) { return OpSchema.of(getClass()).withLoc(this, loc); }

    /** A copy with every nested region replaced by {@code f}. */
    default Op mapRegions(UnaryOperator<Region> f) { return OpSchema.of(getClass()).mapRegions(this, f); }

    // ------------------------------------------------------------------ program and constants

    /** The id of the running program along grid axis 0, 1 or 2 (i32). */
    record ProgramId(Value result, int axis, Loc loc) implements Op {}

    /** The number of programs along grid axis 0, 1 or 2 (i32). */
    record NumPrograms(Value result, int axis, Loc loc) implements Op {}

    /** Every element equal to {@code value}: a Long for integers and i1, a Double for floats. */
    record Constant(Value result, Number value, Loc loc) implements Op {
        public Constant {
            if (!(Objects.requireNonNull(value) instanceof Long || value instanceof Double)) {
                throw new IllegalArgumentException("constant must be a Long or a Double, not " + value.getClass());
            }
        }
    }

    /** The i32 tile [start, start+1, ..., end-1]. */
    record Arange(Value result, int start, int end, Loc loc) implements Op {}

    // ------------------------------------------------------------------ shape manipulation

    /** A scalar repeated into a tile of the result's shape. */
    record Splat(Value result, Value source, Loc loc) implements Op {}

    /** A tile whose size-1 dimensions are repeated to the result's shape (same rank). */
    record Broadcast(Value result, Value source, Loc loc) implements Op {}

    /** A new size-1 dimension at {@code axis}. */
    record ExpandDims(Value result, Value source, int axis, Loc loc) implements Op {}

    /** The same elements in row-major order under a new shape. */
    record Reshape(Value result, Value source, Loc loc) implements Op {}

    /** Dimensions reordered: result dim i is source dim order[i]. */
    record Permute(Value result, Value source, List<Integer> order, Loc loc) implements Op {
        public Permute { order = List.copyOf(order); }
    }

    /** Two tiles of equal type stacked along a new last dimension of size 2. */
    record Join(Value result, Value lhs, Value rhs, Loc loc) implements Op {}

    /** The inverse of Join: a tile with last dimension 2 split into its two halves. */
    record Split(List<Value> results, Value source, Loc loc) implements Op {
        public Split { results = List.copyOf(results); }
    }

    /** Two tiles concatenated along dimension 0. */
    record Cat(Value result, Value lhs, Value rhs, Loc loc) implements Op {}

    // ------------------------------------------------------------------ elementwise

    /**
     * A one-operand elementwise function. Math functions take floats; NOT takes integers and i1.
     * EXP2_FTZ is EXP2 with results below 2^-126 (the smallest normal f32) flushed to zero.
     */
    record Unary(Value result, Fn fn, Value x, Loc loc) implements Op {
        public enum Fn {
            NEG, NOT, ABS, EXP, EXP2, EXP2_FTZ, LOG, LOG2, SQRT, SQRT_RN, RSQRT, SIN, COS, TANH, SIGMOID, ERF,
            FLOOR, CEIL, POPCOUNT
        }
    }

    /**
     * A two-operand elementwise function on operands of the result's type.
     * DIV truncates for integers and is the fast (approximate) division for floats; DIV_RN is the
     * correctly rounded float division. MAX and MIN ignore a NaN operand; MAX_NAN and MIN_NAN
     * propagate it. SHR is arithmetic for signed and logical for unsigned types; shifts by the
     * width or more give 0 (or the sign for SHR of a negative value).
     */
    record Binary(Value result, Fn fn, Value lhs, Value rhs, Loc loc) implements Op {
        public enum Fn {
            ADD, SUB, MUL, DIV, DIV_RN, REM, MAX, MIN, MAX_NAN, MIN_NAN, AND, OR, XOR, SHL, SHR, UMULHI, POW
        }
    }

    /** An elementwise comparison giving i1. Float comparisons are ordered except NE. */
    record Compare(Value result, Fn fn, Value lhs, Value rhs, Loc loc) implements Op {
        public enum Fn { LT, LE, GT, GE, EQ, NE }
    }

    /** condition ? ifTrue : ifFalse, elementwise. */
    record Select(Value result, Value condition, Value ifTrue, Value ifFalse, Loc loc) implements Op {}

    /** a * b + c with a single rounding. */
    record Fma(Value result, Value a, Value b, Value c, Loc loc) implements Op {}

    /** A numeric conversion (see {@link dev.tessera.types.Numerics} for the rules). */
    record Convert(Value result, Value source, Rounding rounding, Loc loc) implements Op {}

    /** The same bits reinterpreted as another type of equal width (also pointer to and from i64). */
    record Bitcast(Value result, Value source, Loc loc) implements Op {}

    /** pointer + offset elements. */
    record PtrAdd(Value result, Value pointer, Value offset, Loc loc) implements Op {}

    // ------------------------------------------------------------------ memory

    /** Reads through a tile of pointers; lanes where {@code mask} is false give {@code other}. */
    record Load(Value result, Value pointer, Value mask, Value other, MemoryOrder.Cache cache,
                MemoryOrder.Eviction eviction, boolean isVolatile, Loc loc) implements Op {}

    /**
     * Asks the memory system to bring the lines these pointers address (where {@code mask}, if any,
     * is true) into the GPU's L2 ahead of a later load: no value, no effect on memory or on any
     * result; nothing at all on the CPU.
     */
    record Prefetch(Value pointer, Value mask, Loc loc) implements Op {}

    /** Writes through a tile of pointers where {@code mask} (if any) is true. */
    record Store(Value pointer, Value value, Value mask, MemoryOrder.Cache cache, MemoryOrder.Eviction eviction,
                 Loc loc) implements Op {}

    /** An atomic read-modify-write per lane; the result holds the old values. */
    record AtomicRmw(Value result, Fn fn, Value pointer, Value value, Value mask, MemoryOrder.Semantic semantic,
                     MemoryOrder.Scope scope, Loc loc) implements Op {
        public enum Fn { ADD, MAX, MIN, AND, OR, XOR, XCHG }
    }

    /** An atomic compare-and-swap per lane; the result holds the old values. */
    record AtomicCas(Value result, Value pointer, Value compare, Value value, MemoryOrder.Semantic semantic,
                     MemoryOrder.Scope scope, Loc loc) implements Op {}

    /**
     * The block of a tensor descriptor whose first element is at {@code offsets} (i32 scalars, one
     * per dimension, outermost first): elements outside the tensor read as 0; {@code eviction} the
     * L2 priority of its lines, as a load's.
     */
    record DescriptorLoad(Value result, Value descriptor, List<Value> offsets, MemoryOrder.Eviction eviction, Loc loc) implements Op {
        public DescriptorLoad { offsets = List.copyOf(offsets); }
    }

    /** Writes {@code value} as the descriptor's block at {@code offsets}; elements outside the tensor are dropped. */
    record DescriptorStore(Value descriptor, List<Value> offsets, Value value, Loc loc) implements Op {
        public DescriptorStore { offsets = List.copyOf(offsets); }
    }

    /**
     * Adds {@code value} into the descriptor's block at {@code offsets}, element by element and
     * atomically (relaxed, GPU scope), as a whole block; elements outside the tensor are dropped.
     * No old values, and no order with the launch's later accesses: the sums are for later
     * launches to read (on Hopper the bulk reductions complete by the kernel's end).
     */
    record DescriptorAtomicAdd(Value descriptor, List<Value> offsets, Value value, Loc loc) implements Op {
        public DescriptorAtomicAdd { offsets = List.copyOf(offsets); }
    }

    // ------------------------------------------------------------------ reductions, scans, dot

    /**
     * Reduces {@code input} along {@code axis}. ARGMAX and ARGMIN give the i32 index of the first
     * extreme element, a NaN counting as more extreme than every number (torch's rule: the first
     * NaN's index); MAX and MIN ignore NaNs as fmax/fmin do; CUSTOM applies {@code combine}, a region of two scalar arguments ending in a
     * Yield of one value (null for the other kinds).
     */
    record Reduce(Value result, Kind kind, Value input, int axis, Region combine, Loc loc) implements Op {
        public enum Kind { SUM, PROD, MAX, MIN, AND, OR, XOR, ARGMAX, ARGMIN, CUSTOM }
    }

    /** An inclusive scan of {@code input} along {@code axis}; kinds as for Reduce (no ARG kinds). */
    record Scan(Value result, Reduce.Kind kind, Value input, int axis, boolean reverse, Region combine, Loc loc)
            implements Op {}

    /**
     * Reduces tiles of one shape together along {@code axis} (Triton's multi-operand reduce, e.g.
     * argmax with its own key, Welford's mean and variance): {@code combine} takes N accumulated
     * scalars, then N incoming ones, and yields the N combined; results are the N reduced tiles.
     */
    record ReduceTuple(List<Value> results, List<Value> inputs, int axis, Region combine, Loc loc) implements Op {
        public ReduceTuple {
            results = List.copyOf(results);
            inputs = List.copyOf(inputs);
        }
    }

    /** An inclusive scan of tiles of one shape together along {@code axis}; {@code combine} as for ReduceTuple. */
    record ScanTuple(List<Value> results, List<Value> inputs, int axis, boolean reverse, Region combine, Loc loc) implements Op {
        public ScanTuple {
            results = List.copyOf(results);
            inputs = List.copyOf(inputs);
        }
    }

    /** Sorts along the last dimension. */
    record Sort(Value result, Value source, boolean descending, Loc loc) implements Op {}

    /**
     * How many elements of the integer tile {@code source} (any shape) equal each of 0 .. bins-1:
     * the result is i32[bins]; other values, negative ones included, are not counted. bins is a
     * power of 2.
     */
    record Histogram(Value result, Value source, int bins, Loc loc) implements Op {}

    /** The matrix product a·b + acc; a is [M, K], b is [K, N], acc and result [M, N]. */
    record Dot(Value result, Value a, Value b, Value acc, Precision precision, Loc loc) implements Op {
        /**
         * How the product is computed. IEEE: inputs exactly, products summed exactly in the
         * accumulator's type. TF32: f32 inputs rounded to tf32 (the tensor cores' f32 mode).
         * FAST_ACCUMULATION: fp8 inputs whose products the tensor cores may sum in fewer bits than
         * f32 (Hopper's wgmma: about 2^-12 relative over a K of 32 to 128; cuBLAS's "fast
         * accumulation", Triton's max_num_imprecise_acc); the CPU backend and mma.sync still sum
         * exactly. A kernel that wants f32 sums across K adds each block's dot to its accumulator
         * itself (the promotion DeepSeek-V3 describes).
         */
        public enum Precision { IEEE, TF32, FAST_ACCUMULATION }
    }

    // ------------------------------------------------------------------ control flow

    /**
     * for iv = lower; iv &lt; upper; iv += step. The body's arguments are the induction variable then
     * the carried values; it ends with a Yield of the next carried values; results are their final values.
     */
    record For(List<Value> results, Value lower, Value upper, Value step, List<Value> inits, Region body, Loc loc)
            implements Op {
        public For {
            results = List.copyOf(results);
            inits = List.copyOf(inits);
        }
    }

    /** Runs one branch; each ends with a Yield of the values that become the results. */
    record If(List<Value> results, Value condition, Region thenRegion, Region elseRegion, Loc loc) implements Op {
        public If { results = List.copyOf(results); }
    }

    /**
     * while (condition(carried)) carried = body(carried). Both regions take the carried values as
     * arguments; the condition region yields one i1, the body yields the next carried values.
     */
    record While(List<Value> results, List<Value> inits, Region condition, Region body, Loc loc) implements Op {
        public While {
            results = List.copyOf(results);
            inits = List.copyOf(inits);
        }
    }

    /** Ends a region, passing values to its owner. */
    record Yield(List<Value> values, Loc loc) implements Op {
        public Yield { values = List.copyOf(values); }
    }

    // ------------------------------------------------------------------ debugging and hints

    /** Fails the launch with {@code message} where {@code condition} is false. */
    record Assert(Value condition, String message, Loc loc) implements Op {}

    /** Prints the values with the program id. */
    record Print(List<Value> values, String prefix, boolean hex, Loc loc) implements Op {
        public Print { values = List.copyOf(values); }
    }

    /** The source value, with a fact about it for AxisInfo (per dimension values). */
    record Hint(Value result, Value source, Kind kind, List<Integer> values, Loc loc) implements Op {
        public enum Kind { MULTIPLE_OF, MAX_CONTIGUOUS, MAX_CONSTANCY }

        public Hint { values = List.copyOf(values); }
    }

    /** Promises the compiler that {@code condition} holds. */
    record Assume(Value condition, Loc loc) implements Op {}

    /** A barrier between the threads of one program (a no-op where a program is one thread). */
    record Barrier(Loc loc) implements Op {}
}
