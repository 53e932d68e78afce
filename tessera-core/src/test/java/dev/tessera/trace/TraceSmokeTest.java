package dev.tessera.trace;

import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.ir.KernelIR;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.types.DType;
import dev.tessera.types.PointerType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TraceSmokeTest {
    @Kernel
    static void add(Tile x, Tile y, Tile out, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile mask = offs.lt(n);
        store(out.add(offs), load(x.add(offs), mask).add(load(y.add(offs), mask)), mask);
    }

    @Kernel
    static void rowSum(Tile x, Tile out, Tile n, @Constexpr int BLOCK) {
        Var acc = var(zeros(F32, BLOCK));
        for (Tile k : range(0, n, BLOCK)) {
            Tile offs = k.add(arange(0, BLOCK));
            acc.set(acc.get().add(load(x.add(offs), offs.lt(n), 0.0)));
        }
        store(out.add(programId(0)), sum(acc.get()));
    }

    @Test
    void tracesVectorAdd() {
        var f32p = new ArgSpec(new PointerType(DType.F32), 16, false);
        KernelIR ir = Tracer.trace(KernelMethod.of(TraceSmokeTest.class, "add"),
                List.of(f32p, f32p, f32p, new ArgSpec(DType.I32, 1, false)), Map.of("BLOCK", 1024));
        System.out.println(ir);
        assertTrue(ir.toString().contains("load"));
    }

    @Test
    void tracesLoop() {
        var f32p = new ArgSpec(new PointerType(DType.F32), 16, false);
        KernelIR ir = Tracer.trace(KernelMethod.of(TraceSmokeTest.class, "rowSum"),
                List.of(f32p, f32p, new ArgSpec(DType.I32, 1, false)), Map.of("BLOCK", 128));
        System.out.println(ir);
        assertTrue(ir.toString().contains("for"));
    }
}
