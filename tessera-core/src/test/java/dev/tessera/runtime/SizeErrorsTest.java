package dev.tessera.runtime;

import static dev.tessera.lang.TL.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.backend.KernelFault;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Sizes and devices a user can get wrong: each is an IllegalArgumentException (or, for a device
 * that does not exist here, an IllegalStateException) whose message names the shape or device,
 * never an overflowed size, a bare index exception or an arithmetic one.
 */
class SizeErrorsTest {

    static void fails(Class<? extends Throwable> type, Executable call, String... parts) {
        Throwable e = assertThrows(type, call);
        for (String p : parts) assertTrue(e.getMessage().contains(p), () -> "'" + e.getMessage() + "' should contain '" + p + "'");
    }

    @Test
    void sizesThatOverflowNameTheShape() {
        fails(IllegalArgumentException.class, () -> Tensor.empty(DType.F32, Device.cpu(), 1L << 62), "f32", "[4611686018427387904]", "bytes");
        fails(IllegalArgumentException.class, () -> Tensor.empty(DType.I8, Device.cpu(), 1L << 32, 1L << 32), "[4294967296, 4294967296]");
        fails(IllegalArgumentException.class, () -> Tensor.empty(DType.F32, Device.cpu(), 4, -2), "negative", "[4, -2]");
        fails(IllegalArgumentException.class, () -> Tensor.randn(DType.F32, 1, Device.cpu(), 1L << 32), "randn", "[4294967296]", "Java array");
    }

    @Kernel
    static void storeFirst(Tile out) { store(out, full(I8, 7L)); }

    static final JitKernel STORE_FIRST = Jit.kernel(SizeErrorsTest.class, "storeFirst");

    @Test
    void anEmptyTensorHasNoElementZero() {
        try (Tensor empty = Tensor.empty(DType.I8, Device.cpu(), 0)) {
            assertEquals(0, empty.buffer().byteSize());
            assertEquals(0, empty.toLongArray().length);
            KernelFault f = assertThrows(KernelFault.class, () -> STORE_FIRST.launch(grid(1), empty));
            assertTrue(f.getMessage().contains("out of bounds"), f.getMessage());
        }
        try (Tensor empty = Tensor.fromLongs(new long[0], DType.I32, Device.cpu(), 0, 3)) {
            assertArrayEquals(new long[] {0, 3}, empty.shape());
        }
    }

    @Test
    void viewsAndDimensionsOutOfRange() {
        try (Tensor t = Tensor.zeros(DType.F32, Device.cpu(), 0, 4); Tensor m = Tensor.zeros(DType.F32, Device.cpu(), 3, 4)) {
            fails(IllegalArgumentException.class, () -> t.view(-1, 0), "f32[0, 4]", "ambiguous");
            assertArrayEquals(new long[] {2, 0, 8}, t.view(2, 0, 8).shape());
            fails(IllegalArgumentException.class, () -> m.view(-1, -1), "f32[3, 4]", "only one dimension may be -1");
            fails(IllegalArgumentException.class, () -> m.view(5, -1), "f32[3, 4]", "12 elements", "[5, -1]");
            fails(IllegalArgumentException.class, () -> m.transpose(0, 2), "transpose", "dimension 2", "[3, 4]");
            fails(IllegalArgumentException.class, () -> m.slice(2, 0, 1), "slice", "dimension 2", "[3, 4]");
            fails(IllegalArgumentException.class, () -> m.slice(1, 2, 5), "slice [2, 5)", "f32[3, 4]", "<= 4");
            fails(IllegalArgumentException.class, () -> m.shape(-3), "dimension -3", "[3, 4]");
            assertArrayEquals(new long[] {4, 3}, m.transpose(-1, 0).shape());
        }
    }

    @Test
    void devicesThatDoNotExist() {
        fails(IllegalArgumentException.class, () -> Device.parse("cpu:-1"), "cpu:-1", ">= 0");
        fails(IllegalArgumentException.class, () -> Device.parse("cuda:-1"), "cuda:-1", ">= 0");
        fails(IllegalArgumentException.class, () -> Device.parse("cuda:x"), "cuda:x");
        fails(IllegalArgumentException.class, () -> new Device("cpu", -1), "cpu:-1");
        fails(IllegalStateException.class, () -> Device.parse("cpu:1").require(), "cpu:1 is not available", "the only cpu device here is cpu");
        assertEquals("cpu:1", new Device("cpu", 1).toString(), "a CPU device that does not exist is not printed as the one that does");
    }

    @Test
    void aTensorPrintsAFewValues() {
        Tensor small = Tensor.from(new double[] {0.5, -1.25, 2}, DType.F32, Device.cpu(), 3);
        assertEquals("Tensor(f32[3], cpu: 0.5, -1.25, 2.0)", small.toString());
        try (Tensor ten = Tensor.fromLongs(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, DType.I32, Device.cpu(), 2, 5)) {
            assertEquals("Tensor(i32[2, 5], cpu: 0, 1, 2, …, 7, 8, 9)", ten.toString());
        }
        small.close();
        assertEquals("Tensor(f32[3], cpu: closed)", small.toString());
    }

    @Test
    void aMisspelledKernelSuggestsTheClosest() {
        fails(IllegalArgumentException.class, () -> Jit.kernel(SizeErrorsTest.class, "storFirst"), "no method named 'storFirst'",
                "did you mean 'storeFirst'?", "its @Kernel methods: storeFirst");
    }
}
