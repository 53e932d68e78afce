package dev.tessera.passes;

import static dev.tessera.passes.PassTesting.check;

import org.junit.jupiter.api.Test;

class ConstantFoldingTest {
    private final ConstantFolding fold = new ConstantFolding();

    @Test
    void foldsChainsOfIntegerArithmetic() {
        check(fold, """
                kernel k(%0: *i32 /* out */) {
                  %1 = constant {value=7} : i32
                  %2 = constant {value=0} : i32
                  %3 = div %1, %2 : i32
                  %4 = rem %1, %2 : i32
                  %5 = mul %3, %4 : i32
                  %6 = constant {value=33} : i32
                  %7 = shl %1, %6 : i32
                  %8 = add %5, %7 : i32
                  store %0, %8, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %3 = constant {value=-1} : i32
                CHECK: %4 = constant {value=7} : i32
                CHECK: %5 = constant {value=-7} : i32
                CHECK: %7 = constant {value=0} : i32
                CHECK: %8 = constant {value=-7} : i32
                CHECK-NOT: div
                CHECK-NOT: add
                CHECK: store %0, %8
                """);
    }

    @Test
    void unsignedAndNarrowTypesWrap() {
        check(fold, """
                kernel k(%0: *u8 /* out */, %1: *i1 /* flag */) {
                  %2 = constant {value=200} : u8
                  %3 = add %2, %2 : u8
                  %4 = constant {value=4294967295} : u32
                  %5 = constant {value=1} : u32
                  %6 = gt %4, %5 : i1
                  %7 = shr %4, %5 : u32
                  store %0, %3, _ {cache=NONE, eviction=NORMAL}
                  store %1, %6, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %3 = constant {value=144} : u8
                CHECK: %6 = constant {value=1} : i1
                CHECK: %7 = constant {value=2147483647} : u32
                """);
    }

    @Test
    void foldsCorrectlyRoundedFloatOpsOnly() {
        check(fold, """
                kernel k(%0: *f32 /* out */) {
                  %1 = constant {value=0.1} : f32
                  %2 = constant {value=0.2} : f32
                  %3 = add %1, %2 : f32
                  %4 = div %1, %2 : f32
                  %5 = div_rn %1, %2 : f32
                  %6 = exp %1 : f32
                  %7 = constant {value=NaN} : f32
                  %8 = max %7, %1 : f32
                  %9 = max_nan %7, %1 : f32
                  %10 = fma %1, %2, %3 : f32
                  %11 = constant {value=0.1} : f16
                  %12 = add %11, %11 : f16
                  store %0, %3, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %3 = constant {value=0.30000001192092896} : f32
                CHECK: %4 = div %1, %2 : f32
                CHECK: %5 = constant {value=0.5} : f32
                CHECK: %6 = exp %1 : f32
                CHECK: %8 = constant {value=0.10000000149011612} : f32
                CHECK: %9 = constant {value=NaN} : f32
                CHECK: %10 = constant {value=0.320000022649765} : f32
                CHECK: %12 = constant {value=0.199951171875} : f16
                """);
    }

    @Test
    void shapesOfConstantsAreConstants() {
        check(fold, """
                kernel k(%0: *f32 /* out */) {
                  %1 = constant {value=2.5} : f32
                  %2 = splat %1 : f32[8]
                  %3 = expand_dims %2 {axis=0} : f32[1, 8]
                  %4 = broadcast %3 : f32[4, 8]
                  %5 = reshape %4 : f32[32]
                  %6 = reshape %5 : f32[8, 4]
                  %7 = permute %6 {order=[1, 0]} : f32[4, 8]
                  %8 = constant {value=3} : i32
                  %9 = convert %8 {rounding=NEAREST_EVEN} : f32
                  %10 = splat %0 : *f32[4, 8]
                  store %10, %7, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %2 = constant {value=2.5} : f32[8]
                CHECK: %3 = constant {value=2.5} : f32[1, 8]
                CHECK: %4 = constant {value=2.5} : f32[4, 8]
                CHECK: %7 = constant {value=2.5} : f32[4, 8]
                CHECK: %9 = constant {value=3.0} : f32
                CHECK: %10 = splat %0
                """);
    }

    @Test
    void leavesOpsOnUnknownValues() {
        check(fold, """
                kernel k(%0: i32 /* n */, %1: *i32 /* out */) {
                  %2 = constant {value=0} : i32
                  %3 = add %0, %2 : i32
                  %4 = program_id {axis=0} : i32
                  %5 = mul %4, %2 : i32
                  store %1, %5, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %3 = add %0, %2 : i32
                CHECK: %5 = mul %4, %2 : i32
                """);
    }
}
