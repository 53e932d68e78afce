package dev.tessera.semantic;

import dev.tessera.ir.Loc;
import dev.tessera.ir.Op;
import dev.tessera.ir.Op.Reduce;
import dev.tessera.ir.Region;
import dev.tessera.ir.Shape;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BinaryOperator;

/** The rules of reductions, scans, sorting, histograms and the matrix product. */
public final class ReductionSemantic {
    private ReductionSemantic() {}

    private static TraceContext ctx() { return TraceContext.current(); }

    /** Reduces along {@code axis} (null: over all elements, giving a scalar), optionally keeping the axis as size 1. */
    public static Value reduce(Value x, Integer axis, Reduce.Kind kind, boolean keepDims) {
        Loc loc = ctx().loc();
        requireNumbers(x, loc, kind.name().toLowerCase(java.util.Locale.ROOT));
        DType in = x.type().dtype();
        switch (kind) {
            case AND, OR, XOR -> {
                if (!(in.isInteger() || in.isBool())) throw new TraceException(loc, kind + " reduction takes integers, got " + x.type());
            }
            case SUM, PROD -> x = Semantic.cast(x, accumulationType(in), loc);
            default -> { }
        }
        return reduceWith(x, axis, kind, null, keepDims, loc);
    }

    /** Reduces with a user combine function of two scalars. */
    public static Value reduce(Value x, Integer axis, BinaryOperator<Value> combine, boolean keepDims) {
        Loc loc = ctx().loc();
        requireNumbers(x, loc, "reduce");
        Region region = ControlFlow.combine(x.type().dtype(), combine);
        return reduceWith(x, axis, Reduce.Kind.CUSTOM, region, keepDims, loc);
    }

    /**
     * Reduces tiles of one shape together (Triton's multi-operand reduce) along {@code axis} (null:
     * over all elements) with a combine of N accumulated and N incoming scalars.
     */
    public static List<Value> reduce(List<Value> xs, Integer axis, BinaryOperator<List<Value>> combine, boolean keepDims) {
        Loc loc = ctx().loc();
        int rank = requireTuple(xs, loc, "reduce");
        if (rank == 0) throw new TraceException(loc, "cannot reduce scalars " + types(xs));
        List<Value> inputs = xs;
        int a;
        if (axis == null) {
            int n = xs.getFirst().type().numel();
            inputs = rank == 1 ? xs : xs.stream().map(x -> Semantic.reshape(x, n)).toList();
            a = 0;
        } else {
            a = normalizeAxis(axis, rank, loc, "reduction");
        }
        Region region = ControlFlow.combine(dtypes(inputs), combine);
        List<Value> results = new ArrayList<>();
        for (Value x : inputs) results.add(ctx().newValue(x.type().withShape(x.type().shape().without(a))));
        ctx().emit(new Op.ReduceTuple(results, inputs, a, region, loc));
        if (!keepDims) return List.copyOf(results);
        return results.stream().map(r -> axis == null ? Semantic.reshape(r, ones(rank)) : Semantic.expandDims(r, a)).toList();
    }

    /** An inclusive scan of tiles of one shape together along {@code axis}, with a combine as for {@link #reduce(List, Integer, BinaryOperator, boolean)}. */
    public static List<Value> scan(List<Value> xs, int axis, BinaryOperator<List<Value>> combine, boolean reverse) {
        Loc loc = ctx().loc();
        int rank = requireTuple(xs, loc, "associativeScan");
        if (rank == 0) throw new TraceException(loc, "cannot scan scalars " + types(xs));
        int a = normalizeAxis(axis, rank, loc, "scan");
        Region region = ControlFlow.combine(dtypes(xs), combine);
        List<Value> results = xs.stream().map(x -> ctx().newValue(x.type())).toList();
        ctx().emit(new Op.ScanTuple(results, xs, a, reverse, region, loc));
        return results;
    }

    /** At least one tile, all numbers of one shape; returns their rank. */
    private static int requireTuple(List<Value> xs, Loc loc, String what) {
        if (xs.isEmpty()) throw new TraceException(loc, what + " of a tuple takes at least one tile");
        for (Value x : xs) {
            requireNumbers(x, loc, what);
            if (!x.type().shape().equals(xs.getFirst().type().shape())) {
                throw new TraceException(loc, what + " of a tuple takes tiles of one shape, got " + types(xs));
            }
        }
        return xs.getFirst().type().rank();
    }

