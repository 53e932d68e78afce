package dev.tessera.lang;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.ir.Op;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The language's options and the IR's counterparts name the same constants, so the by-name mapping
 * of {@link IrOptions} is total both ways: an option added to one side alone fails here, not in a
 * user's kernel.
 */
class IrOptionsTest {

    private static List<String> names(Class<? extends Enum<?>> e) { return Arrays.stream(e.getEnumConstants()).map(Enum::name).toList(); }

    @Test
    void everyOptionHasItsCounterpartByName() {
        assertEquals(names(dev.tessera.ir.MemoryOrder.Cache.class), names(MemoryOrder.Cache.class));
        assertEquals(names(dev.tessera.ir.MemoryOrder.Eviction.class), names(MemoryOrder.Eviction.class));
        assertEquals(names(dev.tessera.ir.MemoryOrder.Semantic.class), names(MemoryOrder.Semantic.class));
        assertEquals(names(dev.tessera.ir.MemoryOrder.Scope.class), names(MemoryOrder.Scope.class));
        assertEquals(names(Op.Dot.Precision.class), names(Precision.class));
        assertEquals(names(Op.AtomicRmw.Fn.class), names(AtomicOp.class));
    }

    @Test
    void eachMapsOntoItsCounterpart() {
        for (MemoryOrder.Cache c : MemoryOrder.Cache.values()) assertEquals(c.name(), IrOptions.ir(c).name());
        for (MemoryOrder.Eviction e : MemoryOrder.Eviction.values()) assertEquals(e.name(), IrOptions.ir(e).name());
        for (MemoryOrder.Semantic s : MemoryOrder.Semantic.values()) assertEquals(s.name(), IrOptions.ir(s).name());
        for (MemoryOrder.Scope s : MemoryOrder.Scope.values()) assertEquals(s.name(), IrOptions.ir(s).name());
        for (Precision p : Precision.values()) assertEquals(p.name(), IrOptions.ir(p).name());
        for (AtomicOp a : AtomicOp.values()) assertEquals(a.name(), IrOptions.ir(a).name());
        assertEquals(null, IrOptions.ir((Precision) null), "no precision asked for: the default");
    }
}
