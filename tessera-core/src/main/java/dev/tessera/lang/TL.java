package dev.tessera.lang;

import dev.tessera.ir.Op;
import dev.tessera.ir.Op.Reduce;
import dev.tessera.ir.Value;
import dev.tessera.semantic.ControlFlow;
import dev.tessera.semantic.DebugSemantic;
import dev.tessera.semantic.MemorySemantic;
import dev.tessera.semantic.ReductionSemantic;
import dev.tessera.semantic.Semantic;
import dev.tessera.types.DType;
import java.util.Arrays;
import java.util.List;
import java.util.function.BinaryOperator;
import java.util.function.Supplier;

/**
 * The tile language: {@code import static dev.tessera.lang.TL.*;} and write kernels as in Triton.
 *
 * <pre>{@code
 * @Kernel
 * static void add(Tile x, Tile y, Tile out, Tile n, @Constexpr int BLOCK) {
 *     Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
 *     Tile mask = offs.lt(n);
 *     store(out.add(offs), load(x.add(offs), mask).add(load(y.add(offs), mask)), mask);
 * }
 * }</pre>
 *
 * Java {@code if}/{@code for} over constexprs run while tracing (they specialize and unroll);
 * {@link #range}, {@link #when} and {@link #whileLoop} are run-time control flow, with loop-carried
 * state in {@link Var}s.
 */
public final class TL {
    private TL() {}

    // ------------------------------------------------------------------ dtypes and constants

    public static final DType I1 = DType.I1, I8 = DType.I8, U8 = DType.U8, I16 = DType.I16, U16 = DType.U16,
            I32 = DType.I32, U32 = DType.U32, I64 = DType.I64, U64 = DType.U64, F16 = DType.F16, BF16 = DType.BF16,
            F32 = DType.F32, F64 = DType.F64, FP8E4M3 = DType.FP8E4M3, FP8E5M2 = DType.FP8E5M2;

    /** log2(e): exp(x) == exp2(x * LOG2E). */
    public static final double LOG2E = 1.4426950408889634;
    /** ln(2): log(x) == log2(x) * LN2. */
    public static final double LN2 = 0.6931471805599453;

    private static Tile t(Value v) { return Tile.wrap(v); }

    private static Object u(Object o) { return Range.unwrap(o); }

    // ------------------------------------------------------------------ program ids and creation

    /** The id of this program along grid axis 0, 1 or 2. */
    public static Tile programId(int axis) { return t(Semantic.programId(axis)); }

    /** The number of programs along grid axis 0, 1 or 2. */
    public static Tile numPrograms(int axis) { return t(Semantic.numPrograms(axis)); }

    /** [start, start+1, ..., end-1] as i32; the length must be a power of 2. */
    public static Tile arange(int start, int end) { return t(Semantic.arange(start, end)); }

    public static Tile full(DType dtype, double value, int... shape) { return t(Semantic.full(shape, value, dtype)); }

    public static Tile full(DType dtype, long value, int... shape) { return t(Semantic.full(shape, value, dtype)); }

    /** A tile filled with a scalar tile's value. */
    public static Tile full(DType dtype, Tile scalar, int... shape) { return t(Semantic.full(shape, scalar.value(), dtype)); }

    public static Tile zeros(DType dtype, int... shape) { return t(Semantic.full(shape, 0L, dtype)); }

    public static Tile zerosLike(Tile x) { return zeros(x.dtype(), x.shape()); }

    public static Tile fullLike(Tile x, double value) { return full(x.dtype(), value, x.shape()); }

    /** Like x, filled with an integer (which also suits float tiles; a double cannot fill an integer tile). */
    public static Tile fullLike(Tile x, long value) { return full(x.dtype(), value, x.shape()); }

    /** A Java number as a scalar tile (int → i32, long → i64, float and double → f32). */
    public static Tile scalar(int value) { return t(Semantic.scalar(value)); }

    public static Tile scalar(long value) { return t(Semantic.scalar(value)); }

    public static Tile scalar(double value) { return t(Semantic.scalar(value)); }

    public static Tile scalar(boolean value) { return t(Semantic.scalar(value)); }

    public static Tile cast(Tile x, DType dtype) { return x.to(dtype); }

    // ------------------------------------------------------------------ shapes

    public static Tile broadcastTo(Tile x, int... shape) { return x.broadcastTo(shape); }

    public static Tile expandDims(Tile x, int axis) { return x.expandDims(axis); }

    public static Tile reshape(Tile x, int... shape) { return x.reshape(shape); }

    /** Triton's view: here the same as reshape (elements keep their row-major order). */
    public static Tile view(Tile x, int... shape) { return x.reshape(shape); }

    public static Tile trans(Tile x) { return x.trans(); }

    public static Tile permute(Tile x, int... order) { return x.permute(order); }

    /** Stacks two tiles along a new last dimension of size 2. */
    public static Tile join(Tile a, Tile b) { return t(Semantic.join(a.value(), b.value())); }

    /** Splits a tile whose last dimension is 2 into its two halves (the inverse of join). */
    public static Tile[] split(Tile x) { return Arrays.stream(Semantic.split(x.value())).map(Tile::wrap).toArray(Tile[]::new); }

