package dev.tessera.passes;

import static dev.tessera.passes.PassTesting.check;

import org.junit.jupiter.api.Test;

class CanonicalizeTest {
    private final Canonicalize canonicalize = new Canonicalize();

    @Test
    void integerIdentities() {
        check(canonicalize, """
                kernel k(%0: i32 /* n */, %1: *i32 /* out */) {
                  %2 = constant {value=0} : i32
                  %3 = constant {value=1} : i32
                  %4 = add %0, %2 : i32
                  %5 = add %2, %4 : i32
                  %6 = mul %5, %3 : i32
                  %7 = sub %6, %2 : i32
                  %8 = div %7, %3 : i32
                  %9 = mul %8, %2 : i32
                  %10 = sub %8, %8 : i32
                  %11 = add %9, %10 : i32
                  %12 = add %8, %11 : i32
                  store %1, %12, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK-NOT: add
                CHECK: %9 = constant {value=0} : i32
                CHECK-NEXT: %10 = constant {value=0} : i32
                CHECK-NEXT: store %1, %0
                """);
    }

    @Test
    void floatIdentitiesKeepSignedZerosAndNaN() {
        check(canonicalize, """
                kernel k(%0: f32 /* x */, %1: *f32 /* out */) {
                  %2 = constant {value=0.0} : f32
                  %3 = constant {value=-0.0} : f32
                  %4 = constant {value=1.0} : f32
                  %5 = add %0, %2 : f32
                  %6 = add %5, %3 : f32
                  %7 = sub %6, %2 : f32
                  %8 = sub %7, %3 : f32
                  %9 = mul %8, %4 : f32
                  %10 = mul %9, %2 : f32
                  store %1, %10, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %5 = add %0, %2 : f32
                CHECK-NOT: %6 =
                CHECK-NOT: %7 =
                CHECK: %8 = sub %5, %3 : f32
                CHECK-NOT: %9 =
                CHECK: %10 = mul %8, %2 : f32
                """);
    }

    @Test
    void doubleNegationAndSameTypeConversions() {
        check(canonicalize, """
                kernel k(%0: i32 /* x */, %1: *i32 /* out */, %2: i1 /* b */) {
                  %3 = neg %0 : i32
                  %4 = neg %3 : i32
                  %5 = convert %4 {rounding=NEAREST_EVEN} : i32
                  %6 = not %2 : i1
                  %7 = not %6 : i1
                  %8 = select %7, %5, %3 : i32
                  store %1, %8, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %3 = neg %0 : i32
                CHECK-NEXT: %6 = not %2 : i1
                CHECK-NEXT: %8 = select %2, %0, %3 : i32
                """);
    }

    @Test
    void shapeChainsCollapse() {
        check(canonicalize, """
                kernel k(%0: f32 /* x */, %1: *f32 /* out */, %2: *f32 /* in */) {
                  %3 = splat %0 : f32[8]
                  %4 = expand_dims %3 {axis=0} : f32[1, 8]
                  %5 = broadcast %4 : f32[4, 8]
                  %6 = arange {start=0, end=8} : i32[8]
                  %7 = splat %2 : *f32[8]
                  %8 = ptr_add %7, %6 : *f32[8]
                  %9 = load %8, _, _ {cache=NONE, eviction=NORMAL, isVolatile=false} : f32[8]
                  %10 = reshape %9 : f32[2, 4]
                  %11 = reshape %10 : f32[4, 2]
                  %12 = reshape %11 : f32[8]
                  %13 = expand_dims %12 {axis=1} : f32[8, 1]
                  %14 = broadcast %13 : f32[8, 4]
                  %15 = reshape %14 : f32[4, 8]
                  %16 = add %5, %15 : f32[4, 8]
                  %17 = splat %1 : *f32[4, 8]
                  store %17, %16, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %5 = splat %0 : f32[4, 8]
                CHECK: %9 = load
                CHECK: %11 = reshape %9 : f32[4, 2]
                CHECK-NOT: %12 =
                CHECK: %13 = expand_dims %9 {axis=1} : f32[8, 1]
                CHECK: %16 = add %5, %15
                """);
    }

