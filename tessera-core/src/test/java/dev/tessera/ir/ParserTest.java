package dev.tessera.ir;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.testing.IrSamples;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ParserTest {

    @Test
    void samplesCoverEveryOpKind() {
        Set<Class<?>> seen = new HashSet<>();
        for (KernelIR k : IrSamples.all()) collect(k.body(), seen);
        Set<Class<?>> missing = new HashSet<>(List.of(Op.class.getPermittedSubclasses()));
        missing.removeAll(seen);
        assertEquals(Set.of(), missing, "op kinds no sample kernel uses");
    }

    private static void collect(Region r, Set<Class<?>> seen) {
        for (Op op : r.ops()) {
            seen.add(op.getClass());
            op.regions().forEach(nested -> collect(nested, seen));
        }
    }

    @Test
    void roundTripsEverySampleWithLocations() {
        for (KernelIR k : IrSamples.all()) {
            String text = Printer.print(k);
            KernelIR parsed = Verifier.verify(Parser.parse(text));
            assertEquals(text, Printer.print(parsed), k.name());
            assertTrue(text.contains("// IrSamples.java:"), "samples carry locations");
        }
    }

    @Test
    void roundTripsEverySampleWithoutLocations() {
        for (KernelIR k : IrSamples.all()) {
            String text = Printer.print(k, false);
            KernelIR parsed = Verifier.verify(Parser.parse(text));
            assertEquals(text, Printer.print(parsed, false), k.name());
            assertEquals(text, Printer.print(parsed), "no locations were invented");
        }
    }

    @Test
    void keepsLocationsAndConstantKinds() {
        KernelIR k = Parser.parse("""
                // ---- demo: after dce
                kernel demo(%0: *f16 {divisibility=16} /* out */, %1: i64 /* n */) [BLOCK=64, scale=0.5, tag="a, b]", dt=f16, on=true] {
                  %2 = constant {value=3} : f16[64]                 // Demo.java:7
                  %3 = constant {value=-2} : i64
                  %9 = constant {value=NaN} : f32
                  %4 = program_id {axis=2} : i32   // Demo.java:12
                  print [%4, %3] {prefix="a \\"b\\"\\n", hex=true}
                  %5 = splat %0 : *f16[64]
                  store %5, %2, _ {cache=NONE, eviction=NORMAL}
                }
                """);
        Verifier.verify(k);
        Op.Constant c = (Op.Constant) k.body().ops().get(0);
        assertEquals(3.0, c.value());
        assertEquals(new Loc("Demo.java", 7, ""), c.loc());
        assertEquals(-2L, ((Op.Constant) k.body().ops().get(1)).value());
        assertEquals(Double.NaN, ((Op.Constant) k.body().ops().get(2)).value());
        assertEquals(Loc.UNKNOWN, k.body().ops().get(1).loc());
        assertEquals(12, k.body().ops().get(3).loc().line());
        Op.Print p = (Op.Print) k.body().ops().get(4);
        assertEquals("a \"b\"\n", p.prefix());
        assertTrue(p.hex());
        assertEquals(Map.of("BLOCK", 64, "scale", 0.5, "tag", "a, b]", "dt", "f16", "on", true), k.constants());
        assertEquals(16, k.params().get(0).divisibility());
        assertEquals("n", k.params().get(1).name());
        String printed = Printer.print(k);
        assertEquals(printed, Printer.print(Parser.parse(printed)));
    }

    @Test
    void atomicFunctionsSurviveTheRoundTrip() {
        String text = """
                kernel a(%0: *i32 /* p */) {
                  %1 = constant {value=1} : i32
                  %2 = atomic_rmw %0, %1, _ {fn=MAX, semantic=RELAXED, scope=CTA} : i32
                }
                """;
        Op.AtomicRmw op = (Op.AtomicRmw) Parser.parse(text).body().ops().get(1);
        assertEquals(Op.AtomicRmw.Fn.MAX, op.fn());
        assertEquals(text, Printer.print(Parser.parse(text)));
    }

    @Test
    void reportsErrorsWithLineNumbers() {
        var e = assertThrows(IllegalArgumentException.class, () -> Parser.parse("""
                kernel k(%0: i32 /* n */) {
                  %1 = add %0, %7 : i32
                }
                """));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("%7"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Parser.parse("kernel k() {\n  %1 = frobnicate : i32\n}\n"));
        assertTrue(e.getMessage().contains("unknown op 'frobnicate'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Parser.parse("kernel k() {\n  %1 = constant {value=1.5} : i32\n}\n"));
        assertTrue(e.getMessage().contains("bad value '1.5'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Parser.parse("kernel k(%0: i32 /* n */) {\n  %0 = constant {value=1} : i32\n}\n"));
        assertTrue(e.getMessage().contains("defined twice"), e.getMessage());
    }
}
