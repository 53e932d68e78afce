package dev.tessera.lang;

import dev.tessera.ir.Op;
import dev.tessera.ir.Value;
import dev.tessera.semantic.Semantic;
import dev.tessera.types.DType;
import dev.tessera.types.ElementType;
import dev.tessera.types.Numerics.Rounding;
import dev.tessera.types.PointerType;

/**
 * A traced value: a scalar (0-d), a block of numbers, or a block of pointers. Tiles exist only while
 * a kernel is traced; operations on them record IR, they never compute on data.
 *
 * <p>Arithmetic takes another tile or a Java number. Shapes broadcast as in NumPy; dtypes promote as
 * in Triton (a Java literal never widens a tile of the same kind: {@code bf16Tile.mul(2.0)} stays
 * bf16). Pointer tiles take integer offsets: {@code x.add(offsets)}.
 */
public final class Tile {
    private final Value value;

    private Tile(Value value) { this.value = value; }

    /** For the tracer: the tile standing for an IR value. */
    public static Tile wrap(Value value) { return new Tile(value); }

    /** For the tracer: the IR value behind this tile. */
    public Value value() { return value; }

    /** Adds elementwise (pointer + integer offsets gives pointers). */
    public Tile add(Tile other) { return wrap(Semantic.binary(Op.Binary.Fn.ADD, value, other.value)); }

    public Tile add(int other) { return wrap(Semantic.binary(Op.Binary.Fn.ADD, value, other)); }

    public Tile add(long other) { return wrap(Semantic.binary(Op.Binary.Fn.ADD, value, other)); }

    public Tile add(float other) { return wrap(Semantic.binary(Op.Binary.Fn.ADD, value, other)); }

    public Tile add(double other) { return wrap(Semantic.binary(Op.Binary.Fn.ADD, value, other)); }

    /** Subtracts elementwise. */
    public Tile sub(Tile other) { return wrap(Semantic.binary(Op.Binary.Fn.SUB, value, other.value)); }

    public Tile sub(int other) { return wrap(Semantic.binary(Op.Binary.Fn.SUB, value, other)); }

    public Tile sub(long other) { return wrap(Semantic.binary(Op.Binary.Fn.SUB, value, other)); }

    public Tile sub(float other) { return wrap(Semantic.binary(Op.Binary.Fn.SUB, value, other)); }

    public Tile sub(double other) { return wrap(Semantic.binary(Op.Binary.Fn.SUB, value, other)); }

    /** {@code other - this}: a scalar on the left, as Triton's {@code 1.0 - x} (Java has no operator for it). */
    public Tile rsub(int other) { return wrap(Semantic.binary(Op.Binary.Fn.SUB, other, value)); }

    public Tile rsub(long other) { return wrap(Semantic.binary(Op.Binary.Fn.SUB, other, value)); }

    public Tile rsub(float other) { return wrap(Semantic.binary(Op.Binary.Fn.SUB, other, value)); }

    public Tile rsub(double other) { return wrap(Semantic.binary(Op.Binary.Fn.SUB, other, value)); }

    /** Multiplies elementwise. */
    public Tile mul(Tile other) { return wrap(Semantic.binary(Op.Binary.Fn.MUL, value, other.value)); }

    public Tile mul(int other) { return wrap(Semantic.binary(Op.Binary.Fn.MUL, value, other)); }

    public Tile mul(long other) { return wrap(Semantic.binary(Op.Binary.Fn.MUL, value, other)); }

    public Tile mul(float other) { return wrap(Semantic.binary(Op.Binary.Fn.MUL, value, other)); }

    public Tile mul(double other) { return wrap(Semantic.binary(Op.Binary.Fn.MUL, value, other)); }

    /** Divides: truncating for integers (as Java's {@code /}), true division for floats. */
    public Tile div(Tile other) { return wrap(Semantic.binary(Op.Binary.Fn.DIV, value, other.value)); }