    /** Concatenates two tiles of one type along dimension 0. */
    public static Tile cat(Tile a, Tile b) { return t(Semantic.cat(a.value(), b.value())); }

    // ------------------------------------------------------------------ memory

    /** Loads through a tile of pointers (every lane must be in bounds). */
    public static Tile load(Tile pointer) { return load(pointer, null, null, MemoryOrder.Cache.NONE, MemoryOrder.Eviction.NORMAL); }

    /** Loads where {@code mask} is true; masked-off lanes are 0. */
    public static Tile load(Tile pointer, Tile mask) { return load(pointer, mask, null, MemoryOrder.Cache.NONE, MemoryOrder.Eviction.NORMAL); }

    /** Loads where {@code mask} is true; masked-off lanes are {@code other}. */
    public static Tile load(Tile pointer, Tile mask, double other) { return load(pointer, mask, (Object) other, MemoryOrder.Cache.NONE, MemoryOrder.Eviction.NORMAL); }

    public static Tile load(Tile pointer, Tile mask, long other) { return load(pointer, mask, (Object) other, MemoryOrder.Cache.NONE, MemoryOrder.Eviction.NORMAL); }

    public static Tile load(Tile pointer, Tile mask, Tile other) { return load(pointer, mask, (Object) other, MemoryOrder.Cache.NONE, MemoryOrder.Eviction.NORMAL); }

    /** The full form, with cache and eviction hints ({@code other} is a Tile, a Java number or null). */
    public static Tile load(Tile pointer, Tile mask, Object other, MemoryOrder.Cache cache, MemoryOrder.Eviction eviction) {
        return t(MemorySemantic.load(pointer.value(), mask == null ? null : mask.value(), u(other), IrOptions.ir(cache), IrOptions.ir(eviction), false));
    }

    /**
     * Asks the GPU to bring the lines these pointers address into L2 ahead of a later load (a
     * streaming loop's block some steps ahead, with no registers held for it); a hint: no value,
     * no effect on results, nothing on the CPU.
     */
    public static void prefetch(Tile pointer) { MemorySemantic.prefetch(pointer.value(), null); }

    /** {@link #prefetch(Tile)} where {@code mask} is true. */
    public static void prefetch(Tile pointer, Tile mask) { MemorySemantic.prefetch(pointer.value(), mask.value()); }

    /** A load that is never cached or merged with others (for flags written by other programs). */
    public static Tile loadVolatile(Tile pointer, Tile mask) {
        return t(MemorySemantic.load(pointer.value(), mask == null ? null : mask.value(), null,
                dev.tessera.ir.MemoryOrder.Cache.NONE, dev.tessera.ir.MemoryOrder.Eviction.NORMAL, true));
    }

    public static void store(Tile pointer, Tile value) { store(pointer, value, null); }

    /** Stores where {@code mask} is true; the value is converted to the pointers' element type. */
    public static void store(Tile pointer, Tile value, Tile mask) {
        store(pointer, value, mask, MemoryOrder.Cache.NONE, MemoryOrder.Eviction.NORMAL);
    }

    /** Stores an integer literal (which also suits float pointers; a double cannot be stored through an integer pointer). */
    public static void store(Tile pointer, long value, Tile mask) {
        MemorySemantic.store(pointer.value(), value, mask == null ? null : mask.value(), dev.tessera.ir.MemoryOrder.Cache.NONE,
                dev.tessera.ir.MemoryOrder.Eviction.NORMAL);
    }

    public static void store(Tile pointer, double value, Tile mask) {
        MemorySemantic.store(pointer.value(), value, mask == null ? null : mask.value(), dev.tessera.ir.MemoryOrder.Cache.NONE,
                dev.tessera.ir.MemoryOrder.Eviction.NORMAL);
    }

    public static void store(Tile pointer, Tile value, Tile mask, MemoryOrder.Cache cache, MemoryOrder.Eviction eviction) {
        MemorySemantic.store(pointer.value(), value.value(), mask == null ? null : mask.value(), IrOptions.ir(cache), IrOptions.ir(eviction));
    }

    // ------------------------------------------------------------------ block pointers

    /** A block pointer from a scalar base pointer: configure it with shape, strides, offsets and block. */
    public static BlockPtr blockPtr(Tile base) { return new BlockPtr(base); }

    /** Loads the block; dimensions listed in {@code boundaryCheck} read 0 outside the tensor. */
    public static Tile load(BlockPtr pointer, int... boundaryCheck) {
        Tile[] pm = pointer.pointersAndMask(boundaryCheck);
        return pm[1] == null ? load(pm[0]) : load(pm[0], pm[1]);
    }

    /** Stores the block; dimensions listed in {@code boundaryCheck} skip elements outside the tensor. */
    public static void store(BlockPtr pointer, Tile value, int... boundaryCheck) {
        Tile[] pm = pointer.pointersAndMask(boundaryCheck);
        store(pm[0], value, pm[1]);
    }

    // ------------------------------------------------------------------ tensor descriptors

