package dev.tessera.passes;

import static dev.tessera.passes.PassTesting.check;

import org.junit.jupiter.api.Test;

class CseTest {
    private final CommonSubexpressionElimination cse = new CommonSubexpressionElimination();

    @Test
    void mergesEqualPureOps() {
        check(cse, """
                kernel k(%0: *f32 /* x */, %1: i32 /* n */) {
                  %2 = program_id {axis=0} : i32
                  %3 = program_id {axis=0} : i32
                  %4 = program_id {axis=1} : i32
                  %5 = constant {value=128} : i32
                  %6 = constant {value=128} : i32
                  %7 = mul %2, %5 : i32
                  %8 = mul %3, %6 : i32
                  %9 = add %7, %4 : i32
                  %10 = add %8, %4 : i32
                  %11 = add %4, %8 : i32
                  %12 = ptr_add %0, %9 : *f32
                  %13 = ptr_add %0, %10 : *f32
                  %14 = load %12, _, _ {cache=NONE, eviction=NORMAL, isVolatile=false} : f32
                  %15 = load %13, _, _ {cache=NONE, eviction=NORMAL, isVolatile=false} : f32
                  %16 = add %14, %15 : f32
                  store %12, %16, _ {cache=NONE, eviction=NORMAL}
                  %17 = constant {value=128.0} : f32
                  %18 = convert %11 {rounding=NEAREST_EVEN} : f32
                  store %13, %17, _ {cache=NONE, eviction=NORMAL}
                  store %13, %18, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %2 = program_id {axis=0}
                CHECK-NEXT: %4 = program_id {axis=1}
                CHECK-NEXT: %5 = constant {value=128} : i32
                CHECK-NEXT: %7 = mul %2, %5
                CHECK-NEXT: %9 = add %7, %4
                CHECK-NEXT: %11 = add %4, %7
                CHECK-NEXT: %12 = ptr_add %0, %9
                CHECK-NEXT: %14 = load %12
                CHECK-NEXT: %15 = load %12
                CHECK-NEXT: %16 = add %14, %15
                CHECK-NEXT: store %12, %16
                CHECK-NEXT: %17 = constant {value=128.0} : f32
                CHECK: store %12, %17
                """);
    }

    @Test
    void valuesOfARegionStayInside() {
        check(cse, """
                kernel k(%0: *i32 /* out */, %1: i32 /* n */, %2: i1 /* c */) {
                  %3 = constant {value=1} : i32
                  %4 = constant {value=0} : i32
                  %5 = for %4, %1, %3, [%4] {
                    ^(%6: i32, %7: i32)
                    %8 = constant {value=1} : i32
                    %9 = constant {value=7} : i32
                    %10 = add %7, %8 : i32
                    %11 = add %10, %9 : i32
                    yield [%11]
                  } : i32
                  %12 = if %2 {
                    ^()
                    %13 = constant {value=7} : i32
                    yield [%13]
                  } {
                    ^()
                    %14 = constant {value=7} : i32
                    yield [%14]
                  } : i32
                  %15 = constant {value=7} : i32
                  %16 = add %5, %15 : i32
                  %17 = add %16, %12 : i32
                  store %0, %17, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %5 = for
                CHECK-NOT: %8 =
                CHECK: %9 = constant {value=7}
                CHECK-NEXT: %10 = add %7, %3
                CHECK: %13 = constant {value=7}
                CHECK: %14 = constant {value=7}
                CHECK: %15 = constant {value=7}
                CHECK-NEXT: %16 = add %5, %15
                """);
    }

    @Test
    void sideEffectsAndRegionsAreNeverMerged() {
        check(cse, """
                kernel k(%0: *i32 /* p */) {
                  %1 = constant {value=1} : i32
                  %2 = atomic_rmw %0, %1, _ {fn=ADD, semantic=ACQ_REL, scope=GPU} : i32
                  %3 = atomic_rmw %0, %1, _ {fn=ADD, semantic=ACQ_REL, scope=GPU} : i32
                  %4 = add %2, %3 : i32
                  store %0, %4, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %2 = atomic_rmw
                CHECK-NEXT: %3 = atomic_rmw
                CHECK-NEXT: %4 = add %2, %3
                """);
    }
}
