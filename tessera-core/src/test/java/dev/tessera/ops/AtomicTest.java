package dev.tessera.ops;

import static dev.tessera.lang.TL.*;
import static dev.tessera.ops.Ops.*;
import static dev.tessera.runtime.Grid.grid;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.lang.MemoryOrder;

import dev.tessera.lang.Constexpr;
import dev.tessera.lang.Kernel;
import dev.tessera.lang.Tile;
import dev.tessera.lang.Var;
import dev.tessera.runtime.Device;
import dev.tessera.runtime.Jit;
import dev.tessera.runtime.JitKernel;
import dev.tessera.runtime.Tensor;
import dev.tessera.testing.Check;
import dev.tessera.testing.ReferenceNumerics;
import dev.tessera.testing.Seed;
import dev.tessera.testing.SeedExtension;
import dev.tessera.testing.Tolerance;
import dev.tessera.types.DType;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import dev.tessera.lang.AtomicOp;

/**
 * Atomics across programs under contention: many programs adding into one cell give the exact count
 * and hand out every intermediate value exactly once; max/min/and/or/xor/xchg of many lanes into one
 * cell; a lock-free counter and a spin lock built on cas; f16/bf16/f32 adds; every memory semantic and
 * scope; masks.
 */
@ExtendWith(SeedExtension.class)
class AtomicTest {

    @Kernel
    static void oneCell(Tile cell, Tile vals, Tile olds, @Constexpr String OP, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile target = broadcastTo(cell, BLOCK); // every lane of every program: the same cell
        Tile v = load(vals.add(offs));
        Tile old = switch (OP) {
            case "add 1" -> atomicAdd(target, 1L);
            case "add" -> atomicAdd(target, v);
            case "max" -> atomicMax(target, v);
            case "min" -> atomicMin(target, v);
            case "and" -> atomicAnd(target, v);
            case "or" -> atomicOr(target, v);
            case "xor" -> atomicXor(target, v);
            case "xchg" -> atomicXchg(target, v);
            case "add relaxed cta" -> atomic(AtomicOp.ADD, target, v, null, MemoryOrder.Semantic.RELAXED, MemoryOrder.Scope.CTA);
            case "add acquire sys" -> atomic(AtomicOp.ADD, target, v, null, MemoryOrder.Semantic.ACQUIRE, MemoryOrder.Scope.SYS);
            case "add release gpu" -> atomicAdd(target, v, null, MemoryOrder.Semantic.RELEASE, MemoryOrder.Scope.GPU);
            case "add masked" -> atomicAdd(target, v, offs.rem(3).eq(0)); // every third lane
            default -> throw new IllegalArgumentException(OP);
        };
        if (!OP.equals("add masked")) store(olds.add(offs), old);
    }

    static final JitKernel ONE_CELL = Jit.kernel(AtomicTest.class, "oneCell");