    /** The block of {@code desc} whose first element is at {@code offsets} (one per dimension); elements outside the tensor read as 0. */
    public static Tile load(TensorDesc desc, Tile... offsets) { return load(desc, MemoryOrder.Eviction.NORMAL, offsets); }

    /**
     * As {@link #load(TensorDesc, Tile...)}, its lines kept in L2 ({@code LAST}, for a second pass
     * over them) or let go first ({@code FIRST}), as a load's eviction priority.
     */
    public static Tile load(TensorDesc desc, MemoryOrder.Eviction eviction, Tile... offsets) {
        return t(MemorySemantic.descriptorLoad(desc.value(), IrOptions.ir(eviction), values(offsets)));
    }

    /** Writes {@code value} (converted to the descriptor's dtype) as the block at {@code offsets}; elements outside the tensor are dropped. */
    public static void store(TensorDesc desc, Tile[] offsets, Tile value) { MemorySemantic.descriptorStore(desc.value(), values(offsets), value.value()); }

    /**
     * Adds {@code value} (converted to the descriptor's dtype) into the block at {@code offsets},
     * each element atomically (relaxed, GPU scope; no old values); elements outside the tensor are
     * dropped. The sums are for later launches to read: nothing orders them with this launch's
     * later accesses. On Hopper one bulk reduction a block (TMA); elsewhere masked atomic adds.
     */
    public static void atomicAdd(TensorDesc desc, Tile[] offsets, Tile value) { MemorySemantic.descriptorAtomicAdd(desc.value(), values(offsets), value.value()); }

    /** The offsets of a descriptor store, {@code store(desc, at(m, n), value)}. */
    public static Tile[] at(Tile... offsets) { return offsets; }

    private static Value[] values(Tile[] tiles) { return Arrays.stream(tiles).map(Tile::value).toArray(Value[]::new); }

    // ------------------------------------------------------------------ atomics

    private static final MemoryOrder.Semantic ACQ_REL = MemoryOrder.Semantic.ACQ_REL;
    private static final MemoryOrder.Scope GPU = MemoryOrder.Scope.GPU;

    private static Tile rmw(AtomicOp fn, Tile p, Object v, Tile mask, MemoryOrder.Semantic sem, MemoryOrder.Scope scope) {
        return t(MemorySemantic.atomicRmw(IrOptions.ir(fn), p.value(), u(v), mask == null ? null : mask.value(), IrOptions.ir(sem), IrOptions.ir(scope)));
    }

    /** Atomically adds {@code value} at each pointer; returns the old values. */
    public static Tile atomicAdd(Tile pointer, Tile value) { return rmw(AtomicOp.ADD, pointer, value, null, ACQ_REL, GPU); }

    public static Tile atomicAdd(Tile pointer, double value) { return rmw(AtomicOp.ADD, pointer, value, null, ACQ_REL, GPU); }

    public static Tile atomicAdd(Tile pointer, long value) { return rmw(AtomicOp.ADD, pointer, value, null, ACQ_REL, GPU); }

    public static Tile atomicAdd(Tile pointer, Tile value, Tile mask) { return rmw(AtomicOp.ADD, pointer, value, mask, ACQ_REL, GPU); }

    /** Adds a scalar at each pointer where {@code mask} holds (the scalar takes the pointee's type, as a literal does). */
    public static Tile atomicAdd(Tile pointer, double value, Tile mask) { return rmw(AtomicOp.ADD, pointer, value, mask, ACQ_REL, GPU); }

    public static Tile atomicAdd(Tile pointer, long value, Tile mask) { return rmw(AtomicOp.ADD, pointer, value, mask, ACQ_REL, GPU); }

    public static Tile atomicAdd(Tile pointer, Tile value, Tile mask, MemoryOrder.Semantic sem, MemoryOrder.Scope scope) {
        return rmw(AtomicOp.ADD, pointer, value, mask, sem, scope);
    }

    public static Tile atomicMax(Tile pointer, Tile value) { return rmw(AtomicOp.MAX, pointer, value, null, ACQ_REL, GPU); }

    public static Tile atomicMax(Tile pointer, Tile value, Tile mask) { return rmw(AtomicOp.MAX, pointer, value, mask, ACQ_REL, GPU); }

    public static Tile atomicMin(Tile pointer, Tile value) { return rmw(AtomicOp.MIN, pointer, value, null, ACQ_REL, GPU); }

    public static Tile atomicMin(Tile pointer, Tile value, Tile mask) { return rmw(AtomicOp.MIN, pointer, value, mask, ACQ_REL, GPU); }

    public static Tile atomicAnd(Tile pointer, Tile value) { return rmw(AtomicOp.AND, pointer, value, null, ACQ_REL, GPU); }

    public static Tile atomicOr(Tile pointer, Tile value) { return rmw(AtomicOp.OR, pointer, value, null, ACQ_REL, GPU); }

    public static Tile atomicXor(Tile pointer, Tile value) { return rmw(AtomicOp.XOR, pointer, value, null, ACQ_REL, GPU); }