    @Test
    void pointerOffsetsAreSummedFromTheBasePointer() {
        check(canonicalize, """
                kernel k(%0: *f32 /* a */, %1: i32 /* stride */, %2: i64 /* base */) {
                  %3 = arange {start=0, end=4} : i32[4]
                  %4 = expand_dims %3 {axis=1} : i32[4, 1]
                  %5 = splat %1 : i32[4, 1]
                  %6 = mul %4, %5 : i32[4, 1]
                  %7 = ptr_add %0, %2 : *f32
                  %8 = splat %7 : *f32[4, 1]
                  %9 = ptr_add %8, %6 : *f32[4, 1]
                  %10 = broadcast %9 : *f32[4, 8]
                  %11 = arange {start=0, end=8} : i32[8]
                  %12 = expand_dims %11 {axis=0} : i32[1, 8]
                  %13 = broadcast %12 : i32[4, 8]
                  %14 = ptr_add %10, %13 : *f32[4, 8]
                  %15 = load %14, _, _ {cache=NONE, eviction=NORMAL, isVolatile=false} : f32[4, 8]
                  store %14, %15, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: [[P:%[0-9]+]] = splat %0 : *f32[4, 1]
                CHECK: [[B:%[0-9]+]] = splat %2 : i64[4, 1]
                CHECK: [[W:%[0-9]+]] = convert %6 {rounding=NEAREST_EVEN} : i64[4, 1]
                CHECK: [[S:%[0-9]+]] = add [[B]], [[W]] : i64[4, 1]
                CHECK: [[P2:%[0-9]+]] = splat %0 : *f32[4, 8]
                CHECK: [[O:%[0-9]+]] = broadcast [[S]] : i64[4, 8]
                CHECK: [[W2:%[0-9]+]] = convert %13 {rounding=NEAREST_EVEN} : i64[4, 8]
                CHECK: [[T:%[0-9]+]] = add [[O]], [[W2]] : i64[4, 8]
                CHECK: %14 = ptr_add [[P2]], [[T]] : *f32[4, 8]
                CHECK: load %14
                """);
    }

    @Test
    void offsetsOfOneWideTypeAddInThatType() {
        check(canonicalize, """
                kernel k(%0: *f32 /* a */, %1: i32 /* x */, %2: i32 /* y */) {
                  %3 = ptr_add %0, %1 : *f32
                  %4 = ptr_add %3, %2 : *f32
                  %5 = constant {value=0} : i32
                  %6 = ptr_add %4, %5 : *f32
                  %7 = load %6, _, _ {cache=NONE, eviction=NORMAL, isVolatile=false} : f32
                  store %0, %7, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: [[S:%[0-9]+]] = add %1, %2 : i32
                CHECK-NEXT: %4 = ptr_add %0, [[S]] : *f32
                CHECK-NOT: ptr_add
                CHECK: %7 = load %4
                """);
    }

    @Test
    void selectsAndComparisonsDecidedByTheirOperands() {
        check(canonicalize, """
                kernel k(%0: i32 /* x */, %1: i32 /* y */, %2: *i32 /* out */, %3: f32 /* f */, %4: *i1 /* flags */) {
                  %5 = constant {value=1} : i1
                  %6 = select %5, %0, %1 : i32
                  %7 = constant {value=0} : i1
                  %8 = select %7, %6, %1 : i32
                  %9 = lt %0, %1 : i1
                  %10 = select %9, %8, %8 : i32
                  %11 = le %0, %0 : i1
                  %12 = ne %0, %0 : i1
                  %13 = eq %3, %3 : i1
                  store %2, %10, _ {cache=NONE, eviction=NORMAL}
                  store %4, %11, _ {cache=NONE, eviction=NORMAL}
                  store %4, %12, _ {cache=NONE, eviction=NORMAL}
                  store %4, %13, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK-NOT: select
                CHECK: %11 = constant {value=1} : i1
                CHECK-NEXT: %12 = constant {value=0} : i1
                CHECK-NEXT: %13 = eq %3, %3 : i1
                CHECK-NEXT: store %2, %1
                """);
    }

