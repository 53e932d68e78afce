package dev.tessera.cpu;

import dev.tessera.ir.Type;
import dev.tessera.types.DType;

/**
 * How the CPU backend holds a tile: one primitive array per value. Integers up to 32 bits live in
 * int[] (signed types sign-extended, u8/u16 zero-extended, u32 as its bit pattern), 64-bit integers
 * and pointers in long[], f16/bf16/fp8/f32 in float[] (narrow values already rounded), f64 in
 * double[], i1 in boolean[].
 */
enum Storage {
    BOOL, INT, LONG, FLOAT, DOUBLE;

    static Storage of(Type t) {
        if (t.isPointer()) return LONG;
        return of(t.dtype());
    }

    static Storage of(DType d) {
        return switch (d) {
            case I1 -> BOOL;
            case I8, U8, I16, U16, I32, U32 -> INT;
            case I64, U64 -> LONG;
            case F64 -> DOUBLE;
            case F16, BF16, F32, FP8E4M3, FP8E5M2 -> FLOAT;
        };
    }

    Object allocate(int n) {
        return switch (this) {
            case BOOL -> new boolean[n];
            case INT -> new int[n];
            case LONG -> new long[n];
            case FLOAT -> new float[n];
            case DOUBLE -> new double[n];
        };
    }
}