    public Tile div(int other) { return wrap(Semantic.binary(Op.Binary.Fn.DIV, value, other)); }

    public Tile div(long other) { return wrap(Semantic.binary(Op.Binary.Fn.DIV, value, other)); }

    public Tile div(float other) { return wrap(Semantic.binary(Op.Binary.Fn.DIV, value, other)); }

    public Tile div(double other) { return wrap(Semantic.binary(Op.Binary.Fn.DIV, value, other)); }

    /** {@code other / this}: a scalar on the left, as Triton's {@code 1.0 / x}. */
    public Tile rdiv(int other) { return wrap(Semantic.binary(Op.Binary.Fn.DIV, other, value)); }

    public Tile rdiv(long other) { return wrap(Semantic.binary(Op.Binary.Fn.DIV, other, value)); }

    public Tile rdiv(float other) { return wrap(Semantic.binary(Op.Binary.Fn.DIV, other, value)); }

    public Tile rdiv(double other) { return wrap(Semantic.binary(Op.Binary.Fn.DIV, other, value)); }

    /** The remainder with the sign of the dividend (Java's {@code %}). */
    public Tile rem(Tile other) { return wrap(Semantic.binary(Op.Binary.Fn.REM, value, other.value)); }

    public Tile rem(int other) { return wrap(Semantic.binary(Op.Binary.Fn.REM, value, other)); }

    public Tile rem(long other) { return wrap(Semantic.binary(Op.Binary.Fn.REM, value, other)); }

    public Tile rem(float other) { return wrap(Semantic.binary(Op.Binary.Fn.REM, value, other)); }

    public Tile rem(double other) { return wrap(Semantic.binary(Op.Binary.Fn.REM, value, other)); }

    /** Bitwise and; logical and for i1 masks. */
    public Tile and(Tile other) { return wrap(Semantic.binary(Op.Binary.Fn.AND, value, other.value)); }

    public Tile and(int other) { return wrap(Semantic.binary(Op.Binary.Fn.AND, value, other)); }

    public Tile and(long other) { return wrap(Semantic.binary(Op.Binary.Fn.AND, value, other)); }

    public Tile and(float other) { return wrap(Semantic.binary(Op.Binary.Fn.AND, value, other)); }

    public Tile and(double other) { return wrap(Semantic.binary(Op.Binary.Fn.AND, value, other)); }

    /** Bitwise or; logical or for i1 masks. */
    public Tile or(Tile other) { return wrap(Semantic.binary(Op.Binary.Fn.OR, value, other.value)); }

    public Tile or(int other) { return wrap(Semantic.binary(Op.Binary.Fn.OR, value, other)); }

    public Tile or(long other) { return wrap(Semantic.binary(Op.Binary.Fn.OR, value, other)); }

    public Tile or(float other) { return wrap(Semantic.binary(Op.Binary.Fn.OR, value, other)); }

    public Tile or(double other) { return wrap(Semantic.binary(Op.Binary.Fn.OR, value, other)); }

    /** Bitwise exclusive or. */
    public Tile xor(Tile other) { return wrap(Semantic.binary(Op.Binary.Fn.XOR, value, other.value)); }

    public Tile xor(int other) { return wrap(Semantic.binary(Op.Binary.Fn.XOR, value, other)); }

    public Tile xor(long other) { return wrap(Semantic.binary(Op.Binary.Fn.XOR, value, other)); }

    public Tile xor(float other) { return wrap(Semantic.binary(Op.Binary.Fn.XOR, value, other)); }

    public Tile xor(double other) { return wrap(Semantic.binary(Op.Binary.Fn.XOR, value, other)); }

    /** Shifts left. */
    public Tile shl(Tile other) { return wrap(Semantic.binary(Op.Binary.Fn.SHL, value, other.value)); }

    public Tile shl(int other) { return wrap(Semantic.binary(Op.Binary.Fn.SHL, value, other)); }

