package dev.tessera.semantic;

import dev.tessera.ir.Loc;
import dev.tessera.ir.Op;
import dev.tessera.ir.Shape;
import dev.tessera.ir.Type;
import dev.tessera.ir.Value;
import dev.tessera.types.DType;
import dev.tessera.types.Numerics;

/**
 * Triton's typing rules: which dtype two operands compute in, how Java literals take part, and how
 * shapes broadcast.
 */
final class Typing {
    private Typing() {}

    /** Triton limits a tile to 2^20 elements; so do we, for the same register-file reasons on GPUs. */
    static final int MAX_TILE_ELEMENTS = 1 << 20;

    /** A traced value or a Java literal, which takes part in promotion only when of a higher kind. */
    record Operand(Value value, Number literal, DType literalType) {
        boolean isLiteral() { return value == null; }

        Type type() { return value != null ? value.type() : Type.scalar(literalType); }

        DType dtype() { return type().dtype(); }

        boolean isPointer() { return value != null && value.type().isPointer(); }

        /** The literal as a constant of {@code t} and {@code shape}, or the value unchanged. */
        Value materialize(DType t, Shape shape, Loc loc) {
            return value != null ? value : Semantic.constant(literal, t, shape, loc);
        }
    }

    static Operand operand(Object o, Loc loc) {
        return switch (o) {
            case Value v -> new Operand(v, null, null);
            case Integer i -> new Operand(null, (long) i, DType.I32);
            case Short s -> new Operand(null, (long) s, DType.I32);
            case Byte b -> new Operand(null, (long) b, DType.I32);
            case Long l -> new Operand(null, l, DType.I64);
            case Float f -> new Operand(null, (double) f, DType.F32);
            case Double d -> new Operand(null, d, DType.F32);
            case Boolean b -> new Operand(null, b ? 1L : 0L, DType.I1);
            case null -> throw new TraceException(loc, "null is not a tile operand");
            default -> throw new TraceException(loc, "a " + o.getClass().getSimpleName() + " cannot be a tile operand; "
                    + "use a Tile or a Java number");
        };
    }

    /**
     * The dtype {@code a op b} computes in (Triton's computation type). {@code divOrMod} is true for
     * division and remainder, which have no native f16/bf16 form and compute in f32.
     */
    static DType computationType(Operand a, Operand b, boolean divOrMod, Loc loc, String what) {
        DType at = a.dtype(), bt = b.dtype();
        if (a.isLiteral() != b.isLiteral()) {
            DType literal = a.isLiteral() ? at : bt, tile = a.isLiteral() ? bt : at;
            if (literalKind(literal) <= literalKind(tile)) {
                return divOrMod && (tile == DType.F16 || tile == DType.BF16) ? DType.F32 : tile;
            }
        }
        if (at == DType.F64 || bt == DType.F64) return DType.F64;
        if (at == DType.F32 || bt == DType.F32) return DType.F32;
        if (at == DType.F16 || bt == DType.F16) return divOrMod ? DType.F32 : DType.F16;
        if (at == DType.BF16 || bt == DType.BF16) {
            return divOrMod || at != bt ? DType.F32 : DType.BF16;
        }
        if (at.isFp8() || bt.isFp8()) {
            if (at.isFp8() && bt.isFp8()) return at == bt ? at : DType.F16;
            return DType.F16;
        }
        if (divOrMod && at.isInteger() && bt.isInteger() && at.isUnsigned() != bt.isUnsigned()) {
            throw new TraceException(loc, "cannot " + what + " " + at + " and " + bt + ": integer division of mixed "
                    + "signedness is ambiguous; convert one side with .to(...)");
        }
        return integerPromote(at, bt, loc);
    }

    /**
     * The kinds Triton ranks when a literal meets a tile: bool &lt; integer &lt; float. Signed and
     * unsigned integers are one kind, so a Java int never widens an unsigned tile:
     * {@code (u8, int) -> u8} in Triton's documented rules, not i32.
     */
    private static int literalKind(DType t) { return t.isBool() ? 0 : t.isFloat() ? 2 : 1; }

    /** C's usual arithmetic conversions for integers (i1 counts as the narrowest unsigned). */
    static DType integerPromote(DType a, DType b, Loc loc) {
        if (a == b) return a;
        if (!(a.isInteger() || a.isBool()) || !(b.isInteger() || b.isBool())) {
            throw new TraceException(loc, "expected integers, got " + a + " and " + b);
        }
        if (a.isBool()) return b;
        if (b.isBool()) return a;
        if (a.isUnsigned() == b.isUnsigned()) return a.bits() >= b.bits() ? a : b;
        DType unsigned = a.isUnsigned() ? a : b, signed = a.isUnsigned() ? b : a;
        return unsigned.bits() >= signed.bits() ? unsigned : signed;
    }

    /** The broadcast shape of two shapes (numpy rules: align on the right, size 1 stretches). */
    static Shape broadcastShape(Shape a, Shape b, Loc loc, String what) {
        int rank = Math.max(a.rank(), b.rank());
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.rank() ? 1 : a.dim(i - (rank - a.rank()));
            int db = i < rank - b.rank() ? 1 : b.dim(i - (rank - b.rank()));
            if (da != db && da != 1 && db != 1) {
                throw new TraceException(loc, "cannot " + what + ": shapes " + a + " and " + b
                        + " do not broadcast (dimension " + i + " is " + da + " and " + db + ")");
            }
            dims[i] = Math.max(da, db);
        }
        return Shape.of(dims);
    }

    static void checkTileShape(Shape shape, Loc loc, String what) {
        for (int i = 0; i < shape.rank(); i++) {
            int d = shape.dim(i);
            if (Integer.bitCount(d) != 1) {
                throw new TraceException(loc, what + ": dimension " + i + " of " + shape + " is " + d
                        + ", not a power of 2; round the block up (e.g. " + Integer.highestOneBit(d) * 2 + ") and mask");
            }
        }
        if ((long) shape.numel() > MAX_TILE_ELEMENTS) {
            throw new TraceException(loc, what + ": a tile of " + shape + " has " + shape.numel()
                    + " elements, more than the limit of " + MAX_TILE_ELEMENTS);
        }
    }

    /** A literal checked against the range of {@code t}; Java's negative hex ints count as bit patterns. */
    static Number literalAs(Number literal, DType t, Loc loc) {
        if (t.isFloat()) return literal.doubleValue();
        if (literal instanceof Double d) {
            throw new TraceException(loc, "the float literal " + d + " cannot become " + t);
        }
        long v = literal.longValue();
        if (t.isBool()) return v != 0 ? 1L : 0L;
        int bits = t.bits();
        long lowest = bits == 64 ? Long.MIN_VALUE : -(1L << (bits - 1));
        boolean fits = bits == 64 || (v >= lowest && v <= (1L << bits) - 1);
        if (!fits) {
            throw new TraceException(loc, "the literal " + v + " does not fit in " + t + " (" + Numerics.minValue(t)
                    + ".." + Numerics.maxValue(t) + ")");
        }
        return Numerics.wrap(v, t);
    }

    static String describe(Op.Binary.Fn fn) {
        return switch (fn) {
            case ADD -> "add";
            case SUB -> "subtract";
            case MUL -> "multiply";
            case DIV, DIV_RN -> "divide";
            case REM -> "take the remainder of";
            default -> "apply " + fn.name().toLowerCase(java.util.Locale.ROOT) + " to";
        };
    }
}
