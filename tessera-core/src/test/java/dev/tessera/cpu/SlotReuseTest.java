package dev.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tessera.runtime.Device;
import dev.tessera.runtime.Tensor;
import dev.tessera.types.DType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Once every fresh slot has been used (millions of allocations), freed slots are reused: an address
 * kept from the freed buffer must still name no live buffer, not the new one in its slot.
 */
class SlotReuseTest {
    static int slotIndex(long address) { return CpuMemory.slotOf(address) & (CpuMemory.MAX_SLOTS - 1); }

    @Test
    void aStaleAddressDoesNotReachTheBufferThatReusedItsSlot() {
        Tensor old = Tensor.zeros(DType.F32, Device.cpu(), 64);
        long stale = old.dataPointer();
        CpuMemory.Allocation was = CpuMemory.lookup(stale);
        old.close();
        int fresh = CpuMemory.setNextFreshSlot(CpuMemory.MAX_SLOTS);
        List<Tensor> reusing = new ArrayList<>();
        try {
            Tensor again;
            do { // freed slots come back oldest first: allocate until the freed tensor's slot is reached
                again = Tensor.zeros(DType.F32, Device.cpu(), 64);
                reusing.add(again);
            } while (slotIndex(again.dataPointer()) != slotIndex(stale));
            assertNotNull(was);
            assertNotSame(was, CpuMemory.lookup(again.dataPointer()));
            assertSame(CpuMemory.lookup(again.dataPointer()), CpuMemory.lookup(again.dataPointer() + 4), "the new buffer is live");
            assertNull(CpuMemory.lookup(stale), "the freed buffer's address names no live buffer");
        } finally {
            CpuMemory.setNextFreshSlot(fresh);
            reusing.forEach(Tensor::close);
        }
    }
}
