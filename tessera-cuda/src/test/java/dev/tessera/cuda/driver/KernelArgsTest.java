package dev.tessera.cuda.driver;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The void** array cuLaunchKernel reads, checked by following its pointers as the driver would. */
class KernelArgsTest {

    private static MemorySegment target(KernelArgs args, int index, long bytes) {
        long address = args.pointers().getAtIndex(JAVA_LONG, index);
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    @Test
    void eachEntryPointsAtItsValue() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pair = arena.allocate(16, 8);
            pair.set(JAVA_LONG, 0, 11);
            pair.set(JAVA_LONG, 8, 22);
            KernelArgs args = KernelArgs.allocate(arena, 8)
                    .ptr(0x7f00_1234_5600L).i32(-7).i64(1L << 40).f32(1.5f).f64(-2.25).ref(pair);

            assertEquals(6, args.count());
            assertEquals(0x7f00_1234_5600L, target(args, 0, 8).get(JAVA_LONG, 0));
            assertEquals(-7, target(args, 1, 4).get(JAVA_INT, 0));
            assertEquals(1L << 40, target(args, 2, 8).get(JAVA_LONG, 0));
            assertEquals(1.5f, target(args, 3, 4).get(JAVA_FLOAT, 0));
            assertEquals(-2.25, target(args, 4, 8).get(JAVA_DOUBLE, 0));
            assertEquals(pair.address(), args.pointers().getAtIndex(JAVA_LONG, 5));
            assertEquals(22, target(args, 5, 16).get(JAVA_LONG, 8));
        }
    }

    @Test
    void tensorMapSlotsAreDistinctAlignedAndReusedAfterReset() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = KernelArgs.allocate(arena, 4);
            MemorySegment a = args.tensorMapSlot(), b = args.tensorMapSlot();
            assertEquals(KernelArgs.TENSOR_MAP_BYTES, a.byteSize());
            assertEquals(0, a.address() % KernelArgs.TENSOR_MAP_ALIGNMENT);
            assertEquals(0, b.address() % KernelArgs.TENSOR_MAP_ALIGNMENT);
            assertEquals(a.address() + KernelArgs.TENSOR_MAP_BYTES, b.address());
            args.ref(a).ref(b);
            assertEquals(b.address(), args.pointers().getAtIndex(JAVA_LONG, 1));
            assertEquals(a.address(), args.reset().tensorMapSlot().address());
            for (int i = 1; i < 16; i++) args.tensorMapSlot();
            assertThrows(IllegalStateException.class, args::tensorMapSlot, "16 tensor maps per launch");
        }
    }

    @Test
    void valuesSitInEightByteSlotsThatAreReusedAfterReset() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = KernelArgs.allocate(arena, 4).i32(1).i32(2).i32(3);
            long first = args.pointers().getAtIndex(JAVA_LONG, 0);
            assertEquals(first + KernelArgs.SLOT_BYTES, args.pointers().getAtIndex(JAVA_LONG, 1));
            assertEquals(first + 2 * KernelArgs.SLOT_BYTES, args.pointers().getAtIndex(JAVA_LONG, 2));

            args.reset().f32(4f);
            assertEquals(1, args.count());
            assertEquals(first, args.pointers().getAtIndex(JAVA_LONG, 0));
            assertEquals(4f, target(args, 0, 4).get(JAVA_FLOAT, 0));
        }
    }

    @Test
    void aSlotReusedAfterRefPointsAtItsOwnStorageAgain() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = KernelArgs.allocate(arena, 2).ref(arena.allocate(16));
            args.reset().i64(5);
            assertEquals(5, target(args, 0, 8).get(JAVA_LONG, 0));
        }
    }

    @Test
    void tooManyArgumentsAndHeapRefsAreRefused() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = KernelArgs.allocate(arena, 1).i32(1);
            assertThrows(IllegalStateException.class, () -> args.i32(2));
            assertThrows(IllegalStateException.class, () -> args.ref(arena.allocate(8)));
            assertThrows(IllegalArgumentException.class, () -> args.reset().ref(MemorySegment.ofArray(new long[2])));
            assertThrows(IllegalArgumentException.class, () -> KernelArgs.allocate(arena, 0));
        }
    }

    @Test
    void eachThreadHasItsOwnReusableInstance() throws Exception {
        KernelArgs mine = KernelArgs.forCurrentThread().i32(1);
        assertSame(mine, KernelArgs.forCurrentThread());
        assertEquals(0, mine.count(), "forCurrentThread empties it");
        KernelArgs other = CompletableFuture.supplyAsync(KernelArgs::forCurrentThread).get();
        assertNotSame(mine, other);
    }
}