    public static Tile atomicXchg(Tile pointer, Tile value) { return rmw(AtomicOp.XCHG, pointer, value, null, ACQ_REL, GPU); }

    /** Any atomic read-modify-write with explicit memory semantics and scope. */
    public static Tile atomic(AtomicOp fn, Tile pointer, Tile value, Tile mask, MemoryOrder.Semantic sem,
                              MemoryOrder.Scope scope) {
        return rmw(fn, pointer, value, mask, sem, scope);
    }

    /** Atomically replaces {@code compare} by {@code value} at each pointer; returns the old values. */
    public static Tile atomicCas(Tile pointer, Tile compare, Tile value) {
        return atomicCas(pointer, compare, value, ACQ_REL, GPU);
    }

    public static Tile atomicCas(Tile pointer, Tile compare, Tile value, MemoryOrder.Semantic sem, MemoryOrder.Scope scope) {
        return t(MemorySemantic.atomicCas(pointer.value(), compare.value(), value.value(), IrOptions.ir(sem), IrOptions.ir(scope)));
    }

    // ------------------------------------------------------------------ elementwise math

    private static Tile un(Op.Unary.Fn fn, Tile x) { return t(Semantic.unary(fn, x.value())); }

    public static Tile abs(Tile x) { return un(Op.Unary.Fn.ABS, x); }

    /** e^x (fast; within a few ulp). */
    public static Tile exp(Tile x) { return un(Op.Unary.Fn.EXP, x); }

    public static Tile exp2(Tile x) { return un(Op.Unary.Fn.EXP2, x); }

    /**
     * 2^x with results below 2^-126 (the smallest normal f32) flushed to zero, on every device and
     * dtype: Triton's {@code tl.math.exp2}. On NVIDIA GPUs one {@code ex2.approx.ftz} for f32, where
     * {@link #exp2} keeps subnormal results at the cost of a test and two multiplies an element;
     * for softmax-like sums, whose largest term is 1, the flushed terms do not count.
     */
    public static Tile fastExp2(Tile x) { return un(Op.Unary.Fn.EXP2_FTZ, x); }

    public static Tile log(Tile x) { return un(Op.Unary.Fn.LOG, x); }

    public static Tile log2(Tile x) { return un(Op.Unary.Fn.LOG2, x); }

    /** Square root (fast); {@link #sqrtRn} is correctly rounded. */
    public static Tile sqrt(Tile x) { return un(Op.Unary.Fn.SQRT, x); }

    public static Tile sqrtRn(Tile x) { return un(Op.Unary.Fn.SQRT_RN, x); }

    public static Tile rsqrt(Tile x) { return un(Op.Unary.Fn.RSQRT, x); }

    public static Tile sin(Tile x) { return un(Op.Unary.Fn.SIN, x); }

    public static Tile cos(Tile x) { return un(Op.Unary.Fn.COS, x); }

    public static Tile tanh(Tile x) { return un(Op.Unary.Fn.TANH, x); }

    public static Tile sigmoid(Tile x) { return un(Op.Unary.Fn.SIGMOID, x); }

    public static Tile erf(Tile x) { return un(Op.Unary.Fn.ERF, x); }

    public static Tile floor(Tile x) { return un(Op.Unary.Fn.FLOOR, x); }

    public static Tile ceil(Tile x) { return un(Op.Unary.Fn.CEIL, x); }

    /**
     * The nearest integer, ties to even (as {@link Math#rint}, C's {@code rint} and torch's
     * {@code round}): 0.5 → 0, 1.5 → 2, 2.5 → 2, -0.3 → -0.0; NaN and ±inf stay. Integer tiles are
     * returned as they are. Built from floor and selects, exact in every float dtype, so every backend
     * has it.
     */
    public static Tile rint(Tile x) {
        DType t = x.dtype();
        if (!t.isFloat()) return x;
        int fractionBits = switch (t) {
            case F64 -> 52;
            case F32 -> 23;
            case F16 -> 10;
            case BF16 -> 7;
            case FP8E4M3 -> 3;
            case FP8E5M2 -> 2;
            default -> throw new IllegalStateException(t + " is not a float");
        };
        Tile f = floor(x), frac = x.sub(f); // exact: both lie in one binade's grid
        Tile half = f.mul(0.5), odd = half.sub(floor(half)).mul(2); // 1 where f is odd
        Tile r = where(frac.gt(0.5), f.add(1), where(frac.lt(0.5), f, f.add(odd)));
        r = where(abs(x).ge(Math.scalb(1.0, fractionBits)), x, r); // already an integer, or infinite
        return where(r.eq(0), x.mul(0), r); // the sign of zero follows x: rint(-0.3) is -0.0
    }

    /** {@link #rint}: round half to even. */
    public static Tile round(Tile x) { return rint(x); }

    public static Tile popcount(Tile x) { return un(Op.Unary.Fn.POPCOUNT, x); }

    /** a * b + c with one rounding. */
    public static Tile fma(Tile a, Tile b, Tile c) { return t(Semantic.fma(a.value(), b.value(), c.value())); }