    @Test
    void loopsThatNeverRunAndBranchesOnConstants() {
        check(canonicalize, """
                kernel k(%0: *f32 /* out */, %1: i32 /* n */) {
                  %2 = constant {value=5} : i32
                  %3 = constant {value=2} : i32
                  %4 = constant {value=1} : i32
                  %5 = constant {value=0.0} : f32
                  %6 = for %2, %3, %4, [%5] {
                    ^(%7: i32, %8: f32)
                    %9 = constant {value=1.0} : f32
                    %10 = add %8, %9 : f32
                    yield [%10]
                  } : f32
                  %11 = constant {value=0} : i32
                  %12 = for %2, %3, %11, [%5] {
                    ^(%13: i32, %14: f32)
                    yield [%14]
                  } : f32
                  %15 = constant {value=1} : i1
                  %16 = if %15 {
                    ^()
                    %17 = constant {value=3.0} : f32
                    %18 = add %6, %17 : f32
                    yield [%18]
                  } {
                    ^()
                    yield [%12]
                  } : f32
                  store %0, %16, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK-NOT: %6 = for
                CHECK-NOT: if
                CHECK: %17 = constant {value=3.0} : f32
                CHECK-NEXT: %18 = add %5, %17 : f32
                CHECK-NEXT: store %0, %18
                """);
    }

    @Test
    void loopsWithABadStepOrUnknownBoundsStay() {
        check(canonicalize, """
                kernel k(%0: *f32 /* out */, %1: i32 /* n */) {
                  %2 = constant {value=5} : i32
                  %3 = constant {value=2} : i32
                  %4 = constant {value=0} : i32
                  %5 = constant {value=0.0} : f32
                  %6 = for %2, %3, %4, [%5] {
                    ^(%7: i32, %8: f32)
                    %9 = add %8, %8 : f32
                    yield [%9]
                  } : f32
                  %10 = constant {value=1} : i32
                  %11 = for %2, %1, %10, [%6] {
                    ^(%12: i32, %13: f32)
                    %14 = add %13, %13 : f32
                    yield [%14]
                  } : f32
                  store %0, %11, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %6 = for %2, %3, %4, [%5]
                CHECK: %11 = for %2, %1, %10, [%6]
                """);
    }

    @Test
    void carriedValuesThatNeverChangeAreTheirInitialValues() {
        check(canonicalize, """
                kernel k(%0: *f32 /* out */, %1: i32 /* n */, %2: f32 /* scale */) {
                  %3 = constant {value=0} : i32
                  %4 = constant {value=1} : i32
                  %5 = constant {value=0.0} : f32
                  %6, %7, %8 = for %3, %1, %4, [%5, %2, %2] {
                    ^(%9: i32, %10: f32, %11: f32, %12: f32)
                    %13 = mul %11, %12 : f32
                    %14 = add %10, %13 : f32
                    yield [%14, %11, %2]
                  } : f32, f32, f32
                  %15 = add %6, %7 : f32
                  %16 = add %15, %8 : f32
                  store %0, %16, _ {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %6 = for %3, %1, %4, [%5] {
                CHECK-NEXT: ^(%9: i32, %10: f32)
                CHECK-NEXT: %13 = mul %2, %2 : f32
                CHECK-NEXT: %14 = add %10, %13 : f32
                CHECK-NEXT: yield [%14]
                CHECK: %15 = add %6, %2 : f32
                CHECK-NEXT: %16 = add %15, %2 : f32
                """);
    }

    @Test
    void constantMasksOfLoadsAndStores() {
        check(canonicalize, """
                kernel k(%0: *f32 /* x */) {
                  %1 = splat %0 : *f32[4]
                  %2 = constant {value=1} : i1[4]
                  %3 = constant {value=0} : i1[4]
                  %4 = constant {value=2.0} : f32[4]
                  %5 = load %1, %2, %4 {cache=CG, eviction=NORMAL, isVolatile=false} : f32[4]
                  %6 = load %1, %3, %4 {cache=NONE, eviction=NORMAL, isVolatile=false} : f32[4]
                  %7 = load %1, %3, _ {cache=NONE, eviction=NORMAL, isVolatile=false} : f32[4]
                  %8 = load %1, %3, _ {cache=NONE, eviction=NORMAL, isVolatile=true} : f32[4]
                  %9 = add %5, %6 : f32[4]
                  %10 = add %9, %7 : f32[4]
                  %11 = add %10, %8 : f32[4]
                  store %1, %11, %2 {cache=NONE, eviction=NORMAL}
                  store %1, %11, %3 {cache=NONE, eviction=NORMAL}
                }
                """, """
                CHECK: %5 = load %1, _, _ {cache=CG, eviction=NORMAL, isVolatile=false}
                CHECK-NEXT: %7 = constant {value=0.0} : f32[4]
                CHECK-NEXT: %8 = load %1, %3, _ {cache=NONE, eviction=NORMAL, isVolatile=true}
                CHECK-NEXT: %9 = add %5, %4
                CHECK: store %1, %11, _
                CHECK-NOT: store
                """);
    }
}
