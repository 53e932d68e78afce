package dev.tessera.semantic;

import dev.tessera.ir.Loc;
import dev.tessera.ir.Op;
import dev.tessera.ir.Op.Binary;
import dev.tessera.ir.Op.Compare;
import dev.tessera.ir.Op.Unary;
import dev.tessera.ir.Shape;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import dev.tessera.semantic.Typing.Operand;
import dev.tessera.types.DType;
import dev.tessera.types.ElementType;
import dev.tessera.types.Numerics.Rounding;
import dev.tessera.types.PointerType;
import java.util.Arrays;

/**
 * The rules behind the tile language's elementwise, creation and shape operations: checks operand
 * kinds, promotes dtypes, broadcasts shapes, and emits the ops into the current trace. Operands are
 * {@link Value}s or Java literals (Integer, Long, Float, Double, Boolean).
 */
public final class Semantic {
    private Semantic() {}

    static TraceContext ctx() { return TraceContext.current(); }

    // ------------------------------------------------------------------ creation

    public static Value programId(int axis) {
        Loc loc = ctx().loc();
        checkAxis(axis, loc, "programId");
        Value r = ctx().newValue(Type.scalar(DType.I32));
        return ctx().define(r, new Op.ProgramId(r, axis, loc));
    }

    public static Value numPrograms(int axis) {
        Loc loc = ctx().loc();
        checkAxis(axis, loc, "numPrograms");
        Value r = ctx().newValue(Type.scalar(DType.I32));
        return ctx().define(r, new Op.NumPrograms(r, axis, loc));
    }

    private static void checkAxis(int axis, Loc loc, String what) {
        if (axis < 0 || axis > 2) throw new TraceException(loc, what + " axis must be 0, 1 or 2, got " + axis);
    }

    public static Value arange(int start, int end) {
        Loc loc = ctx().loc();
        if (end <= start) throw new TraceException(loc, "arange(" + start + ", " + end + ") is empty; end must exceed start");
        int n = end - start;
        if (Integer.bitCount(n) != 1) {
            throw new TraceException(loc, "arange(" + start + ", " + end + ") has length " + n
                    + ", which is not a power of 2; use arange(" + start + ", " + (start + Integer.highestOneBit(n) * 2)
                    + ") and mask the extra lanes");
        }
        Typing.checkTileShape(Shape.of(n), loc, "arange");
        Value r = ctx().newValue(Type.of(DType.I32, n));
        return ctx().define(r, new Op.Arange(r, start, end, loc));
    }

    /** A tile of {@code shape} filled with {@code value} (a Java number or a scalar Value). */
    public static Value full(int[] shape, Object value, DType dtype) {
        Loc loc = ctx().loc();
        Shape s = Shape.of(shape);
        Typing.checkTileShape(s, loc, "full");
        Operand v = Typing.operand(value, loc);
        if (!v.type().isScalar()) throw new TraceException(loc, "full needs a scalar fill value, got " + v.type());
        return v.isLiteral() ? constant(v.literal(), dtype, s, loc) : broadcast(cast(v.value(), dtype, loc), s, loc);
    }

    static Value constant(Number literal, DType t, Shape shape, Loc loc) {
        Number v = Typing.literalAs(literal, t, loc);
        Value r = ctx().newValue(new Type(t, shape));
        return ctx().define(r, new Op.Constant(r, v, loc));
    }

    /** A Java literal as a scalar of its own dtype (int → i32, long → i64, float/double → f32, boolean → i1). */
    public static Value scalar(Object literal) {
        Loc loc = ctx().loc();
        Operand o = Typing.operand(literal, loc);
        return o.materialize(o.dtype(), Shape.SCALAR, loc);
    }

    // ------------------------------------------------------------------ shapes

    public static Value broadcastTo(Value x, int... shape) {
        Loc loc = ctx().loc();
        Shape target = Shape.of(shape);
        Shape joint = Typing.broadcastShape(x.type().shape(), target, loc, "broadcast " + x.type() + " to " + target);
        if (!joint.equals(target)) throw new TraceException(loc, "cannot broadcast " + x.type() + " to " + target);
        return broadcast(x, target, loc);
    }

    /** {@code x} made to have {@code shape}: splat a scalar, add leading dimensions, stretch size-1 ones. */
    static Value broadcast(Value x, Shape shape, Loc loc) {
        Type t = x.type();
        if (t.shape().equals(shape)) return x;
        if (t.isScalar()) {
            Value r = ctx().newValue(t.withShape(shape));
            return ctx().define(r, new Op.Splat(r, x, loc));
        }
        Value v = x;
        while (v.type().rank() < shape.rank()) v = expandDims(v, 0, loc);
        if (v.type().shape().equals(shape)) return v;
        Value r = ctx().newValue(t.withShape(shape));
        return ctx().define(r, new Op.Broadcast(r, v, loc));
    }

