package dev.tessera.passes;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.testing.FileCheck;
import org.junit.jupiter.api.Test;

/** The checker itself must be able to fail, or the pass tests built on it prove nothing. */
class FileCheckTest {
    private static final String OUT = """
            %1 = constant {value=3} : i32
            %2 = add %0, %1 : i32
            store %5, %2, _
            """;

    @Test
    void acceptsMatchingChecks() {
        FileCheck.check(OUT, """
                CHECK: [[C:%[0-9]+]] = constant {value=3}
                CHECK-NEXT: = add %0, [[C]] : i32
                CHECK-NOT: mul
                CHECK: store
                """);
    }

    @Test
    void rejectsWhatDoesNotMatch() {
        assertThrows(AssertionError.class, () -> FileCheck.check(OUT, "CHECK: mul"));
        assertThrows(AssertionError.class, () -> FileCheck.check(OUT, "CHECK: constant\nCHECK-NEXT: store"));
        assertThrows(AssertionError.class, () -> FileCheck.check(OUT, "CHECK: constant\nCHECK-NOT: add\nCHECK: store"));
        assertThrows(AssertionError.class, () -> FileCheck.check(OUT, "CHECK: store\nCHECK: constant"));
        assertThrows(AssertionError.class, () -> FileCheck.check(OUT, "CHECK: [[C:%[0-9]+]] = constant\nCHECK: add [[C]]"));
        // a captured %1 does not match the prefix of %12
        assertThrows(AssertionError.class, () -> FileCheck.check("%12 = add %1, %2\n%3 = mul %12, %2", "CHECK: add [[A:%[0-9]+]]\nCHECK: mul [[A]]"));
    }
}
