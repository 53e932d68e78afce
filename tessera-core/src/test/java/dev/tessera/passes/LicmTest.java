package dev.tessera.passes;

import static dev.tessera.passes.PassTesting.check;

import org.junit.jupiter.api.Test;

class LicmTest {
    private final LoopInvariantCodeMotion licm = new LoopInvariantCodeMotion();

    @Test
    void hoistsInvariantOpsOutOfNestedLoops() {
        check(licm, """
                kernel k(%0: *f32 /* x */, %1: i32 /* n */, %2: i32 /* stride */) {
                  %3 = constant {value=0} : i32
                  %4 = constant {value=1} : i32
                  %5 = constant {value=0.0} : f32
                  %6 = for %3, %1, %4, [%5] {
                    ^(%7: i32, %8: f32)
                    %9 = for %3, %1, %4, [%8] {
                      ^(%10: i32, %11: f32)
                      %12 = constant {value=16} : i32
                      %13 = mul %2, %12 : i32
                      %14 = mul %7, %13 : i32
                      %15 = add %14, %10 : i32
                      %16 = ptr_add %0, %15 : *f32
                      %17 = ptr_add %0, %13 : *f32
                      %18 = load %17, _, _ {cache=NONE, eviction=NORMAL, isVolatile=false} : f32
                      %19 = load %16, _, _ {cache=NONE, eviction=NORMAL, isVolatile=false} : f32
                      %20 = add %11, %19 : f32
                      %21 = add %20, %18 : f32
                      yield [%21]
                    } : f32
                    yield [%9]
                  } : f32
                  store %0, %6, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %12 = constant {value=16}
                CHECK-NEXT: %13 = mul %2, %12
                CHECK-NEXT: %17 = ptr_add %0, %13
                CHECK-NEXT: %6 = for
                CHECK-NEXT: ^(%7: i32, %8: f32)
                CHECK-NEXT: %14 = mul %7, %13
                CHECK-NEXT: %9 = for
                CHECK-NEXT: ^(%10: i32, %11: f32)
                CHECK-NEXT: %15 = add %14, %10
                CHECK-NEXT: %16 = ptr_add %0, %15
                CHECK-NEXT: %18 = load %17
                CHECK-NEXT: %19 = load %16
                """);
    }

    @Test
    void hoistsFromWhileLoops() {
        check(licm, """
                kernel k(%0: *i32 /* out */, %1: i32 /* n */) {
                  %2 = constant {value=0} : i32
                  %3 = while [%2] {
                    ^(%4: i32)
                    %5 = constant {value=2} : i32
                    %6 = mul %1, %5 : i32
                    %7 = lt %4, %6 : i1
                    yield [%7]
                  } {
                    ^(%8: i32)
                    %9 = constant {value=3} : i32
                    %10 = add %8, %9 : i32
                    yield [%10]
                  } : i32
                  store %0, %3, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %5 = constant {value=2}
                CHECK-NEXT: %6 = mul %1, %5
                CHECK-NEXT: %9 = constant {value=3}
                CHECK-NEXT: %3 = while
                CHECK-NEXT: ^(%4: i32)
                CHECK-NEXT: %7 = lt %4, %6
                """);
    }
}