    public Tile shl(long other) { return wrap(Semantic.binary(Op.Binary.Fn.SHL, value, other)); }

    public Tile shl(float other) { return wrap(Semantic.binary(Op.Binary.Fn.SHL, value, other)); }

    public Tile shl(double other) { return wrap(Semantic.binary(Op.Binary.Fn.SHL, value, other)); }

    /** Shifts right: arithmetic for signed, logical for unsigned types. */
    public Tile shr(Tile other) { return wrap(Semantic.binary(Op.Binary.Fn.SHR, value, other.value)); }

    public Tile shr(int other) { return wrap(Semantic.binary(Op.Binary.Fn.SHR, value, other)); }

    public Tile shr(long other) { return wrap(Semantic.binary(Op.Binary.Fn.SHR, value, other)); }

    public Tile shr(float other) { return wrap(Semantic.binary(Op.Binary.Fn.SHR, value, other)); }

    public Tile shr(double other) { return wrap(Semantic.binary(Op.Binary.Fn.SHR, value, other)); }

    /** {@code this < other}, elementwise, as i1. */
    public Tile lt(Tile other) { return wrap(Semantic.compare(Op.Compare.Fn.LT, value, other.value)); }

    public Tile lt(int other) { return wrap(Semantic.compare(Op.Compare.Fn.LT, value, other)); }

    public Tile lt(long other) { return wrap(Semantic.compare(Op.Compare.Fn.LT, value, other)); }

    public Tile lt(float other) { return wrap(Semantic.compare(Op.Compare.Fn.LT, value, other)); }

    public Tile lt(double other) { return wrap(Semantic.compare(Op.Compare.Fn.LT, value, other)); }

    /** {@code this <= other}, elementwise, as i1. */
    public Tile le(Tile other) { return wrap(Semantic.compare(Op.Compare.Fn.LE, value, other.value)); }

    public Tile le(int other) { return wrap(Semantic.compare(Op.Compare.Fn.LE, value, other)); }

    public Tile le(long other) { return wrap(Semantic.compare(Op.Compare.Fn.LE, value, other)); }

    public Tile le(float other) { return wrap(Semantic.compare(Op.Compare.Fn.LE, value, other)); }

    public Tile le(double other) { return wrap(Semantic.compare(Op.Compare.Fn.LE, value, other)); }

    /** {@code this > other}, elementwise, as i1. */
    public Tile gt(Tile other) { return wrap(Semantic.compare(Op.Compare.Fn.GT, value, other.value)); }

    public Tile gt(int other) { return wrap(Semantic.compare(Op.Compare.Fn.GT, value, other)); }

    public Tile gt(long other) { return wrap(Semantic.compare(Op.Compare.Fn.GT, value, other)); }

    public Tile gt(float other) { return wrap(Semantic.compare(Op.Compare.Fn.GT, value, other)); }

    public Tile gt(double other) { return wrap(Semantic.compare(Op.Compare.Fn.GT, value, other)); }

    /** {@code this >= other}, elementwise, as i1. */
    public Tile ge(Tile other) { return wrap(Semantic.compare(Op.Compare.Fn.GE, value, other.value)); }

    public Tile ge(int other) { return wrap(Semantic.compare(Op.Compare.Fn.GE, value, other)); }

    public Tile ge(long other) { return wrap(Semantic.compare(Op.Compare.Fn.GE, value, other)); }

    public Tile ge(float other) { return wrap(Semantic.compare(Op.Compare.Fn.GE, value, other)); }

    public Tile ge(double other) { return wrap(Semantic.compare(Op.Compare.Fn.GE, value, other)); }

    /** {@code this == other}, elementwise, as i1. */
    public Tile eq(Tile other) { return wrap(Semantic.compare(Op.Compare.Fn.EQ, value, other.value)); }

    public Tile eq(int other) { return wrap(Semantic.compare(Op.Compare.Fn.EQ, value, other)); }

