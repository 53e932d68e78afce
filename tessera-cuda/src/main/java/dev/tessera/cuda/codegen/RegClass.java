package dev.tessera.cuda.codegen;

import dev.tessera.types.DType;
import dev.tessera.types.ElementType;
import dev.tessera.types.PointerType;

/**
 * The PTX register kinds values live in. Integers narrower than 32 bits are held in 32-bit
 * registers, sign- or zero-extended by their type; narrow floats (f16, bf16, fp8) are held as the
 * f32 value of the number, rounded back after every operation, as the CPU backend holds them,
 * unless a value holds 16-bit floats packed, two per {@link #B32} register as their memory bits
 * (see {@link TileValue#packing}): {@link #of} is the kind of one unpacked element.
 */
public enum RegClass {
    PRED(".pred", "%p"),
    B16(".b16", "%h"),
    B32(".b32", "%r"),
    B64(".b64", "%rd"),
    F32(".f32", "%f"),
    F64(".f64", "%fd");

    public final String decl;
    public final String prefix;

    RegClass(String decl, String prefix) {
        this.decl = decl;
        this.prefix = prefix;
    }

    public static RegClass of(ElementType t) {
        if (t instanceof PointerType || t instanceof dev.tessera.types.DescriptorType) return B64; // a descriptor: its tensor map's address
        DType d = (DType) t;
        return switch (d) {
            case I1 -> PRED;
            case I8, U8, I16, U16, I32, U32 -> B32;
            case I64, U64 -> B64;
            case F16, BF16, FP8E4M3, FP8E5M2, F32 -> F32;
            case F64 -> F64;
        };
    }

    /** Bytes of the register (predicates are moved through memory as 32-bit words). */
    public int bytes() {
        return switch (this) {
            case PRED, B32, F32 -> 4;
            case B16 -> 2;
            case B64, F64 -> 8;
        };
    }

    /** The untyped ("bit") PTX type of the register's width: .b32, .b64 (.b32 for predicates moved as words). */
    public String bits() {
        return switch (this) {
            case PRED, B32, F32 -> ".b32";
            case B16 -> ".b16";
            case B64, F64 -> ".b64";
        };
    }
}