    /** Correctly rounded division (the plain {@code div} of floats may be approximate on GPUs). */
    public static Tile divRn(Tile a, Tile b) { return t(Semantic.binary(Op.Binary.Fn.DIV_RN, a.value(), b.value())); }

    public static Tile pow(Tile a, Tile b) { return t(Semantic.binary(Op.Binary.Fn.POW, a.value(), b.value())); }

    public static Tile pow(Tile a, double b) { return t(Semantic.binary(Op.Binary.Fn.POW, a.value(), b)); }

    /** The high half of the double-width product of two integers. */
    public static Tile umulhi(Tile a, Tile b) { return t(Semantic.binary(Op.Binary.Fn.UMULHI, a.value(), b.value())); }

    public static Tile umulhi(Tile a, long b) { return t(Semantic.binary(Op.Binary.Fn.UMULHI, a.value(), b)); }

    /** Elementwise maximum; a NaN operand is ignored (use {@link #maximumNan} to propagate it). */
    public static Tile maximum(Tile a, Tile b) { return t(Semantic.binary(Op.Binary.Fn.MAX, a.value(), b.value())); }

    public static Tile maximum(Tile a, double b) { return t(Semantic.binary(Op.Binary.Fn.MAX, a.value(), b)); }

    public static Tile maximum(Tile a, long b) { return t(Semantic.binary(Op.Binary.Fn.MAX, a.value(), b)); }

    public static Tile minimum(Tile a, Tile b) { return t(Semantic.binary(Op.Binary.Fn.MIN, a.value(), b.value())); }

    public static Tile minimum(Tile a, double b) { return t(Semantic.binary(Op.Binary.Fn.MIN, a.value(), b)); }

    public static Tile minimum(Tile a, long b) { return t(Semantic.binary(Op.Binary.Fn.MIN, a.value(), b)); }

    public static Tile maximumNan(Tile a, Tile b) { return t(Semantic.binary(Op.Binary.Fn.MAX_NAN, a.value(), b.value())); }

    public static Tile minimumNan(Tile a, Tile b) { return t(Semantic.binary(Op.Binary.Fn.MIN_NAN, a.value(), b.value())); }

    /** min(max(x, lo), hi). */
    public static Tile clamp(Tile x, Tile lo, Tile hi) { return minimum(maximum(x, lo), hi); }

    public static Tile clamp(Tile x, double lo, double hi) { return minimum(maximum(x, lo), hi); }

    /** With integer bounds, an integer tile stays integer (the double form would make it f32). */
    public static Tile clamp(Tile x, long lo, long hi) { return minimum(maximum(x, lo), hi); }

    /** condition ? a : b, elementwise (a and b may be tiles or Java numbers). */
    public static Tile where(Tile condition, Tile a, Tile b) { return t(Semantic.where(condition.value(), a.value(), b.value())); }

    public static Tile where(Tile condition, Tile a, double b) { return t(Semantic.where(condition.value(), a.value(), b)); }

    public static Tile where(Tile condition, double a, Tile b) { return t(Semantic.where(condition.value(), a, b.value())); }

    public static Tile where(Tile condition, long a, long b) { return t(Semantic.where(condition.value(), a, b)); }

    // integer literals: without these, Java would pass where(m, intTile, 0) to the double form, making it f32
    public static Tile where(Tile condition, Tile a, long b) { return t(Semantic.where(condition.value(), a.value(), b)); }

    public static Tile where(Tile condition, long a, Tile b) { return t(Semantic.where(condition.value(), a, b.value())); }

    /** The integer quotient rounded up. */
    public static Tile cdiv(Tile a, Tile b) { return t(Semantic.cdiv(a.value(), b.value())); }

    public static Tile cdiv(Tile a, int b) { return t(Semantic.cdiv(a.value(), b)); }

    /** The integer quotient rounded up, for plain Java ints (grid sizes, trace-time arithmetic). */
    public static int cdiv(int a, int b) { return (a + b - 1) / b; }

    public static long cdiv(long a, long b) { return (a + b - 1) / b; }

    /** The smallest power of 2 at least {@code n} (block sizes from problem sizes). */
    public static int nextPowerOf2(int n) { return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1; }

    // ------------------------------------------------------------------ reductions and scans

    private static Tile red(Tile x, Integer axis, Reduce.Kind kind, boolean keepDims) {
        return t(ReductionSemantic.reduce(x.value(), axis, kind, keepDims));
    }

    /** The sum of all elements, as a scalar. Integers narrower than 32 bits sum in 32 bits. */
    public static Tile sum(Tile x) { return red(x, null, Reduce.Kind.SUM, false); }

    public static Tile sum(Tile x, int axis) { return red(x, axis, Reduce.Kind.SUM, false); }

    public static Tile sum(Tile x, int axis, boolean keepDims) { return red(x, axis, Reduce.Kind.SUM, keepDims); }

    public static Tile max(Tile x) { return red(x, null, Reduce.Kind.MAX, false); }

    public static Tile max(Tile x, int axis) { return red(x, axis, Reduce.Kind.MAX, false); }

