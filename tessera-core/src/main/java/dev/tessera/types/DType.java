package dev.tessera.types;

/**
 * The element types of Tessera tiles and tensors.
 *
 * <p>Narrow floats (f16, bf16, fp8) are stored as their bit patterns; arithmetic on them rounds to
 * nearest even after every operation, identically on every backend (see {@link Numerics}).
 */
public enum DType implements ElementType {
    I1("i1", 1, Kind.BOOL),
    I8("i8", 8, Kind.SINT),
    U8("u8", 8, Kind.UINT),
    I16("i16", 16, Kind.SINT),
    U16("u16", 16, Kind.UINT),
    I32("i32", 32, Kind.SINT),
    U32("u32", 32, Kind.UINT),
    I64("i64", 64, Kind.SINT),
    U64("u64", 64, Kind.UINT),
    /** OCP FP8 E4M3 "fn": no infinities, one NaN pattern per sign, max finite 448. */
    FP8E4M3("fp8e4m3", 8, Kind.FLOAT),
    /** OCP FP8 E5M2: IEEE-like with infinities and NaNs, max finite 57344. */
    FP8E5M2("fp8e5m2", 8, Kind.FLOAT),
    F16("f16", 16, Kind.FLOAT),
    BF16("bf16", 16, Kind.FLOAT),
    F32("f32", 32, Kind.FLOAT),
    F64("f64", 64, Kind.FLOAT);

    /**
     * What sort of number: i1, unsigned or signed integer, float. (When a Java literal meets a tile,
     * Triton ranks only bool &lt; integer &lt; float: signed and unsigned are one kind there.)
     */
    public enum Kind { BOOL, UINT, SINT, FLOAT }

    private final String text;
    private final int bits;
    private final Kind kind;

    DType(String text, int bits, Kind kind) {
        this.text = text;
        this.bits = bits;
        this.kind = kind;
    }

    public int bits() { return bits; }

    /** Bytes one element occupies in memory (i1 is stored as one byte). */
    public int byteSize() { return Math.max(1, bits / 8); }

    public Kind kind() { return kind; }

    public boolean isFloat() { return kind == Kind.FLOAT; }

    public boolean isInteger() { return kind == Kind.SINT || kind == Kind.UINT; }

    public boolean isBool() { return kind == Kind.BOOL; }

    public boolean isUnsigned() { return kind == Kind.UINT; }

    public boolean isSigned() { return kind == Kind.SINT; }

    public boolean isFp8() { return this == FP8E4M3 || this == FP8E5M2; }

    /** f16, bf16 and the fp8s: stored narrow, computed in f32 and rounded back. */
    public boolean isNarrowFloat() { return isFloat() && bits < 32; }

    /** The integer type of the same width and the given signedness. */
    public static DType integer(int bits, boolean signed) {
        return switch (bits) {
            case 8 -> signed ? I8 : U8;
            case 16 -> signed ? I16 : U16;
            case 32 -> signed ? I32 : U32;
            case 64 -> signed ? I64 : U64;
            default -> throw new IllegalArgumentException("no " + bits + "-bit integer type");
        };
    }

    /** Parses the short name used in IR text and on the command line ("f32", "bf16", ...). */
    public static DType parse(String text) {
        for (DType t : values()) {
            if (t.text.equalsIgnoreCase(text) || t.name().equalsIgnoreCase(text)) return t;
        }
        return switch (text.toLowerCase(java.util.Locale.ROOT)) {
            case "bool" -> I1;
            case "float", "float32" -> F32;
            case "double", "float64" -> F64;
            case "half", "float16" -> F16;
            case "bfloat16" -> BF16;
            case "int", "int32" -> I32;
            case "long", "int64" -> I64;
            case "fp8e4m3fn", "e4m3" -> FP8E4M3;
            case "e5m2" -> FP8E5M2;
            default -> throw new IllegalArgumentException("unknown dtype '" + text + "'");
        };
    }

    @Override
    public String toString() { return text; }
}