    private static List<DType> dtypes(List<Value> xs) { return xs.stream().map(x -> x.type().dtype()).toList(); }

    private static String types(List<Value> xs) { return xs.stream().map(x -> x.type().toString()).toList().toString(); }

    private static Value reduceWith(Value x, Integer axis, Reduce.Kind kind, Region combine, boolean keepDims, Loc loc) {
        int rank = x.type().rank();
        if (rank == 0) throw new TraceException(loc, "cannot reduce a scalar " + x.type());
        Value input = x;
        int a;
        if (axis == null) {
            input = rank == 1 ? x : Semantic.reshape(x, x.type().numel());
            a = 0;
        } else {
            a = normalizeAxis(axis, rank, loc, "reduction");
        }
        boolean arg = kind == Reduce.Kind.ARGMAX || kind == Reduce.Kind.ARGMIN;
        DType out = arg ? DType.I32 : input.type().dtype();
        Value r = ctx().newValue(new Type(out, input.type().shape().without(a)));
        ctx().emit(new Reduce(r, kind, input, a, combine, loc));
        if (!keepDims) return r;
        if (axis == null) return Semantic.reshape(r, ones(rank));
        return Semantic.expandDims(r, a);
    }

    /** Inclusive scan along {@code axis}. */
    public static Value scan(Value x, int axis, Reduce.Kind kind, boolean reverse) {
        Loc loc = ctx().loc();
        requireNumbers(x, loc, "scan");
        if (kind == Reduce.Kind.SUM || kind == Reduce.Kind.PROD) x = Semantic.cast(x, accumulationType(x.type().dtype()), loc);
        return scanWith(x, axis, kind, null, reverse, loc);
    }

    public static Value scan(Value x, int axis, BinaryOperator<Value> combine, boolean reverse) {
        Loc loc = ctx().loc();
        requireNumbers(x, loc, "associativeScan");
        return scanWith(x, axis, Reduce.Kind.CUSTOM, ControlFlow.combine(x.type().dtype(), combine), reverse, loc);
    }

    private static Value scanWith(Value x, int axis, Reduce.Kind kind, Region combine, boolean reverse, Loc loc) {
        if (x.type().rank() == 0) throw new TraceException(loc, "cannot scan a scalar " + x.type());
        int a = normalizeAxis(axis, x.type().rank(), loc, "scan");
        Value r = ctx().newValue(x.type());
        return ctx().define(r, new Op.Scan(r, kind, x, a, reverse, combine, loc));
    }

    public static Value sort(Value x, boolean descending) {
        Loc loc = ctx().loc();
        requireNumbers(x, loc, "sort");
        if (x.type().rank() == 0) throw new TraceException(loc, "cannot sort a scalar");
        Value r = ctx().newValue(x.type());
        return ctx().define(r, new Op.Sort(r, x, descending, loc));
    }

    /** Counts of the values 0 .. bins-1 in the integer tile x (of any shape) as i32[bins]; other values are not counted. */
    public static Value histogram(Value x, int bins) {
        Loc loc = ctx().loc();
        if (!(x.type().element() instanceof DType d && d.isInteger())) {
            throw new TraceException(loc, "histogram takes integers, got " + x.type() + ": convert first, e.g. x.to(I32)");
        }
        if (bins < 1 || Integer.bitCount(bins) != 1) {
            throw new TraceException(loc, "histogram needs a power-of-2 number of bins, got " + bins
                    + ": round it up (e.g. " + (bins < 1 ? 1 : Integer.highestOneBit(bins) << 1) + ") and ignore the extra bins");
        }
        Typing.checkTileShape(Shape.of(bins), loc, "histogram's result");
        Value r = ctx().newValue(Type.of(DType.I32, bins));
        return ctx().define(r, new Op.Histogram(r, x, bins, loc));
    }

    /** Triton's sum and cumsum widen integers narrower than 32 bits (and i1) to 32 bits. */
    private static DType accumulationType(DType in) {
        if (in.isBool()) return DType.I32;
        if (in.isInteger() && in.bits() < 32) return in.isUnsigned() ? DType.U32 : DType.I32;
        return in;
    }

