package dev.tessera.cuda.codegen;

import static dev.tessera.cuda.codegen.Kernels.*;
import static dev.tessera.lang.TL.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.cuda.driver.PtxTarget;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.types.DType;
import org.junit.jupiter.api.Test;

/**
 * Packed f16 values are unpacked with their NaN patterns tagged only where a use may carry the
 * held value on (a select, a store, a max): values read only by float add, subtract, multiply,
 * fma and comparisons, whose results are the hardware's one NaN whatever NaN they read, are one
 * {@code cvt.f32.f16} an element. The tag is the {@code prmt} that puts the half's sign in the top
 * byte (selector 0x9410 for a low half, 0xB432 for a high one).
 */
class NanTaggingTest {

    /** y = x·w + b - x, in f32: x, w and b read only as numbers. */
    @Kernel
    public static void arithmetic(Tile x, Tile w, Tile b, Tile y, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile xv = load(x.add(offs)).to(F32), wv = load(w.add(offs)).to(F32), bv = load(b.add(offs)).to(F32);
        Tile t = fma(xv, wv, bv).sub(xv);
        store(y.add(offs), where(t.gt(xv), t, xv.mul(2.0)));
    }

    /** y = where(x > 0, x, w) in f32: x and w are selected, so their patterns may reach the store. */
    @Kernel
    public static void selected(Tile x, Tile w, Tile y, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile xv = load(x.add(offs)).to(F32), wv = load(w.add(offs)).to(F32);
        store(y.add(offs), where(xv.gt(0.0), xv, wv));
    }

    static int tags(String ptx) {
        int n = 0;
        for (String line : ptx.split("\n")) if (line.contains("prmt.b32") && (line.endsWith("0x9410;") || line.endsWith("0xB432;"))) n++;
        return n;
    }

    static String ptx(String kernel, int pointers) {
        var specs = args();
        for (int i = 0; i < pointers; i++) specs.add(ptr(i < pointers - 1 ? DType.F16 : DType.F32));
        return Kernels.ptx(ir(NanTaggingTest.class, kernel, specs, "BLOCK", 1024), 4, Target.of(PtxTarget.of(9, 0, 12080))).ptx();
    }

    @Test
    void valuesReadOnlyAsNumbersAreNotTagged() {
        String ptx = ptx("arithmetic", 4);
        assertTrue(ptx.contains("cvt.f32.f16"), ptx);
        assertEquals(0, tags(ptx), ptx);
    }

    @Test
    void selectedValuesAreTagged() {
        // 1024 elements on 128 threads: 8 a thread, each of x and w tagged
        assertEquals(16, tags(ptx("selected", 3)));
    }
}