    public static Tile max(Tile x, int axis, boolean keepDims) { return red(x, axis, Reduce.Kind.MAX, keepDims); }

    public static Tile min(Tile x) { return red(x, null, Reduce.Kind.MIN, false); }

    public static Tile min(Tile x, int axis) { return red(x, axis, Reduce.Kind.MIN, false); }

    public static Tile min(Tile x, int axis, boolean keepDims) { return red(x, axis, Reduce.Kind.MIN, keepDims); }

    /** The product of all elements, as a scalar. Integers narrower than 32 bits multiply in 32 bits. */
    public static Tile prod(Tile x) { return red(x, null, Reduce.Kind.PROD, false); }

    public static Tile prod(Tile x, int axis) { return red(x, axis, Reduce.Kind.PROD, false); }

    public static Tile prod(Tile x, int axis, boolean keepDims) { return red(x, axis, Reduce.Kind.PROD, keepDims); }

    /**
     * The i32 index of the first largest element of the flattened tile. NaN is larger than every
     * number, as in torch: a tile holding NaNs gives its first NaN's index (unlike {@link #max(Tile)},
     * which ignores NaNs). Masked lanes loaded as -inf therefore never win over a NaN.
     */
    public static Tile argmax(Tile x) { return red(x, null, Reduce.Kind.ARGMAX, false); }

    /** The i32 index of the first largest element along {@code axis}. */
    public static Tile argmax(Tile x, int axis) { return red(x, axis, Reduce.Kind.ARGMAX, false); }

    public static Tile argmax(Tile x, int axis, boolean keepDims) { return red(x, axis, Reduce.Kind.ARGMAX, keepDims); }

    /** The i32 index of the first smallest element of the flattened tile; NaN is smaller than every number (torch's rule). */
    public static Tile argmin(Tile x) { return red(x, null, Reduce.Kind.ARGMIN, false); }

    public static Tile argmin(Tile x, int axis) { return red(x, axis, Reduce.Kind.ARGMIN, false); }

    public static Tile argmin(Tile x, int axis, boolean keepDims) { return red(x, axis, Reduce.Kind.ARGMIN, keepDims); }

    /** The exclusive or of all elements (integers), as a scalar. */
    public static Tile xorSum(Tile x) { return red(x, null, Reduce.Kind.XOR, false); }

    public static Tile xorSum(Tile x, int axis) { return red(x, axis, Reduce.Kind.XOR, false); }

    public static Tile xorSum(Tile x, int axis, boolean keepDims) { return red(x, axis, Reduce.Kind.XOR, keepDims); }

    /** Reduces all elements to a scalar with an associative {@code combine} of two scalars. */
    public static Tile reduce(Tile x, BinaryOperator<Tile> combine) {
        return t(ReductionSemantic.reduce(x.value(), null, lift(combine), false));
    }

    /** Reduces along {@code axis} with an associative {@code combine} of two scalars. */
    public static Tile reduce(Tile x, int axis, BinaryOperator<Tile> combine) { return reduce(x, axis, combine, false); }

    public static Tile reduce(Tile x, int axis, BinaryOperator<Tile> combine, boolean keepDims) {
        return t(ReductionSemantic.reduce(x.value(), axis, lift(combine), keepDims));
    }

    /** The inclusive prefix sum along {@code axis}. */
    public static Tile cumsum(Tile x, int axis) { return cumsum(x, axis, false); }

    public static Tile cumsum(Tile x, int axis, boolean reverse) { return t(ReductionSemantic.scan(x.value(), axis, Reduce.Kind.SUM, reverse)); }

    public static Tile cumprod(Tile x, int axis) { return cumprod(x, axis, false); }

    public static Tile cumprod(Tile x, int axis, boolean reverse) { return t(ReductionSemantic.scan(x.value(), axis, Reduce.Kind.PROD, reverse)); }

    public static Tile cummax(Tile x, int axis) { return cummax(x, axis, false); }

    public static Tile cummax(Tile x, int axis, boolean reverse) { return t(ReductionSemantic.scan(x.value(), axis, Reduce.Kind.MAX, reverse)); }

    public static Tile cummin(Tile x, int axis) { return cummin(x, axis, false); }

    public static Tile cummin(Tile x, int axis, boolean reverse) { return t(ReductionSemantic.scan(x.value(), axis, Reduce.Kind.MIN, reverse)); }

    /** An inclusive scan with an associative {@code combine}. */
    public static Tile associativeScan(Tile x, int axis, BinaryOperator<Tile> combine) { return associativeScan(x, axis, combine, false); }

    public static Tile associativeScan(Tile x, int axis, BinaryOperator<Tile> combine, boolean reverse) {
        return t(ReductionSemantic.scan(x.value(), axis, lift(combine), reverse));
    }