    public static Value expandDims(Value x, int axis) { return expandDims(x, axis, ctx().loc()); }

    private static Value expandDims(Value x, int axis, Loc loc) {
        int rank = x.type().rank();
        int a = axis < 0 ? axis + rank + 1 : axis;
        if (a < 0 || a > rank) throw new TraceException(loc, "expandDims axis " + axis + " is out of range for " + x.type());
        Value r = ctx().newValue(x.type().withShape(x.type().shape().inserting(a, 1)));
        return ctx().define(r, new Op.ExpandDims(r, x, a, loc));
    }

    public static Value reshape(Value x, int... shape) {
        Loc loc = ctx().loc();
        Shape s = Shape.of(shape);
        if (s.numel() != x.type().numel()) {
            throw new TraceException(loc, "cannot reshape " + x.type() + " to " + s + ": the element counts differ ("
                    + x.type().numel() + " and " + s.numel() + ")");
        }
        if (s.equals(x.type().shape())) return x;
        Typing.checkTileShape(s, loc, "reshape");
        Value r = ctx().newValue(x.type().withShape(s));
        return ctx().define(r, new Op.Reshape(r, x, loc));
    }

    public static Value permute(Value x, int... order) {
        Loc loc = ctx().loc();
        int rank = x.type().rank();
        int[] sorted = order.clone();
        Arrays.sort(sorted);
        boolean isPermutation = order.length == rank;
        for (int i = 0; isPermutation && i < rank; i++) isPermutation = sorted[i] == i;
        if (!isPermutation) {
            throw new TraceException(loc, "permute order " + Arrays.toString(order) + " is not a permutation of the "
                    + rank + " dimensions of " + x.type());
        }
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) dims[i] = x.type().shape().dim(order[i]);
        Value r = ctx().newValue(x.type().withShape(Shape.of(dims)));
        return ctx().define(r, new Op.Permute(r, x, Arrays.stream(order).boxed().toList(), loc));
    }

    /** Reverses the dimensions (for 2-D tiles, the transpose). */
    public static Value trans(Value x) {
        int rank = x.type().rank();
        int[] order = new int[rank];
        for (int i = 0; i < rank; i++) order[i] = rank - 1 - i;
        return permute(x, order);
    }

    public static Value join(Value a, Value b) {
        Loc loc = ctx().loc();
        if (!a.type().element().equals(b.type().element())) {
            throw new TraceException(loc, "join needs equal dtypes, got " + a.type() + " and " + b.type());
        }
        Shape s = Typing.broadcastShape(a.type().shape(), b.type().shape(), loc, "join");
        Value x = broadcast(a, s, loc), y = broadcast(b, s, loc);
        Value r = ctx().newValue(x.type().withShape(s.inserting(s.rank(), 2)));
        return ctx().define(r, new Op.Join(r, x, y, loc));
    }

    public static Value[] split(Value x) {
        Loc loc = ctx().loc();
        Type t = x.type();
        if (t.rank() == 0 || t.shape().dim(t.rank() - 1) != 2) {
            throw new TraceException(loc, "split needs a last dimension of size 2, got " + t);
        }
        Type half = t.withShape(t.shape().without(t.rank() - 1));
        Value lo = ctx().newValue(half), hi = ctx().newValue(half);
        ctx().emit(new Op.Split(java.util.List.of(lo, hi), x, loc));
        return new Value[] {lo, hi};
    }

    public static Value cat(Value a, Value b) {
        Loc loc = ctx().loc();
        if (!a.type().equals(b.type()) || a.type().rank() == 0) {
            throw new TraceException(loc, "cat needs two tiles of one type, got " + a.type() + " and " + b.type());
        }
        Shape s = a.type().shape();
        Value r = ctx().newValue(a.type().withShape(s.withDim(0, s.dim(0) * 2)));
        return ctx().define(r, new Op.Cat(r, a, b, loc));
    }

    // ------------------------------------------------------------------ arithmetic

    public static Value binary(Binary.Fn fn, Object lhs, Object rhs) {
        Loc loc = ctx().loc();
        Operand a = Typing.operand(lhs, loc), b = Typing.operand(rhs, loc);
        if (a.isPointer() || b.isPointer()) return pointerArithmetic(fn, a, b, loc);
        boolean divOrMod = fn == Binary.Fn.DIV || fn == Binary.Fn.REM || fn == Binary.Fn.DIV_RN;
        String what = Typing.describe(fn);
        DType t = Typing.computationType(a, b, divOrMod, loc, what);
        switch (fn) {
            case AND, OR, XOR -> requireIntegerOrBool(t, loc, a, b, what);
            case SHL, SHR, UMULHI -> requireInteger(t, loc, a, b, what);
            case DIV_RN, POW, MAX_NAN, MIN_NAN -> {
                if (!t.isFloat()) t = DType.F32;
            }
            default -> {
                if (t.isBool()) t = DType.I32;
            }
        }
        Shape s = Typing.broadcastShape(a.type().shape(), b.type().shape(), loc,
                what + " " + a.type() + " and " + b.type());
        Value x = coerce(a, t, s, loc), y = coerce(b, t, s, loc);
        Value r = ctx().newValue(new Type(t, s));
        return ctx().define(r, new Binary(r, fn, x, y, loc));
    }

    private static Value pointerArithmetic(Binary.Fn fn, Operand a, Operand b, Loc loc) {
        if (a.isPointer() && b.isPointer()) {
            throw new TraceException(loc, "cannot " + Typing.describe(fn) + " two pointers (" + a.type() + " and "
                    + b.type() + "); add integer offsets to one pointer instead");
        }
        boolean pointerFirst = a.isPointer();
        if (!(fn == Binary.Fn.ADD || (fn == Binary.Fn.SUB && pointerFirst))) {
            throw new TraceException(loc, "cannot " + Typing.describe(fn) + " a pointer; pointers take only "
                    + "ptr.add(offsets) and ptr.sub(offsets)");
        }
        Operand ptr = pointerFirst ? a : b, off = pointerFirst ? b : a;
        if (!off.dtype().isInteger()) {
            throw new TraceException(loc, "pointer offsets must be integers, got " + off.type());
        }
        Shape s = Typing.broadcastShape(ptr.type().shape(), off.type().shape(), loc, "offset " + ptr.type() + " by " + off.type());
        Value offset = coerce(off, off.dtype(), s, loc);
        if (fn == Binary.Fn.SUB) offset = unary(Unary.Fn.NEG, offset);
        Value p = broadcast(ptr.value(), s, loc);
        Value r = ctx().newValue(p.type());
        return ctx().define(r, new Op.PtrAdd(r, p, offset, loc));
    }

    private static void requireIntegerOrBool(DType t, Loc loc, Operand a, Operand b, String what) {
        if (!(t.isInteger() || t.isBool())) {
            throw new TraceException(loc, "cannot " + what + " " + a.type() + " and " + b.type()
                    + ": bitwise operations take integers or i1");
        }
    }

    private static void requireInteger(DType t, Loc loc, Operand a, Operand b, String what) {
        if (!t.isInteger()) {
            throw new TraceException(loc, "cannot " + what + " " + a.type() + " and " + b.type() + ": it takes integers");
        }
    }

    /** The operand as a value of dtype {@code t} and shape {@code s}. */
    static Value coerce(Operand o, DType t, Shape s, Loc loc) {
        if (o.isLiteral()) return constant(o.literal(), t, s, loc);
        return broadcast(cast(o.value(), t, loc), s, loc);
    }

    public static Value compare(Compare.Fn fn, Object lhs, Object rhs) {
        Loc loc = ctx().loc();
        Operand a = Typing.operand(lhs, loc), b = Typing.operand(rhs, loc);
        if (a.isPointer() || b.isPointer()) {
            throw new TraceException(loc, "cannot compare pointers; compare their offsets");
        }
        DType t = Typing.computationType(a, b, false, loc, "compare");
        Shape s = Typing.broadcastShape(a.type().shape(), b.type().shape(), loc, "compare " + a.type() + " and " + b.type());
        Value x = coerce(a, t, s, loc), y = coerce(b, t, s, loc);
        Value r = ctx().newValue(new Type(DType.I1, s));
        return ctx().define(r, new Compare(r, fn, x, y, loc));
    }

    public static Value unary(Unary.Fn fn, Value x) {
        Loc loc = ctx().loc();
        Type t = x.type();
        if (t.isPointer()) throw new TraceException(loc, "cannot apply " + name(fn) + " to a pointer " + t);
        DType d = t.dtype();
        switch (fn) {
            case NOT -> {
                if (d.isFloat()) throw new TraceException(loc, "not takes integers or i1, got " + t);
            }
            case POPCOUNT -> {
                if (!d.isInteger()) throw new TraceException(loc, "popcount takes integers, got " + t);
            }
            case NEG, ABS -> {
                if (d.isBool()) x = cast(x, DType.I32, loc);
                if (fn == Unary.Fn.ABS && d.isUnsigned()) return x;
            }
            default -> {
                if (!d.isFloat()) {
                    throw new TraceException(loc, name(fn) + " takes floats, got " + t + "; convert first, e.g. x.to(F32)");
                }
            }
        }
        Value r = ctx().newValue(x.type());
        return ctx().define(r, new Unary(r, fn, x, loc));
    }

    private static String name(Unary.Fn fn) { return fn.name().toLowerCase(java.util.Locale.ROOT); }

    public static Value fma(Object a, Object b, Object c) {
        Loc loc = ctx().loc();
        Operand x = Typing.operand(a, loc), y = Typing.operand(b, loc), z = Typing.operand(c, loc);
        DType t = Typing.computationType(x, y, false, loc, "fma");
        t = Typing.computationType(new Operand(null, 0.0, t), z, false, loc, "fma");
        if (!t.isFloat()) t = DType.F32;
        Shape s = Typing.broadcastShape(Typing.broadcastShape(x.type().shape(), y.type().shape(), loc, "fma"),
                z.type().shape(), loc, "fma");
        Value r = ctx().newValue(new Type(t, s));
        return ctx().define(r, new Op.Fma(r, coerce(x, t, s, loc), coerce(y, t, s, loc), coerce(z, t, s, loc), loc));
    }

    /** Elementwise choice; the condition is converted to i1 (non-zero is true). */
    public static Value where(Object condition, Object ifTrue, Object ifFalse) {
        Loc loc = ctx().loc();
        Operand c = Typing.operand(condition, loc), a = Typing.operand(ifTrue, loc), b = Typing.operand(ifFalse, loc);
        Shape s = Typing.broadcastShape(Typing.broadcastShape(c.type().shape(), a.type().shape(), loc, "where"),
                b.type().shape(), loc, "where");
        Value cond = coerce(c, DType.I1, s, loc);
        ElementType t;
        Value x, y;
        if (a.isPointer() || b.isPointer()) {
            if (!a.type().element().equals(b.type().element())) {
                throw new TraceException(loc, "where between pointers needs one pointer type, got " + a.type() + " and " + b.type());
            }
            t = a.type().element();
            x = broadcast(a.value(), s, loc);
            y = broadcast(b.value(), s, loc);
        } else {
            DType d = Typing.computationType(a, b, false, loc, "select between");
            t = d;
            x = coerce(a, d, s, loc);
            y = coerce(b, d, s, loc);
        }
        Value r = ctx().newValue(new Type(t, s));
        return ctx().define(r, new Op.Select(r, cond, x, y, loc));
    }

    /** The integer quotient rounded up: (a + b - 1) / b. */
    public static Value cdiv(Object a, Object b) {
        Loc loc = ctx().loc();
        Operand x = Typing.operand(a, loc), y = Typing.operand(b, loc);
        if (!x.dtype().isInteger() || !y.dtype().isInteger()) {
            throw new TraceException(loc, "cdiv takes integers, got " + x.type() + " and " + y.type());
        }
        return binary(Binary.Fn.DIV, binary(Binary.Fn.SUB, binary(Binary.Fn.ADD, a, b), 1), b);
    }

    // ------------------------------------------------------------------ conversions

    public static Value cast(Value x, DType t, Rounding rounding) {
        Loc loc = ctx().loc();
        Type from = x.type();
        if (from.isPointer()) {
            if (t == DType.I64 || t == DType.U64) return bitcast(x, t);
            throw new TraceException(loc, "a pointer converts only to i64 or u64, not " + t);
        }
        if (from.element() == t) return x;
        if (rounding == Rounding.TOWARD_ZERO && !(from.dtype().isFloat() && t.isFloat() && t.bits() < from.dtype().bits())) {
            throw new TraceException(loc, "rounding toward zero applies only when narrowing floats, not " + from.dtype() + " to " + t);
        }
        Value r = ctx().newValue(from.withElement(t));
        return ctx().define(r, new Op.Convert(r, x, rounding, loc));
    }

    static Value cast(Value x, DType t, Loc loc) {
        if (x.type().element() == t) return x;
        if (x.type().isPointer()) throw new TraceException(loc, "a pointer " + x.type() + " cannot become " + t);
        Value r = ctx().newValue(x.type().withElement(t));
        return ctx().define(r, new Op.Convert(r, x, Rounding.NEAREST_EVEN, loc));
    }

    /** The same bits as another element type of equal width; pointers convert to other pointers and i64. */
    public static Value bitcast(Value x, ElementType t) {
        Loc loc = ctx().loc();
        ElementType from = x.type().element();
        if (from.equals(t)) return x;
        int fromBits = from instanceof PointerType ? 64 : ((DType) from).bits();
        int toBits = t instanceof PointerType ? 64 : ((DType) t).bits();
        if (fromBits != toBits || (from instanceof PointerType) != (t instanceof PointerType) && fromBits != 64) {
            throw new TraceException(loc, "cannot bitcast " + x.type() + " to " + t + ": the widths differ");
        }
        Value r = ctx().newValue(x.type().withElement(t));
        return ctx().define(r, new Op.Bitcast(r, x, loc));
    }
}