    static Stream<Arguments> counts() {
        return cases(new DType[] {DType.I32, DType.U32, DType.I64, DType.U64, DType.F32, DType.F64});
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("counts")
    void manyProgramsAddingOneGiveTheExactCountAndEveryOldValueOnce(Device device, DType t) {
        Device d = use(device);
        int programs = 1000, block = 256, n = programs * block;
        Tensor cell = Tensor.zeros(t, d, 1), vals = Tensor.zeros(t, d, n), olds = poisoned(t, d, n);
        ONE_CELL.launch(grid(programs), cell, vals, olds, "add 1", block);
        assertEquals(n, cell.toLongArray()[0], "1000 programs x 256 lanes adding 1 into one " + t + " cell");
        long[] o = olds.toLongArray();
        Arrays.sort(o);
        assertArrayEquals(LongStream.range(0, n).toArray(), o, "each intermediate count is returned to exactly one lane");
    }

    static Stream<Arguments> narrowAdds() { return cases(DType.F16, DType.BF16); }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("narrowAdds")
    void narrowFloatAddsUnderContention(Device device, DType t) {
        Device d = use(device);
        // counts that stay exact in the dtype: 2048 in f16, 256 in bf16
        int programs = t == DType.F16 ? 16 : 8, block = t == DType.F16 ? 128 : 32, n = programs * block;
        Tensor cell = Tensor.zeros(t, d, 1), vals = Tensor.zeros(t, d, n), olds = poisoned(t, d, n);
        ONE_CELL.launch(grid(programs), cell, vals, olds, "add 1", block);
        assertEquals(n, cell.toDoubleArray()[0], 0.0, t + " count");
        double[] o = olds.toDoubleArray();
        Arrays.sort(o);
        for (int i = 0; i < n; i++) assertEquals(i, o[i], 0.0, t + " old values");
    }

    static Stream<Arguments> rmws() {
        return cases(new DType[] {DType.I32, DType.U32, DType.I64, DType.U64, DType.F32, DType.F64},
                "max", "min", "and", "or", "xor", "xchg", "add", "add relaxed cta", "add acquire sys", "add release gpu", "add masked");
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("rmws")
    void readModifyWritesOfManyLanesIntoOneCell(Device device, DType t, String op, @Seed long seed) {
        Device d = use(device);
        boolean bitwise = op.equals("and") || op.equals("or") || op.equals("xor");
        if (bitwise && t.isFloat()) return; // integers only
        SplittableRandom r = new SplittableRandom(seed);
        int programs = 64, block = 128, n = programs * block;
        Tensor vals, cell;
        if (t.isFloat()) {
            double[] v = new double[n];
            // distinct values; sums of small integers stay exact in any order
            for (int i = 0; i < n; i++) v[i] = op.startsWith("add") ? r.nextInt(-50, 50) : (i - n / 2) * 0.5 + r.nextDouble() * 0.25;
            vals = Tensor.from(v, t, d, n);
            cell = Tensor.from(new double[] {op.equals("min") ? 1e9 : op.equals("max") ? -1e9 : 3}, t, d, 1);
        } else {
            long[] v = new long[n];
            for (int i = 0; i < n; i++) v[i] = op.startsWith("add") ? wrap(r.nextLong(-1000, 1000), t) : op.equals("xchg") ? i + 1 : randomValue(t, r);
            vals = Tensor.fromLongs(v, t, d, n);
            cell = Tensor.fromLongs(new long[] {wrap(op.equals("and") ? -1 : 3, t)}, t, d, 1);
        }
        long init = cell.toLongArray()[0];
        double initF = cell.toDoubleArray()[0];
        Tensor olds = poisoned(t, d, n);
        ONE_CELL.launch(grid(programs), cell, vals, olds, op, block);
        if (t.isFloat()) {
            double[] v = vals.toDoubleArray();
            double ref = initF;
            for (int i = 0; i < n; i++) {
                if (op.equals("add masked") && i % 3 != 0) continue;
                ref = switch (op) {
                    case "max" -> Math.max(ref, v[i]);
                    case "min" -> Math.min(ref, v[i]);
                    case "xchg" -> ref; // checked below
                    default -> ref + v[i];
                };
            }
            if (!op.equals("xchg")) Check.close(new double[] {ref}, cell.toDoubleArray(), Tolerance.EXACT, "atomic " + op + " " + t);
            else checkExchangeChain(Arrays.stream(v).mapToLong(Double::doubleToLongBits).toArray(), Double.doubleToLongBits(initF),
                    Arrays.stream(olds.toDoubleArray()).mapToLong(Double::doubleToLongBits).toArray(),
                    Double.doubleToLongBits(cell.toDoubleArray()[0]), t);
        } else {
            long[] v = vals.toLongArray();
            long ref = init;
            for (int i = 0; i < n; i++) {
                if (op.equals("add masked") && i % 3 != 0) continue;
                ref = switch (op) {
                    case "max" -> compare(v[i], ref, t) > 0 ? v[i] : ref;
                    case "min" -> compare(v[i], ref, t) < 0 ? v[i] : ref;
                    case "and" -> ref & v[i];
                    case "or" -> ref | v[i];
                    case "xor" -> ref ^ v[i];
                    case "xchg" -> ref;
                    default -> wrap(ref + v[i], t);
                };
            }
            if (!op.equals("xchg")) assertEquals(ref, cell.toLongArray()[0], "atomic " + op + " " + t);
            else checkExchangeChain(v, init, olds.toLongArray(), cell.toLongArray()[0], t);
        }
    }

    /** Exchanges form one chain: the old values and the final value are the initial value and all the new ones. */
    private static void checkExchangeChain(long[] values, long init, long[] olds, long last, DType t) {
        long[] expected = LongStream.concat(LongStream.of(init), Arrays.stream(values)).sorted().toArray();
        long[] got = LongStream.concat(LongStream.of(last), Arrays.stream(olds)).sorted().toArray();
        assertArrayEquals(expected, got, "xchg " + t + ": old values and the final value are the initial value and every exchanged value");
    }

    // ------------------------------------------------------------------ narrow floats and distinct cells

    @Kernel
    static void addEach(Tile cells, Tile vals, Tile n, @Constexpr int BLOCK) {
        Tile offs = programId(0).mul(BLOCK).add(arange(0, BLOCK));
        Tile m = offs.lt(n);
        atomicAdd(cells.add(offs), load(vals.add(offs), m), m);
    }

    static final JitKernel ADD_EACH = Jit.kernel(AtomicTest.class, "addEach");

    static Stream<Arguments> floatAdds() { return cases(DType.F16, DType.BF16, DType.F32, DType.F64); }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("floatAdds")
    void floatAddsRoundToTheirDtype(Device device, DType t, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1000;
        Tensor cells = randomFloats(t, d, r, n, -10, 10), vals = randomFloats(t, d, r, n, -10, 10);
        double[] c = cells.toDoubleArray(), v = vals.toDoubleArray(), ref = new double[n];
        for (int i = 0; i < n; i++) ref[i] = t == DType.F64 ? c[i] + v[i] : ReferenceNumerics.round(c[i] + v[i], ReferenceNumerics.format(t), false);
        ADD_EACH.launch(grid(cdiv(n, 256)), cells, vals, n, 256);
        Check.close(ref, cells.toDoubleArray(), Tolerance.EXACT, "atomic add " + t + " (one rounding per add)");
    }

    // ------------------------------------------------------------------ cas

    @Kernel
    static void casCounter(Tile counter, Tile olds) {
        Var done = var(0);
        Var seen = var(0);
        whileLoop(() -> done.get().eq(0), () -> {
            Tile old = loadVolatile(counter, null);
            Tile prev = atomicCas(counter, old, old.add(1));
            seen.set(prev);
            done.set(prev.eq(old).to(I32));
        });
        store(olds.add(programId(0)), seen.get());
    }

    static final JitKernel CAS_COUNTER = Jit.kernel(AtomicTest.class, "casCounter");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void lockFreeCounterWithCas(Device device) {
        Device d = use(device);
        int programs = 2000;
        Tensor counter = Tensor.zeros(DType.I32, d, 1), olds = poisoned(DType.I32, d, programs);
        CAS_COUNTER.launch(grid(programs), counter, olds);
        assertEquals(programs, counter.toLongArray()[0], "cas counter");
        long[] o = olds.toLongArray();
        Arrays.sort(o);
        assertArrayEquals(LongStream.range(0, programs).toArray(), o, "each program's successful cas saw a distinct count");
    }

    @Kernel
    static void spinLock(Tile lock, Tile data) {
        // acquire: cas 0 -> 1 until it succeeds
        Var held = var(0);
        whileLoop(() -> held.get().eq(0), () -> held.set(atomicCas(lock, scalar(0), scalar(1)).eq(0).to(I32)));
        // the critical section: plain (non-atomic) read-modify-writes of two cells
        Tile a = loadVolatile(data, null), b = loadVolatile(data.add(1), null);
        store(data, a.add(1));
        store(data.add(1), b.add(programId(0)));
        // release
        atomicXchg(lock, scalar(0));
    }

    static final JitKernel SPIN_LOCK = Jit.kernel(AtomicTest.class, "spinLock");

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.tessera.testing.TestDevices#all")
    void spinLockFromCasAndXchgProtectsPlainUpdates(Device device) {
        Device d = use(device);
        int programs = 1000;
        Tensor lock = Tensor.zeros(DType.I32, d, 1), data = Tensor.zeros(DType.I64, d, 2);
        SPIN_LOCK.launch(grid(programs), lock, data);
        Check.equal(new long[] {programs, (long) programs * (programs - 1) / 2}, data.toLongArray(), "updates under the lock");
        assertEquals(0, lock.toLongArray()[0], "the lock is free again");
    }

    @Kernel
    static void casTile(Tile cells, Tile expected, Tile desired, Tile olds, @Constexpr int N) {
        Tile k = arange(0, N);
        store(olds.add(k), atomicCas(cells.add(k), load(expected.add(k)), load(desired.add(k))));
    }

    static final JitKernel CAS_TILE = Jit.kernel(AtomicTest.class, "casTile");

    static Stream<Arguments> casTypes() { return cases(DType.I32, DType.U32, DType.I64, DType.F32, DType.F64, DType.I16, DType.F16, DType.BF16); }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("casTypes")
    void casSwapsOnlyWhereTheValueMatches(Device device, DType t, @Seed long seed) {
        Device d = use(device);
        SplittableRandom r = new SplittableRandom(seed);
        int n = 64;
        double[] c = new double[n], e = new double[n], w = new double[n];
        for (int i = 0; i < n; i++) {
            c[i] = r.nextInt(0, 200); // non-negative: u32 too
            e[i] = i % 2 == 0 ? c[i] : c[i] + 1; // even lanes match
            w[i] = r.nextInt(0, 200);
        }
        Tensor cells = Tensor.from(c, t, d, n), ex = Tensor.from(e, t, d, n), de = Tensor.from(w, t, d, n), olds = poisoned(t, d, n);
        CAS_TILE.launch(grid(1), cells, ex, de, olds, n);
        double[] ref = new double[n];
        for (int i = 0; i < n; i++) ref[i] = i % 2 == 0 ? w[i] : c[i];
        Check.close(ref, cells.toDoubleArray(), Tolerance.EXACT, "cas " + t + " cells");
        Check.close(c, olds.toDoubleArray(), Tolerance.EXACT, "cas " + t + " returns the old values");
    }
}