    /**
     * Reduces tiles of one shape together along {@code axis} (Triton's {@code tl.reduce((a, b), axis, combine)}):
     * {@code combine} gets the accumulated scalars and the incoming ones, each as a list in the
     * order of {@code xs}, and returns the combined scalars in that order and of those dtypes; it
     * must be associative (the GPU combines in a tree), and the earlier elements come first. E.g.
     * an argmax of the largest |x| with its index:
     * <pre>{@code
     * List<Tile> best = reduce(List.of(abs(x), arange(0, N)), 0, (a, b) -> {
     *     Tile left = a.get(0).gt(b.get(0)).or(a.get(0).eq(b.get(0)).and(a.get(1).lt(b.get(1))));
     *     return List.of(where(left, a.get(0), b.get(0)), where(left, a.get(1), b.get(1)));
     * });
     * }</pre>
     */
    public static List<Tile> reduce(List<Tile> xs, int axis, BinaryOperator<List<Tile>> combine) { return reduce(xs, axis, combine, false); }

    public static List<Tile> reduce(List<Tile> xs, int axis, BinaryOperator<List<Tile>> combine, boolean keepDims) {
        return tiles(ReductionSemantic.reduce(values(xs), axis, liftAll(combine), keepDims));
    }

    /** The multi-operand reduce over all elements, giving scalars. */
    public static List<Tile> reduce(List<Tile> xs, BinaryOperator<List<Tile>> combine) {
        return tiles(ReductionSemantic.reduce(values(xs), null, liftAll(combine), false));
    }

    /** An inclusive scan of tiles of one shape together, with an associative {@code combine} as for {@link #reduce(List, int, BinaryOperator)}. */
    public static List<Tile> associativeScan(List<Tile> xs, int axis, BinaryOperator<List<Tile>> combine) {
        return associativeScan(xs, axis, combine, false);
    }

    public static List<Tile> associativeScan(List<Tile> xs, int axis, BinaryOperator<List<Tile>> combine, boolean reverse) {
        return tiles(ReductionSemantic.scan(values(xs), axis, liftAll(combine), reverse));
    }

    private static BinaryOperator<List<Value>> liftAll(BinaryOperator<List<Tile>> f) {
        return (a, b) -> {
            List<Tile> r = f.apply(tiles(a), tiles(b));
            return r == null ? null : values(r);
        };
    }

    private static List<Value> values(List<Tile> xs) { return xs.stream().map(Tile::value).toList(); }

    private static List<Tile> tiles(List<Value> vs) { return vs.stream().map(Tile::wrap).toList(); }

    private static BinaryOperator<Value> lift(BinaryOperator<Tile> f) {
        return (a, b) -> f.apply(Tile.wrap(a), Tile.wrap(b)).value();
    }

    /** Sorts along the last dimension, ascending. */
    public static Tile sort(Tile x) { return t(ReductionSemantic.sort(x.value(), false)); }

    public static Tile sort(Tile x, boolean descending) { return t(ReductionSemantic.sort(x.value(), descending)); }

    /** Counts of the values 0 .. bins-1 in the integer tile x, of any shape (other values are not counted), as i32[bins]; bins a power of 2. */
    public static Tile histogram(Tile x, int bins) { return t(ReductionSemantic.histogram(x.value(), bins)); }

    // ------------------------------------------------------------------ gathering (compositions of core ops)

    /**
     * out[p] = src[p with p[axis] replaced by index[p]]; index has src's rank and its extent in every
     * other dimension. Moves values exactly; its work grows with index size × src's extent along axis.
     */
    public static Tile gather(Tile src, Tile index, int axis) { return Composed.gather(src, index, axis); }

    /** The k largest values along the last dimension, largest first (k a power of 2). */
    public static Tile topk(Tile x, int k) { return Composed.topk(x, k); }

    /** The elements reversed along {@code axis}. */
    public static Tile flip(Tile x, int axis) { return Composed.flip(x, axis); }

    /** a and b interleaved along their last dimension: a0, b0, a1, b1, ... */
    public static Tile interleave(Tile a, Tile b) { return Composed.interleave(a, b); }

    // ------------------------------------------------------------------ dot

    /** a·b for [M, K] and [K, N] tiles, accumulated in f32 (i32 for i8 inputs). */
    public static Tile dot(Tile a, Tile b) { return t(ReductionSemantic.dot(a.value(), b.value(), null, null, null)); }

    /** a·b + acc; the result has acc's type. */
    public static Tile dot(Tile a, Tile b, Tile acc) { return t(ReductionSemantic.dot(a.value(), b.value(), acc.value(), null, null)); }

    /**
     * a·b + acc (acc may be null: from zero, in f32) with an explicit precision: IEEE or TF32 for
     * f32 operands (tf32 is the default, as in Triton), FAST_ACCUMULATION for fp8 operands whose
     * sums may be the tensor cores' (see {@link Precision}).
     */
    public static Tile dot(Tile a, Tile b, Tile acc, Precision precision) {
        return t(ReductionSemantic.dot(a.value(), b.value(), acc == null ? null : acc.value(), IrOptions.ir(precision), null));
    }

    /** a·b accumulated from zero in f32, with an explicit input precision for f32 operands. */
    public static Tile dot(Tile a, Tile b, Precision precision) { return dot(a, b, null, precision); }

    /** a·b accumulated from zero in {@code outType} (f16 inputs may accumulate in f16). */
    public static Tile dot(Tile a, Tile b, DType outType) { return t(ReductionSemantic.dot(a.value(), b.value(), null, null, outType)); }