    public Tile eq(long other) { return wrap(Semantic.compare(Op.Compare.Fn.EQ, value, other)); }

    public Tile eq(float other) { return wrap(Semantic.compare(Op.Compare.Fn.EQ, value, other)); }

    public Tile eq(double other) { return wrap(Semantic.compare(Op.Compare.Fn.EQ, value, other)); }

    /** {@code this != other}, elementwise, as i1 (true where either is NaN). */
    public Tile ne(Tile other) { return wrap(Semantic.compare(Op.Compare.Fn.NE, value, other.value)); }

    public Tile ne(int other) { return wrap(Semantic.compare(Op.Compare.Fn.NE, value, other)); }

    public Tile ne(long other) { return wrap(Semantic.compare(Op.Compare.Fn.NE, value, other)); }

    public Tile ne(float other) { return wrap(Semantic.compare(Op.Compare.Fn.NE, value, other)); }

    public Tile ne(double other) { return wrap(Semantic.compare(Op.Compare.Fn.NE, value, other)); }

    /** Negates elementwise. */
    public Tile neg() { return wrap(Semantic.unary(Op.Unary.Fn.NEG, value)); }

    /** Bitwise not; logical not for i1 masks. */
    public Tile not() { return wrap(Semantic.unary(Op.Unary.Fn.NOT, value)); }

    // ------------------------------------------------------------------ shape

    /** As a column: {@code x[:, None]} in Triton, shape [n] becomes [n, 1]. */
    public Tile col() { return expandDims(-1); }

    /** As a row: {@code x[None, :]} in Triton, shape [n] becomes [1, n]. */
    public Tile row() { return expandDims(0); }

    /** Inserts a size-1 dimension at {@code axis} (negative counts from the end). */
    public Tile expandDims(int axis) { return wrap(Semantic.expandDims(value, axis)); }

    public Tile broadcastTo(int... shape) { return wrap(Semantic.broadcastTo(value, shape)); }

    public Tile reshape(int... shape) { return wrap(Semantic.reshape(value, shape)); }

    /** Reverses the dimensions: the transpose of a 2-D tile. */
    public Tile trans() { return wrap(Semantic.trans(value)); }

    /** Reorders dimensions: result dimension i is this tile's dimension {@code order[i]}. */
    public Tile permute(int... order) { return wrap(Semantic.permute(value, order)); }

    // ------------------------------------------------------------------ types

    /** Converts to {@code dtype}, rounding to nearest even where it narrows. */
    public Tile to(DType dtype) { return wrap(Semantic.cast(value, dtype, Rounding.NEAREST_EVEN)); }

    /** Converts to {@code dtype} with the given rounding for narrowing floats. */
    public Tile to(DType dtype, Rounding rounding) { return wrap(Semantic.cast(value, dtype, rounding)); }

    /** Reinterprets the bits as {@code dtype} (of equal width). */
    public Tile bitcast(DType dtype) { return wrap(Semantic.bitcast(value, dtype)); }

    /** Reinterprets a pointer tile as pointers to {@code pointee}. */
    public Tile asPointerTo(DType pointee) { return wrap(Semantic.bitcast(value, new PointerType(pointee))); }

    /** The dtype of a numeric tile; for a pointer tile use {@link #elementType()}. */
    public DType dtype() {
        if (value.type().element() instanceof DType d) return d;
        throw new IllegalStateException(this + " is a pointer; its elementType() is " + elementType());
    }

    /** What the elements are: a dtype, or for pointers the dtype they point to. */
    public DType elementType() {
        ElementType e = value.type().element();
        return e instanceof PointerType p ? p.pointee() : (DType) e;
    }

    public boolean isPointer() { return value.type().isPointer(); }

    public int[] shape() { return value.type().shape().dims(); }

    public int rank() { return value.type().rank(); }

    public int numel() { return value.type().numel(); }

    /** The type, e.g. "f32[128, 64]". */
    @Override
    public String toString() { return value.type().toString(); }
}
