package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;

import dev.tessera.lang.Precision;
import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import dev.tessera.lang.Precision;

/**
 * One dot per program over tiles from 16×16×16 to 256×16×32 and 128×128×64, square and not, with
 * 1 to 8 warps (8 warps on a 16×16 result: more threads than a tensor core's tiles need), in
 * every input dtype dot takes and every accumulation it allows: f32 (i32, f64) by default, an
 * accumulator loaded from memory, IEEE f32, and for f16 inputs an f16 result or f16 accumulator.
 * K fits in one tile: all of it where the tile has M ≥ N, else all but a masked tail of 3; M and N
 * run over two tiles each, the second partial.
 */
@ExtendWith(SeedExtension.class)
class DotShapesTest {

    @Kernel
    static void tile(Tile a, Tile b, Tile c, Tile acc0, Tile M, Tile N, Tile K, @Constexpr String MODE, @Constexpr int BM,
                     @Constexpr int BN, @Constexpr int BK) {
        Tile rm = programId(0).mul(BM).add(arange(0, BM)), rn = programId(1).mul(BN).add(arange(0, BN)), rk = arange(0, BK);
        Tile at = load(a.add(rm.col().mul(K)).add(rk.row()), rm.col().lt(M).and(rk.row().lt(K)), 0L);
        Tile bt = load(b.add(rk.col().mul(N)).add(rn.row()), rk.col().lt(K).and(rn.row().lt(N)), 0L);
        Tile offsets = rm.col().mul(N).add(rn.row()), inside = rm.col().lt(M).and(rn.row().lt(N));
        Tile r = switch (MODE) {
            case "acc" -> dot(at, bt, load(acc0.add(offsets), inside, 0L)); // accumulates in acc0's dtype
            case "ieee" -> dot(at, bt, zeros(F32, BM, BN), Precision.IEEE);
            case "fast" -> dot(at, bt, null, Precision.FAST_ACCUMULATION);
            case "f16 out" -> dot(at, bt, F16);
            default -> dot(at, bt);
        };
        store(c.add(offsets), r, inside);
    }

    static final JitKernel TILE = Jit.kernel(DotShapesTest.class, "tile");

    /** Inputs of {@code in}, a mode of the kernel, the result's dtype, the tile and the warps. */
    record Case(DType in, String mode, DType out, int bm, int bn, int bk, int warps) {
        @Override
        public String toString() { return in + " " + mode + "→" + out + " " + bm + "x" + bn + "x" + bk + " warps=" + warps; }
    }

    private static Case plain(DType in, int bm, int bn, int bk, int warps) {
        return new Case(in, "none", Dots.accumulator(in), bm, bn, bk, warps);
    }

    static Stream<Arguments> cases() {
        DType f16 = DType.F16, bf16 = DType.BF16, f32 = DType.F32, f64 = DType.F64, i8 = DType.I8, u8 = DType.U8;
        DType e4m3 = DType.FP8E4M3, e5m2 = DType.FP8E5M2;
        return devicesWith(
                // f16 (the tensor cores' main path) over every shape
                plain(f16, 16, 16, 16, 1), plain(f16, 16, 16, 16, 8), plain(f16, 32, 64, 16, 2), plain(f16, 64, 32, 32, 4),
                plain(f16, 128, 64, 32, 4), plain(f16, 64, 128, 64, 8), plain(f16, 16, 256, 16, 2), plain(f16, 256, 16, 32, 8),
                plain(f16, 128, 128, 64, 8),
                // the other dtypes over a few each: 8-bit inputs with K = 16 (half a k32 instruction) too
                plain(bf16, 32, 64, 16, 1), plain(bf16, 128, 64, 32, 8), plain(bf16, 16, 256, 16, 4),
                plain(f32, 16, 16, 16, 1), plain(f32, 64, 32, 32, 2), plain(f32, 128, 64, 32, 4),
                new Case(f32, "ieee", f32, 32, 64, 16, 2), new Case(f32, "ieee", f32, 64, 128, 64, 4),
                plain(f64, 16, 16, 16, 1), plain(f64, 64, 32, 32, 4),
                plain(i8, 16, 16, 16, 1), plain(i8, 64, 32, 32, 2), plain(i8, 128, 128, 64, 8), plain(u8, 32, 64, 32, 4),
                plain(e4m3, 16, 16, 16, 1), plain(e4m3, 64, 128, 64, 4), plain(e5m2, 32, 64, 32, 2), plain(e5m2, 256, 16, 32, 4),
                new Case(f16, "f16 out", f16, 16, 16, 16, 1), new Case(f16, "f16 out", f16, 64, 32, 32, 4),
                // an accumulator from memory, in each dtype that can hold one
                new Case(f16, "acc", f16, 32, 64, 16, 2), new Case(f16, "acc", f16, 128, 64, 32, 4), new Case(f16, "acc", f32, 64, 32, 32, 2),
                new Case(bf16, "acc", f32, 16, 256, 16, 8), new Case(f32, "acc", f32, 16, 16, 16, 2), new Case(f64, "acc", f64, 32, 64, 16, 1),
                new Case(i8, "acc", DType.I32, 32, 64, 32, 4), new Case(e4m3, "acc", f32, 64, 32, 32, 4),
                // fp8 allowed the tensor cores' own sums (wgmma on sm_90a: whole warpgroups, 64 rows or more)
                new Case(e4m3, "fast", f32, 64, 128, 64, 4), new Case(e5m2, "fast", f32, 128, 64, 32, 8));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void productsOfEveryShape(Device device, Case cs, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int m = cs.bm() + cs.bm() / 2 + 1, n = cs.bn() + cs.bn() / 4 + 3, k = cs.bm() >= cs.bn() ? cs.bk() : cs.bk() - 3;
        Tensor a = Dots.operand(cs.in(), d, r, m * k), b = Dots.operand(cs.in(), d, r, k * n);
        Tensor acc0 = Dots.initial(cs.out(), d, r, m * n), c = poisoned(cs.out(), d, (long) m * n);
        TILE.withOptions(cs.warps(), 1).launch(grid(cdiv(m, cs.bm()), cdiv(n, cs.bn())), a, b, c, acc0, m, n, k, cs.mode(), cs.bm(), cs.bn(),
                cs.bk());
        double[] A = a.toDoubleArray(), B = b.toDoubleArray();
        if (cs.in() == DType.F32 && !cs.mode().equals("ieee")) { // tf32 is f32's default precision
            A = Dots.tf32(A);
            B = Dots.tf32(B);
        }
        Dots.Reference ref = Dots.product(A, B, cs.mode().equals("acc") ? acc0.toDoubleArray() : null, m, n, k);
        String what = "dot " + cs + " on " + m + "x" + n + "x" + k;
        // FAST_ACCUMULATION allows sums about 2^-12 off in relative terms (Hopper's fp8 wgmma)
        if (cs.mode().equals("fast")) Dots.check(ref, c, new Tolerance(0x1p-10, 0x1p-10, 0), what);
        else Dots.check(ref, c, what);
    }
}
