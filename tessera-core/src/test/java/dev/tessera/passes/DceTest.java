package dev.tessera.passes;

import static dev.tessera.passes.PassTesting.check;

import org.junit.jupiter.api.Test;

class DceTest {
    private final DeadCodeElimination dce = new DeadCodeElimination();

    @Test
    void removesUnusedChainsButKeepsEffects() {
        check(dce, """
                kernel k(%0: *i32 /* p */, %1: i32 /* n */) {
                  %2 = add %1, %1 : i32
                  %3 = mul %2, %2 : i32
                  %4 = load %0, _, _ {cache=NONE, eviction=NORMAL, isVolatile=false} : i32
                  %5 = load %0, _, _ {cache=NONE, eviction=NORMAL, isVolatile=true} : i32
                  %6 = atomic_rmw %0, %1, _ {fn=ADD, semantic=ACQ_REL, scope=GPU} : i32
                }
                """, """
                CHECK-NOT: add
                CHECK-NOT: mul
                CHECK-NOT: %4 =
                CHECK: %5 = load
                CHECK-NEXT: %6 = atomic_rmw
                """);
    }

    @Test
    void prunesValuesALoopCarriesOnlyForItself() {
        check(dce, """
                kernel k(%0: *f32 /* out */, %1: i32 /* n */) {
                  %2 = constant {value=0} : i32
                  %3 = constant {value=1} : i32
                  %4 = constant {value=0.0} : f32
                  %5, %6, %7, %8 = for %2, %1, %3, [%4, %2, %4, %2] {
                    ^(%9: i32, %10: f32, %11: i32, %12: f32, %13: i32)
                    %14 = add %11, %3 : i32
                    %15 = convert %13 {rounding=NEAREST_EVEN} : f32
                    %16 = add %10, %15 : f32
                    %17 = add %12, %10 : f32
                    %18 = add %13, %3 : i32
                    yield [%16, %14, %17, %18]
                  } : f32, i32, f32, i32
                  store %0, %5, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %5, %8 = for %2, %1, %3, [%4, %2] {
                CHECK-NEXT: ^(%9: i32, %10: f32, %13: i32)
                CHECK-NEXT: %15 = convert %13
                CHECK-NEXT: %16 = add %10, %15
                CHECK-NEXT: %18 = add %13, %3
                CHECK-NEXT: yield [%16, %18]
                CHECK-NEXT: } : f32, i32
                """);
    }

    @Test
    void keepsCarriedValuesThatFeedSideEffects() {
        check(dce, """
                kernel k(%0: *i32 /* out */, %1: i32 /* n */) {
                  %2 = constant {value=0} : i32
                  %3 = constant {value=1} : i32
                  %4 = for %2, %1, %3, [%2] {
                    ^(%5: i32, %6: i32)
                    store %0, %6, _ {cache=NONE, eviction=NORMAL}
                    %7 = add %6, %3 : i32
                    yield [%7]
                  } : i32
                  %8 = for %2, %1, %3, [%2] {
                    ^(%9: i32, %10: i32)
                    %11 = add %10, %3 : i32
                    yield [%11]
                  } : i32
                }
                """, """
                CHECK: %4 = for %2, %1, %3, [%2]
                CHECK: store %0, %6
                CHECK-NOT: %8 = for
                """);
    }

    @Test
    void keepsCarriedValuesThatFeedLiveOnes() {
        check(dce, """
                kernel k(%0: *i32 /* out */, %1: i32 /* n */) {
                  %2 = constant {value=0} : i32
                  %3 = constant {value=1} : i32
                  %4, %5, %6 = for %2, %1, %3, [%2, %2, %2] {
                    ^(%7: i32, %8: i32, %9: i32, %10: i32)
                    %11 = add %8, %3 : i32
                    %12 = add %9, %8 : i32
                    %13 = add %10, %10 : i32
                    yield [%11, %12, %13]
                  } : i32, i32, i32
                  store %0, %5, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %4, %5 = for %2, %1, %3, [%2, %2] {
                CHECK-NEXT: ^(%7: i32, %8: i32, %9: i32)
                CHECK-NEXT: %11 = add %8, %3
                CHECK-NEXT: %12 = add %9, %8
                CHECK-NEXT: yield [%11, %12]
                """);
    }
}