    // ------------------------------------------------------------------ random numbers (Philox 4x32-10)

    /** Uniform f32 in [0, 1) for each offset, from a seed; the same (seed, offset) always gives the same number. */
    public static Tile rand(Tile seed, Tile offsets) { return Philox.uniform(Philox.randint4x(seed, offsets)[0]); }

    public static Tile rand(long seed, Tile offsets) { return rand(scalar(seed), offsets); }

    /** Standard normal f32 for each offset (Box-Muller on two uniforms). */
    public static Tile randn(Tile seed, Tile offsets) { return Philox.normal(seed, offsets); }

    public static Tile randn(long seed, Tile offsets) { return randn(scalar(seed), offsets); }

    /** A random u32 for each offset. */
    public static Tile randint(Tile seed, Tile offsets) { return Philox.randint4x(seed, offsets)[0]; }

    public static Tile randint(long seed, Tile offsets) { return randint(scalar(seed), offsets); }

    /** Four independent random u32 tiles for each offset. */
    public static Tile[] randint4x(Tile seed, Tile offsets) { return Philox.randint4x(seed, offsets); }

    // ------------------------------------------------------------------ debugging and hints

    /** Fails tracing with {@code message} unless {@code condition} holds (checks constexprs). */
    public static void staticAssert(boolean condition, String message) { DebugSemantic.staticAssert(condition, message); }

    /** Fails the launch, naming this line and the program, where {@code condition} is false. */
    public static void deviceAssert(Tile condition, String message) { DebugSemantic.deviceAssert(condition.value(), message); }

    /** Prints the values with the program id (for debugging; slow). */
    public static void devicePrint(String prefix, Tile... values) {
        DebugSemantic.devicePrint(prefix, false, Arrays.stream(values).map(Tile::value).toArray(Value[]::new));
    }

    /** A barrier between the threads of one program. */
    public static void debugBarrier() { DebugSemantic.barrier(); }

    /** Promises that each element of x is a multiple of the given value (per dimension). */
    public static Tile multipleOf(Tile x, int... values) { return t(DebugSemantic.hint(x.value(), Op.Hint.Kind.MULTIPLE_OF, values)); }

    /** Promises that x holds runs of at least this many consecutive values (per dimension). */
    public static Tile maxContiguous(Tile x, int... values) { return t(DebugSemantic.hint(x.value(), Op.Hint.Kind.MAX_CONTIGUOUS, values)); }

    /** Promises that x holds runs of at least this many equal values (per dimension). */
    public static Tile maxConstancy(Tile x, int... values) { return t(DebugSemantic.hint(x.value(), Op.Hint.Kind.MAX_CONSTANCY, values)); }

    /** Promises the compiler that the scalar condition holds. */
    public static void assume(Tile condition) { DebugSemantic.assume(condition.value()); }

    // ------------------------------------------------------------------ run-time control flow

    /** A variable for loop-carried and branch-set state, starting at {@code init}. */
    public static Var var(Tile init) { return new Var(init); }

    public static Var var(int init) { return new Var(scalar(init)); }

    public static Var var(long init) { return new Var(scalar(init)); }

    public static Var var(double init) { return new Var(scalar(init)); }

    /** A run-time loop over [0, upper): {@code for (Tile i : range(n)) { ... }}. */
    public static Iterable<Tile> range(Tile upper) { return new Range(0, upper.value(), 1); }

    public static Iterable<Tile> range(int upper) { return new Range(0, upper, 1); }

    public static Iterable<Tile> range(Tile lower, Tile upper) { return new Range(lower.value(), upper.value(), 1); }

    public static Iterable<Tile> range(int lower, Tile upper) { return new Range(lower, upper.value(), 1); }

    public static Iterable<Tile> range(int lower, int upper) { return new Range(lower, upper, 1); }

    public static Iterable<Tile> range(Tile lower, int upper) { return new Range(lower.value(), upper, 1); }

    public static Iterable<Tile> range(int lower, Tile upper, int step) { return new Range(lower, upper.value(), step); }

    public static Iterable<Tile> range(Tile lower, Tile upper, int step) { return new Range(lower.value(), upper.value(), step); }

    public static Iterable<Tile> range(Tile lower, Tile upper, Tile step) { return new Range(lower.value(), upper.value(), step.value()); }

    public static Iterable<Tile> range(int lower, int upper, int step) { return new Range(lower, upper, step); }

    /** A run-time branch on a scalar condition. */
    public static void when(Tile condition, Runnable then) { ControlFlow.branch(condition.value(), then, () -> { }); }

    public static void when(Tile condition, Runnable then, Runnable otherwise) { ControlFlow.branch(condition.value(), then, otherwise); }

    /** A run-time while loop: {@code whileLoop(() -> i.get().lt(n), () -> i.set(i.get().add(1)))}. */
    public static void whileLoop(Supplier<Tile> condition, Runnable body) {
        ControlFlow.whileLoop(() -> condition.get().value(), body);
    }
}