    private static int normalizeAxis(int axis, int rank, Loc loc, String what) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new TraceException(loc, what + " axis " + axis + " is out of range for rank " + rank);
        return a;
    }

    private static int[] ones(int rank) {
        int[] d = new int[rank];
        java.util.Arrays.fill(d, 1);
        return d;
    }

    private static void requireNumbers(Value x, Loc loc, String what) {
        if (x.type().isPointer()) throw new TraceException(loc, what + " takes numbers, not pointers " + x.type());
    }

    // ------------------------------------------------------------------ dot

    /** The product a·b + acc. With no acc, accumulates from zero in {@code outType} (f32 by default). */
    public static Value dot(Value a, Value b, Value acc, Op.Dot.Precision precision, DType outType) {
        Loc loc = ctx().loc();
        Type ta = a.type(), tb = b.type();
        if (ta.rank() != 2 || tb.rank() != 2) {
            throw new TraceException(loc, "dot takes two 2-D tiles, got " + ta + " and " + tb);
        }
        if (ta.isPointer() || tb.isPointer()) throw new TraceException(loc, "dot takes numbers, not pointers");
        int m = ta.shape().dim(0), k = ta.shape().dim(1), n = tb.shape().dim(1);
        if (tb.shape().dim(0) != k) {
            throw new TraceException(loc, "dot: the inner dimensions differ: " + ta + " · " + tb);
        }
        if (m < 16 || n < 16 || k < 16) {
            throw new TraceException(loc, "dot needs every dimension to be at least 16 (tensor cores multiply 16×16 "
                    + "pieces), got " + ta + " · " + tb + "; use larger blocks and mask");
        }
        DType in = ta.dtype();
        if (in != tb.dtype()) {
            throw new TraceException(loc, "dot needs both operands of one dtype, got " + ta + " and " + tb
                    + "; convert one with .to(...)");
        }
        DType accType = switch (in) {
            case I8, U8 -> DType.I32;
            case F64 -> DType.F64;
            case F16, BF16, F32, FP8E4M3, FP8E5M2 -> outType == null ? DType.F32 : outType;
            default -> throw new TraceException(loc, "dot does not take " + in + " operands (use f16, bf16, f32, fp8, i8 or f64)");
        };
        if (acc != null) {
            if (!acc.type().shape().equals(Shape.of(m, n))) {
                throw new TraceException(loc, "dot accumulator must be [" + m + ", " + n + "], got " + acc.type());
            }
            accType = acc.type().dtype();
        } else {
            acc = Semantic.constant(accType.isFloat() ? (Number) 0.0 : (Number) 0L, accType, Shape.of(m, n), loc);
        }
        boolean allowed = switch (in) {
            case I8, U8 -> accType == DType.I32;
            case F64 -> accType == DType.F64;
            case F16 -> accType == DType.F32 || accType == DType.F16;
            default -> accType == DType.F32;
        };
        if (!allowed) throw new TraceException(loc, "dot of " + in + " operands cannot accumulate in " + accType);
        if (precision == Op.Dot.Precision.FAST_ACCUMULATION && !in.isFp8()) {
            throw new TraceException(loc, "dot: FAST_ACCUMULATION is for fp8 operands, got " + in + " (f32 operands take TF32 or IEEE)");
        }
        Op.Dot.Precision p = switch (in) {
            case F32 -> precision == null ? defaultF32Precision() : precision;
            case FP8E4M3, FP8E5M2 -> precision == Op.Dot.Precision.FAST_ACCUMULATION ? precision : Op.Dot.Precision.IEEE;
            default -> Op.Dot.Precision.IEEE;
        };
        Value r = ctx().newValue(acc.type());
        return ctx().define(r, new Op.Dot(r, a, b, acc, p, loc));
    }

    /** Like Triton, f32 dots use tf32 unless the property {@code tessera.dot.f32} says "ieee". */
    private static Op.Dot.Precision defaultF32Precision() {
        return "ieee".equalsIgnoreCase(System.getProperty("tessera.dot.f32", System.getenv("TESSERA_DOT_F32")))
                ? Op.Dot.Precision.IEEE : Op.Dot.Precision.TF32;
    }
}
